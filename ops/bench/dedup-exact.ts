import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import { parseArgs } from 'node:util'
import { SluiceError } from '../../schemas/errors.ts'
import { BloomFilter } from '../../streams/dedup/bloom.ts'
import { contentKey } from '../../streams/dedup/exact.ts'
import { normalizeUrl } from '../../streams/dedup/url.ts'

const SHARED = path.resolve('../shared/data')
const HELP = `npm run bench -- dedup-exact [--keys 1000000]

URL and exact dedup figures on one core: contentKey MB/s on the real Chinese and English texts,
normalizeUrl calls/s, Bloom add/has calls/s and the measured false-positive rate against the
configured one on --keys random keys, the size of a filter for 10M URLs at p=1e-4 (and its
save/load time), and exact-duplicate counts in ../shared/data/dedup and ../shared/data/web.`

const decompress = (file: string) => {
  const bytes = fs.readFileSync(file)
  return (file.endsWith('.gz') ? zlib.gunzipSync(bytes) : bytes).toString('utf8')
}

/**
 * The documents of one text file of the shared data: JSON lines by their text field, a JSON array
 * of poems by their lines, other text files (txt, csv, tsv) one document a line. Markup, WARC/WET and
 * tar files are left out: their pages are not texts yet.
 */
function documents (file: string): string[] | null {
  const name = path.basename(file)
  if (/\.(html|warc|tar)(\.gz)?$|\.wet\.txt$|^dolma-expected-|ground-truth/.test(name)) return null
  const body = decompress(file)
  if (name.endsWith('.json') && body.trimStart().startsWith('[')) {
    return (JSON.parse(body) as Array<{ paragraphs?: string[] }>).map(p => (p.paragraphs ?? []).join('\n'))
  }
  const lines = body.split('\n').filter(l => l.trim() !== '')
  if (!/\.jsonl?(\.gz)?$/.test(name)) return lines
  return lines.map(l => { const d = JSON.parse(l); return String(d.text ?? d.raw_content ?? d.content ?? '') })
}

function walk (dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e => e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]).sort()
}

function perSecond<T> (items: T[], rounds: number, f: (item: T) => unknown): number {
  const start = performance.now()
  for (let r = 0; r < rounds; r++) for (const item of items) f(item)
  return items.length * rounds / ((performance.now() - start) / 1000)
}

function contentKeySpeed (): void {
  const zh = ['web/zh/CLUECorpusSmall_sampled.txt.gz', 'web/zh/zhwiki_sampled.txt.gz', 'web/zh/chinesewebtext-cc2021-43-cleared1.jsonl'].flatMap(f => documents(path.join(SHARED, f)) ?? [])
  const en = ['web/en/olmo-c4-sample.01.json.gz', 'web/en/olmo-c4-sample.02.json.gz', 'web/en/dolma-cc_en_head-0091.jsonl.gz', 'web/en/olmo-c4_100_domains-theguardian.jsonl.gz'].flatMap(f => documents(path.join(SHARED, f)) ?? [])
  contentKey('warm up the character table')
  for (const [lang, texts] of [['zh', zh], ['en', en]] as const) {
    const mb = texts.reduce((s, t) => s + Buffer.byteLength(t), 0) / 1e6
    const rate = perSecond(texts, 10, contentKey)
    console.log(`contentKey ${lang}: ${(rate * mb / texts.length).toFixed(1)} MB/s (${texts.length} docs, ${mb.toFixed(1)} MB, x10)`)
  }
}

function urlSpeed (): void {
  const real = decompress(path.join(SHARED, 'dedup/dolma-documents-000.json.gz')).trim().split('\n').map(l => JSON.parse(l).metadata.url as string)
  const urls = Array.from({ length: 200_000 }, (_, i) => {
    const u = real[i % real.length]!.replace('http://', i % 3 === 0 ? 'HTTPS://' : 'http://')
    return `${u}${u.includes('?') ? '&' : '?'}utm_source=feed${i}&page=${i % 97}#c${i}`
  })
  console.log(`normalizeUrl: ${(perSecond(urls, 3, normalizeUrl) / 1e3).toFixed(0)}k URLs/s (real crawl URLs with case, tracking, query and fragment variants)`)
}

function bloomFigures (n: number): void {
  const inserted = Array.from({ length: n }, (_, i) => `https://example.com/${i.toString(36)}/${Math.random().toString(36).slice(2)}`)
  const probes = Array.from({ length: n }, () => `https://other.example/${Math.random().toString(36).slice(2)}`)
  for (const p of [1e-2, 1e-3, 1e-4]) {
    const f = BloomFilter.create({ capacity: n, fpRate: p })
    const add = perSecond(inserted, 1, k => f.add(k))
    const has = perSecond(probes, 1, k => f.has(k))
    const fp = probes.filter(k => f.has(k)).length / n
    const missed = inserted.filter(k => !f.has(k)).length
    console.log(`bloom n=${n} p=${p}: m=${f.m} k=${f.k} ${(f.sizeBytes / 2 ** 20).toFixed(2)} MiB; add ${(add / 1e6).toFixed(2)}M/s, has ${(has / 1e6).toFixed(2)}M/s; ` +
      `false positives ${fp.toExponential(2)} measured on ${n} random keys (expected ${f.expectedFpRate().toExponential(2)}, from the bits ${f.measuredFpRate().toExponential(2)}); false negatives ${missed}`)
  }
}

async function tenMillionUrls (): Promise<void> {
  const f = BloomFilter.create({ capacity: 10_000_000, fpRate: 1e-4 })
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-bloom-')), 'urls.bloom')
  let start = performance.now()
  await f.save(file)
  const save = performance.now() - start
  start = performance.now()
  await BloomFilter.load(file)
  const load = performance.now() - start
  console.log(`bloom for 10M URLs at p=1e-4: m=${f.m} bits, k=${f.k}, ${f.sizeBytes} bytes (${(f.sizeBytes / 2 ** 20).toFixed(1)} MiB, ${(f.m / 1e7).toFixed(1)} bits/URL); save ${save.toFixed(0)} ms, load ${load.toFixed(0)} ms`)
  fs.rmSync(path.dirname(file), { recursive: true })
}

function exactDuplicates (): void {
  for (const file of [...walk(path.join(SHARED, 'dedup')), ...walk(path.join(SHARED, 'web'))]) {
    const docs = documents(file)
    if (docs === null || docs.length === 0) continue
    const keys = docs.map(contentKey).filter(k => k !== null)
    const dupRaw = docs.length - new Set(docs).size
    const dupKey = keys.length - new Set(keys).size
    console.log(`exact dups ${path.relative(SHARED, file)}: ${docs.length} docs, ${dupRaw} byte-identical, ${dupKey} by content key, ${docs.length - keys.length} without content`)
  }
}

export async function main (argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { keys: { type: 'string', default: '1000000' }, help: { type: 'boolean' } } })
  if (values.help === true) { console.log(HELP); return }
  const n = Number(values.keys)
  if (!Number.isSafeInteger(n) || n < 1) throw new SluiceError('config', `--keys must be a positive integer, got ${values.keys}`)
  contentKeySpeed()
  urlSpeed()
  bloomFigures(n)
  await tenMillionUrls()
  exactDuplicates()
}
