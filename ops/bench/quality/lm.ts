import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { DEFAULT_CALIBRATION, readTexts } from '../../commands/quality-lm.ts'
import { NgramModel } from '../../../streams/quality/lm/model.ts'
import { trainNgramModel } from '../../../streams/quality/lm/train.ts'
import { BOS_HI, BOS_LO, extendHi, extendLo, tokenKeys, tokenize, type Lang } from '../../../streams/quality/lm/tokens.ts'

const SHARED = path.resolve('../shared/data')
/** Reference text: the zh-Wikipedia sample; English news and blog main texts (Dragnet gold, AEB articles). */
const TRAINING: Record<Lang, string[]> = {
  zh: ['web/zh/zhwiki_sampled.txt.gz'],
  en: ['web/en/html_extraction/dragnet.tar.gz', 'web/en/aeb/ground-truth.json']
}

const texts = (files: string[]) => files.flatMap(f => [...readTexts(path.join(SHARED, f))])
const mbOf = (ts: string[]) => ts.reduce((s, t) => s + Buffer.byteLength(t), 0) / 1e6
const best = (rounds: number, f: () => number) => Math.max(...Array.from({ length: rounds }, f))

/** Keys of every n-gram (orders 1..N, within a line) ending at every token of the texts, as a scorer without its state would ask. */
function realKeys (texts: string[], lang: Lang, order: number, limit: number): { n: Uint8Array, hi: Uint32Array, lo: Uint32Array, length: number } {
  const n = new Uint8Array(limit)
  const hi = new Uint32Array(limit)
  const lo = new Uint32Array(limit)
  let length = 0
  for (const t of texts) {
    const k = tokenKeys(t, lang)
    let start = 0
    for (let i = 0; i < k.length && length + order <= limit; i++) {
      if (k.hi[i] === BOS_HI && k.lo[i] === BOS_LO) { start = i; continue }
      let h = k.hi[i]!
      let l = k.lo[i]!
      for (let o = 1; o <= order && i - o + 1 >= start; o++) {
        if (o > 1) { h = extendHi(h, k.hi[i - o + 1]!); l = extendLo(l, k.lo[i - o + 1]!) }
        n[length] = o; hi[length] = h; lo[length++] = l
      }
    }
  }
  return { n, hi, lo, length }
}

/** Keeps lookup results alive so the timed loops cannot be optimised away. */
let sink = 0

function lookupRates (m: NgramModel, web: string[]): string {
  const K = 1_000_000
  const rn = new Uint8Array(K)
  const rhi = new Uint32Array(K)
  const rlo = new Uint32Array(K)
  let s = 12345
  for (let i = 0; i < K; i++) {
    rn[i] = 1 + (i % m.order)
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0; rhi[i] = s
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0; rlo[i] = s | 1
  }
  const rate = (keys: { n: Uint8Array, hi: Uint32Array, lo: Uint32Array, length: number }) => best(3, () => {
    const t0 = performance.now()
    let found = 0
    for (let i = 0; i < keys.length; i++) if (m.find(keys.n[i]!, keys.hi[i]!, keys.lo[i]!) >= 0) found++
    sink += found
    return keys.length / ((performance.now() - t0) / 1000)
  })
  const real = realKeys(web, m.lang, m.order, 2_000_000)
  let hits = 0
  for (let i = 0; i < real.length; i++) if (m.find(real.n[i]!, real.hi[i]!, real.lo[i]!) >= 0) hits++
  const random = rate({ n: rn, hi: rhi, lo: rlo, length: K })
  const replay = rate(real)
  return `random keys ${(random / 1e6).toFixed(1)}M/s (all misses); real n-grams ${(replay / 1e6).toFixed(1)}M/s (${real.length.toLocaleString('en-US')} keys of orders 1-${m.order} from web text, ${(100 * hits / real.length).toFixed(0)}% hits)`
}

function perplexityRate (m: NgramModel, web: string[]): string {
  const mb = mbOf(web)
  let lookups = 0
  let seconds = Infinity
  for (let r = 0; r < 3; r++) {
    m.lookups = 0
    const t0 = performance.now()
    for (const t of web) m.perplexity(t)
    const s = (performance.now() - t0) / 1000
    if (s < seconds) { seconds = s; lookups = m.lookups }
  }
  const tokens = web.reduce((n, t) => n + m.score(t).tokens, 0)
  return `perplexity ${(mb / seconds).toFixed(1)} MB/s (${web.length.toLocaleString('en-US')} web docs, ${mb.toFixed(1)} MB, ${(tokens / seconds / 1e6).toFixed(2)}M tokens/s, ` +
    `${(lookups / seconds / 1e6).toFixed(1)}M lookups/s while scoring, ${(lookups / tokens).toFixed(2)} lookups/token)`
}

function readArpa (text: string): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>()
  let inGrams = false
  for (const line of text.split('\n')) {
    if (/^\\\d+-grams:$/.test(line)) { inGrams = true; continue }
    if (!inGrams || line === '' || line.startsWith('\\')) continue
    const [p, words, b] = line.split('\t')
    out.set(words!, [Number(p), b === undefined ? 0 : Number(b)])
  }
  return out
}

/** lmplz (KenLM's estimator, $SLUICE_LMPLZ or on PATH) on the same tokens; KenLM's Python query module on the same documents. */
function kenlm (lang: Lang, training: string[], web: string[], order: number, arpa: string, m: NgramModel): string[] {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kenlm-'))
  const lines: string[] = []
  try {
    const lmplz = process.env.SLUICE_LMPLZ ?? 'lmplz'
    const corpus = path.join(work, 'corpus.txt')
    fs.writeFileSync(corpus, training.flatMap(t => tokenize(t, lang).map(l => l.join(' '))).join('\n') + '\n')
    const run = spawnSync(lmplz, ['-o', String(order), '--skip_symbols', '--text', corpus, '--arpa', path.join(work, 'kenlm.arpa')], { encoding: 'utf8' })
    if (run.error !== undefined || run.status !== 0) {
      lines.push(`KenLM lmplz: not run (${run.error?.message ?? run.stderr.trim().split('\n').at(-1)}); build it from the kenlm sources and set SLUICE_LMPLZ`)
    } else {
      const mine = readArpa(arpa)
      const theirs = readArpa(fs.readFileSync(path.join(work, 'kenlm.arpa'), 'utf8'))
      let dp = 0
      let db = 0
      let missing = 0
      for (const [k, [p, b]] of mine) {
        const t = theirs.get(k)
        if (t === undefined) { missing++; continue }
        if (k !== '<s>') dp = Math.max(dp, Math.abs(p - t[0]))
        db = Math.max(db, Math.abs(b - t[1]))
      }
      lines.push(`KenLM lmplz -o ${order} on the same tokens: ${theirs.size.toLocaleString('en-US')} vs ${mine.size.toLocaleString('en-US')} n-grams, ${missing} of ours missing there; ` +
        `max |Δ log10 p| ${dp.toExponential(1)}, max |Δ log10 backoff| ${db.toExponential(1)}`)
    }
    fs.writeFileSync(path.join(work, 'model.arpa'), arpa)
    const docs = web.slice(0, 500).map(t => ({ lines: tokenize(t, lang).map(l => l.join(' ')), log10: m.score(t).log10 }))
    fs.writeFileSync(path.join(work, 'docs.json'), JSON.stringify(docs))
    const py = `import json, sys, kenlm
m = kenlm.Model(sys.argv[1])
docs = json.load(open(sys.argv[2]))
print(max(abs(sum(m.score(l, bos=True, eos=True) for l in d['lines']) - d['log10']) / (sum(len(l.split()) + 1 for l in d['lines']) or 1) for d in docs))`
    const q = spawnSync('python3', ['-c', py, path.join(work, 'model.arpa'), path.join(work, 'docs.json')], { encoding: 'utf8' })
    lines.push(q.status === 0
      ? `KenLM query (Python kenlm) on our ARPA, ${docs.length} web docs: max |Δ log10 p| per token ${Number(q.stdout.trim()).toExponential(1)}`
      : `KenLM query: not run (${(q.stderr.trim().split('\n').at(-1) ?? 'python3 failed')}; pip install kenlm)`)
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
  return lines
}

/**
 * The language models' figures on one core: training time and model size for zh and en, load
 * time, n-gram lookups/s (random keys and real n-grams of web text), perplexity MB/s on web
 * text, and agreement with KenLM when lmplz / the kenlm Python module are installed.
 */
export async function benchLm (): Promise<void> {
  for (const lang of ['zh', 'en'] as const) {
    const training = texts(TRAINING[lang])
    const web = texts(DEFAULT_CALIBRATION[lang])
    const r = trainNgramModel(training, { lang, calibration: web, arpa: true })
    const s = r.stats
    console.log(`lm ${lang}: trained on ${TRAINING[lang].join(' + ')} (${mbOf(training).toFixed(1)} MB, ${s.tokens.toLocaleString('en-US')} tokens) in ${s.seconds.toFixed(1)} s; ` +
      `n-grams ${s.ngrams.map(x => x.toLocaleString('en-US')).join(' / ')}; ${(s.bytes / 2 ** 20).toFixed(1)} MiB (${(s.bytes / s.ngrams.reduce((a, b) => a + b, 0)).toFixed(1)} bytes/n-gram); ` +
      `calibration ${s.calibration.documents} web docs, perplexity quartiles ${s.calibration.quartiles.map(q => q.toFixed(0)).join(' / ')}`)
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-lm-')), `${r.id}.lm`)
    fs.writeFileSync(file, r.bytes)
    const t0 = performance.now()
    const m = NgramModel.load(file)
    console.log(`lm ${lang}: load ${(performance.now() - t0).toFixed(0)} ms (read + sha256 id; no parsing)`)
    fs.rmSync(path.dirname(file), { recursive: true })
    console.log(`lm ${lang}: lookups: ${lookupRates(m, web)}`)
    console.log(`lm ${lang}: ${perplexityRate(m, web)}`)
    for (const line of kenlm(lang, training, web, m.order, r.arpa!, m)) console.log(`lm ${lang}: ${line}`)
  }
  if (sink < 0) console.log(sink)
}
