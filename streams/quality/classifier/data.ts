import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { SluiceError } from '../../../schemas/errors.ts'
import { identifyLanguage } from '../../normalize/langid.ts'
import { looksTraditional, toSimplified } from '../../normalize/zh-convert.ts'
import { rng, shuffle, type Example } from './train.ts'

/**
 * Where training examples come from: `<role>[.<lang>]:<file>`, role `pos` (every record is high quality), `neg`
 * (every record is low quality) or `labelled` (each record carries its label); a bare file is `labelled` with the
 * language detected per record. Files may be gzipped; records are JSON lines (text in `text`, `raw_content`,
 * `content` or `articleBody`; label in `label`), fastText lines (`__label__clean <text>`), a JSON object or array of
 * such records, or plain text, one document per line.
 */
export interface ExampleSource {
  file: string
  label: 0 | 1 | null
  lang: string | null
}

/**
 * The default training set, relative to the shared data folder (`../shared/data`). Human labels: DCLM's English
 * annotations (majority vote; the agreement file is a subset of it) and ChineseWebText's clean/dirty examples, as
 * JSON and as jieba-segmented fastText lines. Reference text as positives: Chinese Wikipedia, the Article Extraction
 * Benchmark's gold article bodies, The Guardian pages from C4. Web text as negatives: ChineseWebText's CC-MAIN-2021-43
 * sample, commercial pages and gambling/SEO spam that cc_net's perplexity filter kept (the stand-in for
 * "low-percentile web text" until the n-gram LM ranks a larger crawl).
 */
export const DEFAULT_SOURCES: readonly string[] = [
  'labelled.en:quality/dclm-majority_data.jsonl',
  'pos.zh:quality/chinesewebtext-clean.jsonl',
  'neg.zh:quality/chinesewebtext-dirty.jsonl',
  'labelled.zh:quality/chinesewebtext-fasttext-train.txt',
  'labelled.zh:quality/chinesewebtext-fasttext-test.txt',
  'pos.zh:web/zh/zhwiki_sampled.txt.gz',
  'pos.en:web/en/aeb/ground-truth.json',
  'pos.en:web/en/olmo-c4_100_domains-theguardian.jsonl.gz',
  'neg.zh:web/zh/chinesewebtext-cc2021-43-cleared1.jsonl'
]

/** Shortest text (in characters, spaces aside) taken as an example: Wikipedia's title-only lines are left out. */
export const MIN_EXAMPLE_CHARS = 50

export function parseSource (spec: string, base = '.'): ExampleSource {
  const m = /^(pos|neg|labelled)(?:\.([a-z]{2,3}))?:(.+)$/.exec(spec)
  if (m === null) return { file: path.resolve(base, spec), label: null, lang: null }
  return { file: path.resolve(base, m[3]!), label: m[1] === 'pos' ? 1 : m[1] === 'neg' ? 0 : null, lang: m[2] ?? null }
}

const POSITIVE = new Set(['1', 'true', 'clean', 'high', 'hq', 'good', 'pos', 'positive'])
const NEGATIVE = new Set(['0', 'false', 'dirty', 'low', 'lq', 'bad', 'neg', 'negative'])

function parseLabel (v: unknown): 0 | 1 | null {
  const s = String(v).toLowerCase().replace(/^__label__/, '')
  return POSITIVE.has(s) ? 1 : NEGATIVE.has(s) ? 0 : null
}

interface RawRecord { text: string, label: unknown }

function fromJson (r: unknown): RawRecord | null {
  if (r === null || typeof r !== 'object') return null
  const o = r as Record<string, unknown>
  const text = [o.text, o.raw_content, o.content, o.articleBody].find(v => typeof v === 'string') as string | undefined
  return text === undefined ? null : { text, label: o.label }
}

const CJK_GAP = /([\p{Script=Han}，。、；：？！]) +(?=[\p{Script=Han}，。、；：？！])/gu

function * records (file: string): Generator<RawRecord | { error: string, line: number }> {
  let buf: Buffer
  try {
    buf = fs.readFileSync(file)
  } catch (err) {
    throw new SluiceError('io', `${file}: ${(err as Error).message}`, { retryable: false, cause: err })
  }
  const content = (buf[0] === 0x1f && buf[1] === 0x8b ? zlib.gunzipSync(buf) : buf).toString('utf8').replace(/^\uFEFF/, '')
  const trimmed = content.trimStart()
  if (trimmed.startsWith('[') || (trimmed.startsWith('{') && !/\}\s*\n\s*\{/.test(content.slice(0, 1 << 20)))) {
    // one JSON document: an array of records, or an object of them (the AEB ground truth), or one record
    let doc: unknown
    try { doc = JSON.parse(content) } catch { doc = undefined }
    if (doc !== undefined) {
      const items = Array.isArray(doc) ? doc : fromJson(doc) !== null ? [doc] : Object.values(doc as object)
      for (const item of items) {
        const r = fromJson(item)
        if (r !== null) yield r
      }
      return
    }
  }
  const lines = content.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim()
    if (line === '') continue
    if (line.startsWith('{')) {
      let r: RawRecord | null = null
      try { r = fromJson(JSON.parse(line)) } catch { /* reported below */ }
      yield r ?? { error: 'not a JSON record with a text field', line: i + 1 }
    } else if (line.startsWith('__label__')) {
      const sp = line.indexOf(' ')
      // jieba-segmented Chinese: the spaces between Han characters are the segmenter's, not the writer's
      yield { label: line.slice(0, sp < 0 ? line.length : sp), text: sp < 0 ? '' : line.slice(sp + 1).replace(CJK_GAP, '$1') }
    } else {
      yield { text: line, label: undefined }
    }
  }
}

/**
 * Reads the examples of the given sources. Chinese text is converted to Simplified first, as the normalize stage
 * does before scoring, so that the script variant is not a quality signal. Texts under `MIN_EXAMPLE_CHARS` and
 * exact duplicates (the first one wins) are left out; `onSkip` hears of each with the reason.
 */
export function loadExamples (sources: ExampleSource[], onSkip?: (file: string, reason: string) => void): Array<Example & { source: string }> {
  const seen = new Set<string>()
  const out: Array<Example & { source: string }> = []
  for (const src of sources) {
    const name = path.basename(src.file)
    for (const r of records(src.file)) {
      if ('error' in r) { onSkip?.(name, `line ${r.line}: ${r.error}`); continue }
      const label = src.label ?? parseLabel(r.label)
      if (label === null) {
        throw new SluiceError('config', `${src.file}: a record without a label (${JSON.stringify(r.label)}); name the file pos:<file> or neg:<file>, or label its records 0/1`, { retryable: false })
      }
      let text = r.text
      if (text.replace(/\s+/g, '').length < MIN_EXAMPLE_CHARS) { onSkip?.(name, 'short'); continue }
      const lang = src.lang ?? identifyLanguage(text).lang
      if (lang === 'zh' && looksTraditional(text) > 0) text = toSimplified(text).text
      if (seen.has(text)) { onSkip?.(name, 'duplicate'); continue }
      seen.add(text)
      out.push({ text, label, lang, source: name })
    }
  }
  return out
}

/**
 * Evens out the classes within each language: the larger class is cut (a seeded sample) to the size of the
 * smaller, so accuracy means the same in every language and the model learns no language prior.
 */
export function balanceClasses<T extends Example> (examples: T[], seed = 1): T[] {
  const random = rng(seed ^ 0x27d4eb2f)
  const keep = new Set<number>()
  for (const lang of [...new Set(examples.map(e => e.lang))].sort()) {
    const pos = examples.flatMap((e, i) => e.lang === lang && e.label === 1 ? [i] : [])
    const neg = examples.flatMap((e, i) => e.lang === lang && e.label === 0 ? [i] : [])
    const n = Math.min(pos.length, neg.length)
    for (const g of [pos, neg]) for (const i of shuffle(g, random).slice(0, n)) keep.add(i)
  }
  return examples.filter((_, i) => keep.has(i))
}
