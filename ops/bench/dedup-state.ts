import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import v8 from 'node:v8'
import vm from 'node:vm'
import type { Document } from '../../schemas/document.ts'
import { DedupState, dedupDocuments, parseDedupConfig } from '../../streams/dedup/index.ts'
import { StateJournal, type StateChange } from '../../streams/dedup/journal.ts'
import { collectingContext } from '../../streams/operator.ts'
import { buildEvalSet } from './dedup-eval.ts'

const HELP = `npm run bench -- dedup-state [--per-lang 300] [--replay 200000] [--method minhash|simhash]

The dedup worker's operator and state, without Kafka, on one core:
- URL + exact + near dedup (dedupDocuments) over the near-dedup evaluation set (real en/zh texts with
  planted variants), MB/s with the state in memory and with it journaled (a block and an fsync per
  500 documents, as the worker does per transaction), and journal bytes per kept document;
- restart: replaying a journal of --replay representatives (random signatures, URL and content keys),
  its size, the replay time and the memory it rebuilds, each scaled to a million documents.`

const gc = (): void => {
  v8.setFlagsFromString('--expose-gc')
  ;(vm.runInNewContext('gc') as () => void)()
}

async function * of<T> (items: T[]): AsyncIterable<T> { yield * items }

function asDocuments (perLang: number): Document[] {
  const set = buildEvalSet({ seed: 1, perLang, sizes: { words: 5, chars: 5 } })
  return set.docs.map((d, n) => ({
    schema_version: 1, id: d.id, url: `https://example.com/${n}`, source: 'bench', crawl_id: null, fetched_at: null,
    ingested_at: '2026-11-28T00:00:00.000Z', lang: d.lang, text: d.text, html: null, content_type: null, signals: {},
    decision: 'keep', reason: null, dup_of: null, cluster_id: null, meta: null,
    provenance: { file: 'bench.jsonl', offset: n, length: null, topic: null, partition: null, kafka_offset: null }
  }))
}

async function throughput (docs: Document[], method: 'minhash' | 'simhash'): Promise<void> {
  const mb = docs.reduce((n, d) => n + Buffer.byteLength(d.text!), 0) / 1e6
  const config = parseDedupConfig({ near: { method } })
  for (const journaled of [false, true]) {
    let seconds = Infinity
    let kept = 0
    let journalBytes = 0
    // best of three: the first pass warms the JIT up
    for (let pass = 0; pass < 3; pass++) {
      const state = new DedupState(config)
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-state-'))
      if (journaled) state.open(dir, {})
      const start = performance.now()
      kept = 0
      for (let i = 0; i < docs.length; i += 500) {
        for await (const _ of dedupDocuments(state)(of(docs.slice(i, i + 500)), collectingContext())) kept++
        if (journaled) state.persist({ 0: Math.min(i + 500, docs.length) })
      }
      seconds = Math.min(seconds, (performance.now() - start) / 1000)
      journalBytes = state.describe().journalBytes
      state.close()
      fs.rmSync(dir, { recursive: true, force: true })
    }
    console.log(`dedup ${method}, state ${journaled ? 'journaled' : 'in memory'}: ${(mb / seconds).toFixed(1)} MB/s (${docs.length} docs, ${mb.toFixed(1)} MB, ${kept} kept)` +
      (journaled ? `, journal ${(journalBytes / kept).toFixed(0)} bytes per kept document` : ''))
  }
}

function replay (n: number, method: 'minhash' | 'simhash'): void {
  const config = parseDedupConfig({ near: { method } })
  const words = method === 'minhash' ? config.near.minhash.bands * config.near.minhash.rows : 2
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-replay-'))
  const { journal } = StateJournal.open(dir, {}, () => {})
  let s = 12345
  const random = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s }
  for (let i = 0; i < n; i += 500) {
    const changes: StateChange[] = []
    for (let k = i; k < Math.min(i + 500, n); k++) {
      const id = k.toString(16).padStart(16, '0')
      const url = `example.com/page/${k}`
      changes.push({ kind: 'url', key: url }, { kind: 'first', key: `u${url}`, id }, { kind: 'content', key: random().toString(16) + random().toString(16) },
        { kind: 'record', key: `${id}@f:${k}` }, { kind: 'near', id, sig: Uint32Array.from({ length: words }, random) })
    }
    journal.append({ 0: Math.min(i + 500, n) }, changes)
  }
  const bytes = journal.bytes
  journal.close()
  // the Bloom filters have a fixed size (their capacity); what the replay rebuilds is measured from here
  const state = new DedupState(config)
  gc()
  const before = process.memoryUsage()
  const start = performance.now()
  state.open(dir, { 0: n })
  const seconds = (performance.now() - start) / 1000
  gc()
  const after = process.memoryUsage()
  const held = (after.heapUsed - before.heapUsed) + (after.arrayBuffers - before.arrayBuffers)
  const perMillion = 1e6 / n
  console.log(`restart ${method}: journal of ${n} kept documents ${(bytes / 2 ** 20).toFixed(0)} MiB (${(bytes * perMillion / 2 ** 30).toFixed(2)} GiB per million), ` +
    `replayed in ${seconds.toFixed(1)} s (${(seconds * perMillion).toFixed(0)} s per million); near index and first-id map ` +
    `${(held / 2 ** 20).toFixed(0)} MiB (${(held * perMillion / 2 ** 20).toFixed(0)} MiB per million) + Bloom filters ${(state.describe().bloomBytes / 2 ** 20).toFixed(0)} MiB (sized for 10M)`)
  state.close()
  fs.rmSync(dir, { recursive: true, force: true })
}

export async function main (argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { 'per-lang': { type: 'string', default: '300' }, replay: { type: 'string', default: '200000' }, method: { type: 'string' }, help: { type: 'boolean' } } })
  if (values.help === true) { console.log(HELP); return }
  const methods = values.method === undefined ? ['minhash', 'simhash'] as const : [values.method as 'minhash' | 'simhash']
  const docs = asDocuments(Number(values['per-lang']))
  for (const method of methods) await throughput(docs, method)
  for (const method of methods) replay(Number(values.replay), method)
}
