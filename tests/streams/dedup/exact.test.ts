import fs from 'node:fs'
import zlib from 'node:zlib'
import { expect, test } from 'vitest'
import type { Document } from '../../../schemas/document.ts'
import { contentForKey, contentKey } from '../../../streams/dedup/exact.ts'
import { exactDedup } from '../../../streams/dedup/exact-dedup.ts'
import { collectingContext } from '../../../streams/operator.ts'
import { collect, SHARED } from '../../helpers/readers.ts'
import { doc, enWeb, zhWiki } from '../filters/docs.ts'

async function * of<T> (...items: T[]) { yield * items }

const zh = zhWiki().filter(t => t.length > 200).slice(0, 50)
const en = enWeb()

/** The same page with its punctuation, whitespace, width, case or emoji changed. */
const variants: Array<[string, (t: string) => string]> = [
  ['punctuation swapped and dropped', t => t.replace(/，/g, ',').replace(/。/g, '.').replace(/[.,;:!?'"“”’()-]/g, '')],
  ['punctuation added', t => t.replace(/ /g, ' — ').replace(/\n/g, '!!!\n') + '……'],
  ['whitespace', t => t.replace(/\s+/g, '  \n\t').replace(/(\p{Script=Han})/gu, '$1 ')],
  ['full width', t => t.replace(/[!-~]/g, c => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).replace(/ /g, '\u3000')],
  ['case', t => t.toUpperCase()],
  ['emoji and zero-width', t => '🔥🔥 ' + t.replace(/\n/g, ' 👍🏽\n').replace(/。/g, '。👨‍👩‍👧\u200b') + ' ❤️ ✨']
]

test.each(variants)('real pages and their %s variants get the same key', (_, change) => {
  for (const text of [...zh, ...en]) {
    expect(contentKey(change(text)), change(text).slice(0, 80)).toBe(contentKey(text))
  }
})

test('different real pages get different keys', () => {
  const texts = [...new Set([...zhWiki(), ...en])]
  const keys = new Set(texts.map(contentKey))
  const normalised = new Set(texts.map(contentForKey))
  // one key per distinct normalised text: no collisions, and normalising merged almost nothing
  expect(keys.size).toBe(normalised.size)
  expect(normalised.size).toBeGreaterThan(texts.length * 0.99)
})

test('the normalised text keeps letters, digits and marks, in every script', () => {
  expect(contentForKey('Ｈｅｌｌｏ，　世界！ café नमस्ते ①②')).toBe('hello世界caféनमस्ते12')
  // a keycap emoji is its digit plus marks: the digit stays
  expect(contentForKey('1️⃣ 👨‍👩‍👧')).toBe('1')
  expect(contentKey('Smithfield employs 3,700 people')).not.toBe(contentKey('Smithfield employs 3,701 people'))
  expect(contentKey('!!! 😀 ...')).toBeNull()
})

let serial = 0
function page (text: string | null, url: string | null, over: Partial<Document> = {}): Document {
  serial++
  return { ...doc(text), url, provenance: { file: 'crawl.warc', offset: serial * 1000, length: 1000, topic: null, partition: null, kafka_offset: null }, ...over }
}

const dropped = (ctx: ReturnType<typeof collectingContext<Document>>) => ctx.dropped.map(d => [d.item.id, d.reason, d.item.dup_of])

test('keeps the first, drops a later same URL as dedup:url and same content as dedup:exact', async () => {
  const first = page(en[0]!, 'https://example.com/a/?utm_source=x')
  const sameUrl = page(en[1]!, 'HTTPS://EXAMPLE.com/a#top')
  const sameText = page(en[0]!.toUpperCase().replace(/[.,]/g, ''), 'https://mirror.example/copy')
  const other = page(en[2]!, 'https://example.com/b')
  const ctx = collectingContext<Document>()
  const out = await collect(exactDedup({ capacity: 1000 })(of(first, sameUrl, sameText, other), ctx))
  expect(out.map(d => d.id)).toEqual([first.id, other.id])
  expect(out[0]).toEqual(first)
  expect(dropped(ctx)).toEqual([[sameUrl.id, 'dedup:url', first.id], [sameText.id, 'dedup:exact', first.id]])
  expect(ctx.dropped.map(d => [d.item.decision, d.item.signals])).toEqual([['drop', { dedup_url_seen: true, dedup_similarity: 1 }], ['drop', { dedup_exact_seen: true, dedup_similarity: 1 }]])
  expect(ctx.stats).toEqual({ received: 4, forwarded: 2, 'dropped_dedup:url': 1, 'dropped_dedup:exact': 1 })
})

test('dolma by-url fixture: the second document with a URL is the duplicate', async () => {
  const lines = zlib.gunzipSync(fs.readFileSync(`${SHARED}/dedup/dolma-documents-000.json.gz`)).toString('utf8').trim().split('\n').map(l => JSON.parse(l))
  const expected = zlib.gunzipSync(fs.readFileSync(`${SHARED}/dedup/dolma-expected-dedupe-by-url.json.gz`)).toString('utf8').trim().split('\n').map(l => JSON.parse(l))
  const docs = lines.map(d => page(d.text, d.metadata.url, { id: d.id }))
  const ctx = collectingContext<Document>()
  await collect(exactDedup({ capacity: 1000 })(of(...docs), ctx))
  expect(ctx.dropped.map(d => d.item.id)).toEqual(expected.filter(e => e.attributes.bff_duplicate_url !== undefined).map(e => e.id))
})

test('a replay of a kept document (same id, same position) is forwarded again, not marked', async () => {
  const first = page(zh[0]!, 'https://example.com/a')
  const recrawl = page(zh[0]!, 'https://example.com/a', { id: first.id })
  const op = exactDedup({ capacity: 1000 })
  const ctx = collectingContext<Document>()
  const out = await collect(op(of(first, { ...first }, recrawl, { ...first }), ctx))
  expect(out).toEqual([first, first, first])
  // the same URL and id from another place in the crawl is a re-crawl: a duplicate
  expect(dropped(ctx)).toEqual([[first.id, 'dedup:url', first.id]])
})

test('without provenance the id alone identifies the record', async () => {
  const a = doc(en[3]!)
  const ctx = collectingContext<Document>()
  expect(await collect(exactDedup({ capacity: 100 })(of(a, a, doc(en[3]!)), ctx))).toEqual([a, a])
  expect(dropped(ctx)).toEqual([[expect.any(String), 'dedup:exact', a.id]])
})

test('documents dropped earlier pass through untouched and do not enter the filters', async () => {
  const early = page(en[4]!, 'https://example.com/x', { decision: 'drop', reason: 'filter:c4_javascript' })
  const later = page(en[4]!, 'https://example.com/x')
  const ctx = collectingContext<Document>()
  const out = await collect(exactDedup({ capacity: 100 })(of(early, later), ctx))
  expect(out).toEqual([early, later])
  expect(ctx.dropped).toEqual([])
})

test('dup_of is null once the first id is forgotten; documents with no text or URL are kept', async () => {
  const a = page('first text', null)
  const b = page('second text', null)
  const ctx = collectingContext<Document>()
  const out = await collect(exactDedup({ capacity: 100, dupOfEntries: 1 })(of(a, b, page('First  text!', null), page(null, null), page(null, null)), ctx))
  expect(out).toHaveLength(4)
  expect(dropped(ctx)).toEqual([[expect.any(String), 'dedup:exact', null]])
})

test('contract: empty input, received = forwarded + Σ dropped, abort after one', async () => {
  const empty = collectingContext<Document>()
  expect(await collect(exactDedup({ capacity: 100 })(of(), empty))).toEqual([])
  expect(empty.stats).toEqual({ received: 0, forwarded: 0 })

  const lines = fs.readFileSync(`${SHARED}/dedup/datajuicer-demo-dataset-deduplication.jsonl`, 'utf8').trim().split('\n')
  const input = [...lines, ...lines].map(l => page(JSON.parse(l).text, null))
  const ctx = collectingContext<Document>()
  const out = await collect(exactDedup({ capacity: 1000 })(of(...input), ctx))
  const droppedCount = Object.entries(ctx.stats).filter(([k]) => k.startsWith('dropped_')).reduce((s, [, v]) => s + v, 0)
  expect(ctx.stats.received).toBe(input.length)
  expect(ctx.stats.forwarded).toBe(out.length)
  expect(ctx.stats.received).toBe(ctx.stats.forwarded + droppedCount)
  // the 14 demo documents hold one exact pair; the rest differ by words (near-dedup's job); every second copy goes
  expect(out).toHaveLength(13)

  let pulled = 0
  async function * counting () { for (const d of input) { pulled++; yield d } }
  const abort = new AbortController()
  const seen: Document[] = []
  for await (const d of exactDedup({ capacity: 100 })(counting(), collectingContext<Document>(abort.signal))) { seen.push(d); abort.abort() }
  expect([seen.length, pulled]).toEqual([1, 1])
})
