import { expect, test } from 'vitest'
import type { Document } from '../../../schemas/document.ts'
import { collectingContext } from '../../../streams/operator.ts'
import { filterDocuments, fromConfig, RULES } from '../../../streams/filters/index.ts'
import { collect } from '../../helpers/readers.ts'
import { doc, enC4, zhWeb } from './docs.ts'

async function * of<T> (...items: T[]) { yield * items }

test('has more than 30 named rules in four rule sets, each with a level and languages', () => {
  expect(RULES.length).toBeGreaterThan(30)
  expect(new Set(RULES.map(r => r.name)).size).toBe(RULES.length)
  expect(new Set(RULES.map(r => r.set))).toEqual(new Set(['ziya2', 'gopher', 'c4', 'fineweb']))
  expect(new Set(RULES.map(r => r.level))).toEqual(new Set(['document', 'paragraph', 'sentence']))
  for (const r of RULES) expect(r.languages.length).toBeGreaterThan(0)
})

test('received = forwarded + every dropped_<reason>, drops marked with a filter: reason', async () => {
  const input = [...enC4().map(t => doc(t, 'en')), ...zhWeb().map(d => doc(d.text, 'zh')), doc(null), doc('   ')]
  const ctx = collectingContext<Document>()
  const out = await collect(filterDocuments()(of(...input), ctx))
  const dropped = Object.entries(ctx.stats).filter(([k]) => k.startsWith('dropped_')).reduce((s, [, v]) => s + v, 0)
  expect(ctx.stats.received).toBe(input.length)
  expect(ctx.stats.forwarded).toBe(out.length)
  expect(ctx.stats.received).toBe(ctx.stats.forwarded + dropped)
  expect(dropped).toBeGreaterThan(2)
  for (const { item, reason } of ctx.dropped) {
    expect(reason).toMatch(/^filter:/)
    expect(item).toMatchObject({ decision: 'drop', reason })
  }
  expect(ctx.stats['dropped_filter:no_text']).toBe(2)
  for (const d of out) expect(d.decision).toBe('keep')
})

test('every kept document carries the signal of every rule that applies to it', async () => {
  const ctx = collectingContext<Document>()
  const [kept] = await collect(filterDocuments()(of(doc(enC4().find(t => t.length > 2000)!, 'en')), ctx))
  expect(kept).toBeDefined()
  for (const r of RULES.filter(r => r.languages.includes('en'))) expect(kept!.signals).toHaveProperty(`filter_${r.name}`)
  expect(kept!.signals).toHaveProperty('pii_email')
})

test('a document an earlier stage dropped passes through with its first reason', async () => {
  const earlier = { ...doc('short'), decision: 'drop' as const, reason: 'lang:unknown' }
  const ctx = collectingContext<Document>()
  expect(await collect(filterDocuments()(of(earlier), ctx))).toEqual([earlier])
})

test('empty input, and a stop after abort with at most one document read ahead', async () => {
  const ctx = collectingContext<Document>()
  expect(await collect(filterDocuments()(of(), ctx))).toEqual([])
  expect(ctx.stats).toEqual({ received: 0, forwarded: 0 })
  const clean = enC4().find(t => t.length > 2000)!
  const input = [clean, clean, clean].map(t => doc(t, 'en'))
  let pulled = 0
  async function * counting () { for (const d of input) { pulled++; yield d } }
  const abort = new AbortController()
  const out: Document[] = []
  for await (const d of filterDocuments({ ruleSets: ['ziya2'] })(counting(), collectingContext<Document>(abort.signal))) { out.push(d); abort.abort() }
  expect(out).toHaveLength(1)
  expect(pulled).toBe(1)
})

test('config errors name the rule and the field, before any document', () => {
  expect(() => fromConfig({ rules: { gopher_word_count: { min: -1 } } })).toThrow(/filter rule gopher_word_count: min:/)
  expect(() => fromConfig({ rules: { gopher_word_count: { min: 500, max: 10 } } })).toThrow(/gopher_word_count: min: min must not exceed max/)
  expect(() => fromConfig({ rules: { fineweb_short_lines: { maxChars: { zh: 'ten' } } } })).toThrow(/fineweb_short_lines: maxChars\.zh:/)
  expect(() => fromConfig({ rules: { ziya2_ads: { maximum: 3 } } })).toThrow(/ziya2_ads: .*maximum/)
  expect(() => fromConfig({ rules: { no_such_rule: {} } })).toThrow(/unknown rule "no_such_rule"/)
  expect(() => fromConfig({ ruleSets: ['gopher', 'dolma'] })).toThrow(/filter config: ruleSets\.1:/)
  expect(() => fromConfig({ ruleSets: [] })).toThrow(/ruleSets/)
})

test('rule sets switch by name; a rule can be switched off or on alone', async () => {
  const text = 'The cat sat on the mat with the dog and that was it, said the long-winded narrator.\n'.repeat(20)
  const run = async (config: object) => (await collect(filterDocuments(config)(of(doc(text)), collectingContext<Document>()))).length
  expect(await run({ ruleSets: ['ziya2'] })).toBe(1)
  expect(await run({ ruleSets: ['ziya2'], rules: { gopher_dup_line_frac: { enabled: true } } })).toBe(0)
  expect(await run({ ruleSets: ['fineweb'] })).toBe(0)
  expect(await run({ ruleSets: ['fineweb'], rules: { fineweb_dup_line_chars: { enabled: false } } })).toBe(1)
  const ctx = collectingContext<Document>()
  await collect(filterDocuments({ ruleSets: ['gopher'] })(of(doc(text)), ctx))
  expect(ctx.dropped.map(d => d.reason)).toEqual(['filter:gopher_dup_line_frac'])
})
