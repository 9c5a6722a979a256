import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect, test } from 'vitest'
import { buildEvalSet } from '../../../ops/bench/dedup-eval.ts'
import type { Document } from '../../../schemas/document.ts'
import { DedupState, dedupDocuments, parseDedupConfig } from '../../../streams/dedup/index.ts'
import { collectingContext } from '../../../streams/operator.ts'
import { doc } from '../filters/docs.ts'

async function * of<T> (items: T[]) { yield * items }

/** The planted near duplicates, plus URL duplicates (another spelling of a URL) and exact copies (other punctuation). */
function corpus (): Document[] {
  const set = buildEvalSet({ seed: 5, perLang: 40, sizes: { words: 5, chars: 5 } })
  const docs = set.docs.map((d, n) => ({ ...doc(d.text, d.lang), id: d.id, url: `https://Example.com/page/${n}?utm_source=x#top` }))
  const copies = docs.slice(0, 12).map((d, n) => n % 2 === 0
    ? { ...d, id: `${d.id}-urlcopy`, url: `https://example.com:443/page/${docs.indexOf(d)}/`, text: `${d.text}\nanother footer` }
    : { ...d, id: `${d.id}-copy`, url: `https://mirror.example.org/${n}`, text: d.text!.replace(/[.,，。]/g, '!') })
  return [...docs, ...copies]
}

type Verdicts = Record<string, string>
async function decide (state: DedupState, docs: Document[], into: Verdicts): Promise<void> {
  const ctx = collectingContext<Document>()
  for await (const d of dedupDocuments(state)(of(docs), ctx)) into[d.id] = 'keep'
  for (const { item } of ctx.dropped) into[item.id] = `${item.reason} ${item.dup_of} ${item.signals.dedup_similarity ?? ''}`
}

test('a journaled state restored at the committed position decides exactly as one that never stopped; rolled-back work is forgotten', async () => {
  const config = parseDedupConfig({})
  const docs = corpus()
  const reference: Verdicts = {}
  await decide(new DedupState(config), docs, reference)
  const reasons = Object.values(reference).map(v => v.split(' ')[0])
  for (const reason of ['keep', 'dedup:near', 'dedup:url', 'dedup:exact']) expect(reasons).toContain(reason)

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-dedup-state-'))
  const got: Verdicts = {}
  const first = new DedupState(config)
  first.open(dir, {})
  let committed = 0
  for (; committed + 25 <= docs.length / 2; committed += 25) {
    await decide(first, docs.slice(committed, committed + 25), got)
    first.persist({ 0: committed + 25 })
  }
  // a transaction whose state was journaled but whose Kafka commit never happened
  await decide(first, docs.slice(committed, committed + 25), {})
  first.persist({ 0: committed + 25 })
  first.close()

  const second = new DedupState(config)
  const replay = second.open(dir, { 0: committed })
  expect(replay.truncatedBytes).toBeGreaterThan(0)
  // its input comes again: none of it is a duplicate of itself, and it decides as the first time
  await decide(second, docs.slice(committed), got)
  second.close()
  expect(got).toEqual(reference)
})

test('one dedup state folder serves one process at a time; config errors name the field', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-dedup-lock-'))
  const config = parseDedupConfig({ near: { method: 'simhash' } })
  const a = new DedupState(config)
  a.open(dir, {})
  expect(() => new DedupState(config).open(dir, {})).toThrow(/another dedup worker \(pid \d+\) holds/)
  a.close()
  new DedupState(config).open(dir, {})
  expect(() => parseDedupConfig({ near: { minhash: { rows: 0 } } })).toThrow(/near.minhash.rows/)
  expect(() => parseDedupConfig({ exact: { fpRate: 2 } })).toThrow(/exact.fpRate/)
  expect(() => parseDedupConfig({ nearr: {} })).toThrow(/nearr/)
})
