import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { isUtf8 } from 'node:buffer'
import { parseArgs } from 'node:util'
import { Parser } from 'htmlparser2'
import { extractMainText } from '../../streams/normalize/extract.ts'
import { readabilityArticle } from '../../streams/normalize/extract/readability.ts'

const SHARED = path.resolve('../shared/data/web/en')
const HELP = `npm run bench -- extraction [--limit N] [--dataset NAME] [--method NAME] [--worst K]

Main-text extraction against gold texts: the CleanEval, CleanPortalEval, Dragnet, L3S-GN1 ("page-signal") and
Readability test pages in ../shared/data/web/en/html_extraction/*.tar.gz, and the Article Extraction Benchmark
(../shared/data/web/en/aeb). Token-level F1 per page (bag of lowercased words; CJK characters one token each),
averaged per dataset and over all pages, with precision, recall and MB/s of HTML, for each method.
  --limit N     the first N pages of every dataset (sorted by name), for iteration
  --dataset     only datasets whose name contains this
  --method      only methods whose name contains this
  --worst K     print the K lowest-F1 pages of each method`

export interface GoldPage { dataset: string, id: string, html: string, gold: string, url?: string }

/** Entries of a gzipped ustar/GNU tar; folders, links and pax headers are skipped, GNU long names honoured. */
function * tarEntries (gz: Buffer): Generator<{ name: string, data: Buffer }> {
  const tar = zlib.gunzipSync(gz)
  let longName: string | null = null
  for (let at = 0; at + 512 <= tar.length;) {
    const header = tar.subarray(at, at + 512)
    if (header.every(b => b === 0)) break
    const field = (from: number, len: number): string => header.subarray(from, from + len).toString('latin1').replace(/\0.*$/s, '')
    const size = parseInt(field(124, 12).trim() || '0', 8)
    const type = field(156, 1)
    const prefix = field(345, 155)
    const data = tar.subarray(at + 512, at + 512 + size)
    at += 512 + Math.ceil(size / 512) * 512
    if (type === 'L') { longName = data.toString('utf8').replace(/\0.*$/s, ''); continue }
    const name = longName ?? (prefix === '' ? field(0, 100) : `${prefix}/${field(0, 100)}`)
    longName = null
    if (type === '0' || type === '') yield { name, data }
  }
}

/**
 * Benchmark pages come in several encodings: a byte-order mark or a declared charset wins, then UTF-8 when the bytes
 * are valid UTF-8, else windows-1252 (what browsers assume for old Western pages).
 */
export function decodePage (bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes)
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes)
  const head = Buffer.from(bytes.subarray(0, 4096)).toString('latin1')
  const declared = /<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)/i.exec(head)?.[1]
  if (declared !== undefined && !/^utf-?8$/i.test(declared)) {
    try { return new TextDecoder(declared).decode(bytes) } catch { /* an unknown label falls through to the bytes' own evidence */ }
  }
  return new TextDecoder(isUtf8(bytes) ? 'utf-8' : 'windows-1252').decode(bytes)
}

/** Text of an HTML fragment, a space at every tag; `keep` decides which elements' text counts (all by default). */
function htmlText (html: string, keep: (classes: string[]) => boolean = () => true): string {
  const parts: string[] = []
  const stack: string[] = []
  const parser = new Parser({
    onopentag: (_name, attrs) => { stack.push(attrs.class ?? ''); parts.push(' ') },
    onclosetag: () => { stack.pop(); parts.push(' ') },
    ontext: text => { if (keep(stack)) parts.push(text) }
  }, { decodeEntities: true })
  parser.end(html)
  return parts.join('')
}

/** L3S-GN1 marks text with nested `x-nc-selN` spans; the innermost mark decides. 1 is the headline, 2 the full text. */
function l3sMainText (annotated: string): string {
  return htmlText(annotated, classes => {
    for (let i = classes.length - 1; i >= 0; i--) {
      const m = /x-nc-sel(\d)/.exec(classes[i]!)
      if (m !== null) return m[1] === '1' || m[1] === '2'
    }
    return false
  })
}

/** CleanEval gold texts start with a `URL:` line and mark blocks with `<p>`, `<h>` and `<l>`; inputs start with a `<text id=...>` line. */
const cleanevalGold = (t: string): string => t.replace(/^\s*URL:.*$/m, '').replace(/<\/?[phl]>|<!--[\s\S]*?-->/gi, ' ')
const cleanevalInput = (t: string): string => t.replace(/^\s*<text id=[^>]*>/i, '')

const GOLD_FORMATS: Record<string, (gold: string) => string> = {
  cleaneval: cleanevalGold,
  cleanportaleval: cleanevalGold,
  'page-signal': l3sMainText,
  readability: g => htmlText(g)
}

function tarDataset (file: string): GoldPage[] {
  const dataset = path.basename(file, '.tar.gz')
  const inputs = new Map<string, string>()
  const golds = new Map<string, string>()
  for (const e of tarEntries(fs.readFileSync(file))) {
    const m = /(input|GoldStandard)\/(.+)\.(html|txt)$/.exec(e.name)
    if (m === null) continue
    ;(m[1] === 'input' ? inputs : golds).set(m[2]!, decodePage(e.data))
  }
  const formatGold = GOLD_FORMATS[dataset.replace(/-(dev|final)$/, '')] ?? (g => g)
  const pages: GoldPage[] = []
  for (const [id, html] of inputs) {
    const gold = golds.get(id)
    if (gold !== undefined) pages.push({ dataset, id, html: cleanevalInput(html), gold: formatGold(gold) })
  }
  return pages.sort((a, b) => a.id.localeCompare(b.id))
}

function aebDataset (): GoldPage[] {
  const truth = JSON.parse(fs.readFileSync(path.join(SHARED, 'aeb/ground-truth.json'), 'utf8')) as Record<string, { url: string, articleBody: string }>
  return Object.keys(truth).sort().map(sha => ({
    dataset: 'aeb',
    id: sha,
    html: decodePage(zlib.gunzipSync(fs.readFileSync(path.join(SHARED, 'aeb/html', `${sha}.html.gz`)))),
    gold: truth[sha]!.articleBody,
    url: truth[sha]!.url
  }))
}

/** Every benchmark page with its gold text, dataset by dataset; `limit` keeps the first pages of each. */
export function goldPages (opts: { limit?: number, dataset?: string } = {}): GoldPage[] {
  const dir = path.join(SHARED, 'html_extraction')
  const loaders: Array<[string, () => GoldPage[]]> = [
    ...fs.readdirSync(dir).filter(f => f.endsWith('.tar.gz')).sort()
      .map((f): [string, () => GoldPage[]] => [path.basename(f, '.tar.gz'), () => tarDataset(path.join(dir, f))]),
    ['aeb', aebDataset]
  ]
  return loaders.filter(([name]) => opts.dataset === undefined || name.includes(opts.dataset))
    .flatMap(([, load]) => load().slice(0, opts.limit))
}

/** Lowercased words; every Han, kana or hangul character is a token of its own. */
export function tokens (text: string): string[] {
  return text.toLowerCase().match(/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]|[\p{L}\p{N}\p{M}]+/gu) ?? []
}

export interface Score { precision: number, recall: number, f1: number }

/** Bag-of-tokens overlap. Two empty texts agree fully (a page without an article, correctly left empty). */
export function tokenF1 (predicted: string, gold: string): Score {
  const p = tokens(predicted)
  const g = tokens(gold)
  if (p.length === 0 && g.length === 0) return { precision: 1, recall: 1, f1: 1 }
  const counts = new Map<string, number>()
  for (const t of g) counts.set(t, (counts.get(t) ?? 0) + 1)
  let overlap = 0
  for (const t of p) {
    const c = counts.get(t) ?? 0
    if (c > 0) { overlap++; counts.set(t, c - 1) }
  }
  const precision = p.length === 0 ? 0 : overlap / p.length
  const recall = g.length === 0 ? 0 : overlap / g.length
  return { precision, recall, f1: precision + recall === 0 ? 0 : 2 * precision * recall / (precision + recall) }
}

export type Extractor = (html: string, url?: string) => string

export const extractors: Record<string, Extractor> = {
  sluice: (html, url) => extractMainText(html, { url }).text,
  'sluice-fast': (html, url) => extractMainText(html, { url, fast: true }).text,
  'readability+linkedom': html => {
    const article = readabilityArticle(html)
    return article === null ? '' : htmlText(article.html)
  }
}

export interface ExtractionFigures {
  method: string
  dataset: string
  pages: number
  meanF1: number
  precision: number
  recall: number
  mbPerSec: number
  /** Pages whose extractor threw (scored as empty text). */
  errors: number
  worst: Array<{ id: string, f1: number }>
}

function summarize (method: string, dataset: string, scored: Array<{ id: string, score: Score }>, bytes: number, seconds: number, errors: number): ExtractionFigures {
  const mean = (f: (s: Score) => number): number => scored.reduce((a, x) => a + f(x.score), 0) / Math.max(1, scored.length)
  return {
    method,
    dataset,
    pages: scored.length,
    meanF1: mean(s => s.f1),
    precision: mean(s => s.precision),
    recall: mean(s => s.recall),
    mbPerSec: bytes / 1e6 / seconds,
    errors,
    worst: [...scored].sort((a, b) => a.score.f1 - b.score.f1).slice(0, 20).map(x => ({ id: x.id, f1: x.score.f1 }))
  }
}

/** One extractor over the pages: figures per dataset and one `all` row (mean over all pages). */
export function scoreExtractor (method: string, extract: Extractor, pages: GoldPage[]): ExtractionFigures[] {
  const rows: Array<{ page: GoldPage, score: Score, seconds: number, failed: boolean }> = []
  for (const page of pages) {
    const start = process.hrtime.bigint()
    let text = ''
    let failed = false
    try { text = extract(page.html, page.url) } catch { failed = true }
    rows.push({ page, score: tokenF1(text, page.gold), seconds: Number(process.hrtime.bigint() - start) / 1e9, failed })
  }
  const group = (rs: typeof rows, dataset: string): ExtractionFigures => summarize(method, dataset,
    rs.map(r => ({ id: `${r.page.dataset}/${r.page.id}`, score: r.score })),
    rs.reduce((a, r) => a + Buffer.byteLength(r.page.html), 0), rs.reduce((a, r) => a + r.seconds, 0), rs.filter(r => r.failed).length)
  const datasets = [...new Set(pages.map(p => p.dataset))]
  return [...datasets.map(d => group(rows.filter(r => r.page.dataset === d), d)), group(rows, 'all')]
}

/** All figures of this benchmark, for `npm run bench -- extraction` and the factory benchmark. */
export async function measureExtraction (opts: { limit?: number, dataset?: string, method?: string } = {}): Promise<ExtractionFigures[]> {
  const pages = goldPages(opts)
  return Object.entries(extractors).filter(([name]) => opts.method === undefined || name.includes(opts.method))
    .flatMap(([name, extract]) => {
      for (const p of pages.slice(0, 3)) extract(p.html, p.url) // warm-up: JIT and lazy module state
      return scoreExtractor(name, extract, pages)
    })
}

export async function main (args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { limit: { type: 'string' }, dataset: { type: 'string' }, method: { type: 'string' }, worst: { type: 'string', default: '0' }, help: { type: 'boolean' } }
  })
  if (values.help === true) { process.stdout.write(HELP + '\n'); return }
  const figures = await measureExtraction({ limit: values.limit === undefined ? undefined : Number(values.limit), dataset: values.dataset, method: values.method })
  const worst = Number(values.worst)
  for (const f of figures) {
    process.stdout.write(`${f.method.padEnd(22)} ${f.dataset.padEnd(16)} F1 ${f.meanF1.toFixed(3)}  P ${f.precision.toFixed(3)}  R ${f.recall.toFixed(3)}  ` +
      `${String(f.pages).padStart(5)} pages  ${f.mbPerSec.toFixed(1).padStart(6)} MB/s${f.errors > 0 ? `  ${f.errors} threw` : ''}\n`)
    if (f.dataset !== 'all') for (const w of f.worst.slice(0, worst)) process.stdout.write(`    ${w.f1.toFixed(3)} ${w.id}\n`)
  }
}
