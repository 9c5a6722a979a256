import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import v8 from 'node:v8'
import vm from 'node:vm'
import type { NearDedupConfigInput } from '../../streams/dedup/config.ts'
import { MinHashLshIndex } from '../../streams/dedup/minhash.ts'
import { NearDeduper } from '../../streams/dedup/near.ts'
import { dedupText, shingleHashes, shingleSize } from '../../streams/dedup/shingles.ts'
import { SimHashIndex } from '../../streams/dedup/simhash.ts'
import { buildEvalSet, DUPLICATE_JACCARD, score, type EvalSet } from './dedup-eval.ts'

/** Timed passes after one warm-up pass (JIT); the best is reported, since the machine is shared. */
const PASSES = 5

const HELP = `npm run bench -- dedup [--per-lang 300] [--seed 1] [--no-datatrove]

Builds the near-dedup evaluation set (real en/zh texts from ../shared/data with planted variants
and hard negatives, see ops/bench/dedup-eval.ts), runs each method over it in input order and
prints precision, recall and F1 on pairs with true Jaccard >= ${DUPLICATE_JACCARD}, throughput of
normalisation + signature + index lookup (MB/s of UTF-8 text per CPU second of one process, the
best of ${PASSES} passes after a warm-up), the same for normalisation and shingling alone, index
memory per million documents, and datatrove's MinHash dedup (PyPI) on the same set with the same
scorer.`

const METHODS: Array<{ name: string, config: NearDedupConfigInput }> = [
  { name: 'minhash 14x8', config: { method: 'minhash', minhash: { bands: 14, rows: 8 } } },
  { name: 'minhash 20x5', config: { method: 'minhash', minhash: { bands: 20, rows: 5 } } },
  { name: 'minhash 10x10', config: { method: 'minhash', minhash: { bands: 10, rows: 10 } } },
  { name: 'minhash 20x13', config: { method: 'minhash', minhash: { bands: 20, rows: 13 } } },
  { name: 'simhash k=3 (4 blocks)', config: { method: 'simhash' } },
  { name: 'simhash k=6 (8 blocks)', config: { method: 'simhash', simhash: { blocks: 8, maxHamming: 6 } } }
]

/** CPU seconds (user + system) of `f`: time the scheduler gave other processes does not count. */
function cpuSeconds (f: () => void): number {
  const start = process.cpuUsage()
  f()
  const used = process.cpuUsage(start)
  return (used.user + used.system) / 1e6
}

/** Passes in input order, each with a fresh deduper; MB/s from the fastest timed one. */
function run (set: EvalSet, config: NearDedupConfigInput): { clusters: Map<string, string>, mbps: number } {
  const bytes = set.docs.reduce((n, d) => n + Buffer.byteLength(d.text), 0)
  let clusters = new Map<string, string>()
  let best = Infinity
  for (let pass = 0; pass <= PASSES; pass++) {
    const deduper = new NearDeduper(config)
    clusters = new Map()
    const seconds = cpuSeconds(() => {
      for (const doc of set.docs) {
        const verdict = deduper.next(doc.id, doc.text, doc.lang)
        if (verdict !== null) clusters.set(doc.id, verdict.dupOf)
      }
    })
    if (pass > 0) best = Math.min(best, seconds)
  }
  return { clusters, mbps: bytes / 1e6 / best }
}

/** MB/s of the steps before any signature: `dedupText` alone, then with `shingleHashes`. */
function stages (set: EvalSet): { fold: number, shingles: number } {
  const bytes = set.docs.reduce((n, d) => n + Buffer.byteLength(d.text), 0)
  const sizes = { words: 5, chars: 5 }
  let fold = Infinity
  let shingles = Infinity
  for (let pass = 0; pass <= PASSES; pass++) {
    const a = cpuSeconds(() => { for (const doc of set.docs) dedupText(doc.text) })
    const b = cpuSeconds(() => {
      for (const doc of set.docs) {
        const norm = dedupText(doc.text)
        shingleHashes(norm, shingleSize(norm, doc.lang, sizes))
      }
    })
    if (pass > 0) { fold = Math.min(fold, a); shingles = Math.min(shingles, b) }
  }
  return { fold: bytes / 1e6 / fold, shingles: bytes / 1e6 / shingles }
}

const gc = (): void => {
  v8.setFlagsFromString('--expose-gc')
  ;(vm.runInNewContext('gc') as () => void)()
}

/** Heap and array buffers held by an index of `n` random signatures, scaled to a million documents. */
function indexMemoryPerMillion (n: number, make: () => { add: (id: string, i: number) => void }): number {
  gc()
  const before = process.memoryUsage()
  const index = make()
  for (let i = 0; i < n; i++) index.add(i.toString(16).padStart(16, '0'), i)
  gc()
  const after = process.memoryUsage()
  const used = (after.heapUsed + after.arrayBuffers) - (before.heapUsed + before.arrayBuffers)
  if (index === undefined) throw new Error('unreachable: keeps the index alive until measured')
  return used / n * 1e6
}

function randomSignature (width: number, seed: number): Uint32Array {
  const sig = new Uint32Array(width)
  let s = seed * 2654435761
  for (let j = 0; j < width; j++) sig[j] = s = (Math.imul(s, 1664525) + 1013904223) >>> 0
  return sig
}

function datatrove (set: EvalSet): Map<string, string> | string {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-datatrove-'))
  try {
    const input = path.join(work, 'docs.jsonl')
    fs.writeFileSync(input, set.docs.map(d => JSON.stringify(d)).join('\n') + '\n')
    const script = new URL('dedup_datatrove.py', import.meta.url).pathname
    const out = execFileSync('python3', [script, input, path.join(work, 'run')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 })
    return new Map(Object.entries(JSON.parse(out) as Record<string, string>))
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? String(err)
    return stderr.trim().split('\n').at(-1) ?? 'failed'
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
}

const pct = (x: number): string => x.toFixed(3)

export async function main (argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { 'per-lang': { type: 'string', default: '300' }, seed: { type: 'string', default: '1' }, 'no-datatrove': { type: 'boolean' }, help: { type: 'boolean' } } })
  if (values.help === true) { console.log(HELP); return }
  const set = buildEvalSet({ seed: Number(values.seed), perLang: Number(values['per-lang']), sizes: { words: 5, chars: 5 } })
  const positives = set.pairs.filter(p => p.jaccard >= DUPLICATE_JACCARD).length
  const mb = set.docs.reduce((n, d) => n + Buffer.byteLength(d.text), 0) / 1e6
  console.log(`eval set: ${set.docs.length} docs (${mb.toFixed(1)} MB), ${set.pairs.length} labelled pairs, ${positives} with J >= ${DUPLICATE_JACCARD}`)
  console.log('method                      precision  recall     F1   MB/s')
  for (const m of METHODS) {
    const { clusters, mbps } = run(set, m.config)
    const s = score(set, clusters)
    console.log(`${m.name.padEnd(28)}${pct(s.precision).padStart(8)}${pct(s.recall).padStart(9)}${pct(s.f1).padStart(7)}${mbps.toFixed(1).padStart(7)}`)
  }
  const steps = stages(set)
  console.log(`before any signature: dedupText ${steps.fold.toFixed(1)} MB/s, dedupText + shingleHashes ${steps.shingles.toFixed(1)} MB/s`)
  const n = 200_000
  const minhashMb = indexMemoryPerMillion(n, () => {
    const index = new MinHashLshIndex({ bands: 14, rows: 8, seed: 1, threshold: 0.8 })
    return { add: (id, i) => index.add(id, randomSignature(112, i + 1)) }
  }) / 2 ** 20
  const simhashMb = indexMemoryPerMillion(n, () => {
    const index = new SimHashIndex({ blocks: 4, maxHamming: 3 })
    return { add: (id, i) => { const s = randomSignature(2, i + 1); index.add(id, { hi: s[0]!, lo: s[1]! }) } }
  }) / 2 ** 20
  console.log(`index memory per million documents (from ${n.toLocaleString('en')} random signatures): minhash 14x8 ${minhashMb.toFixed(0)} MiB, simhash k=3 ${simhashMb.toFixed(0)} MiB`)
  if (values['no-datatrove'] === true) return
  const start = process.hrtime.bigint()
  const dt = datatrove(set)
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  if (typeof dt === 'string') { console.log(`datatrove: not run (${dt}); pip install datatrove tokenizers xxhash spacy jieba`); return }
  const s = score(set, dt)
  const ours = score(set, run(set, METHODS[0]!.config).clusters)
  console.log(`datatrove minhash 14x8 (5-grams of its word tokens): precision ${pct(s.precision)} recall ${pct(s.recall)} F1 ${pct(s.f1)} in ${seconds.toFixed(1)} s`)
  console.log(`F1 on the same set: sluice minhash 14x8 ${pct(ours.f1)}, datatrove ${pct(s.f1)}`)
}
