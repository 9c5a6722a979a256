import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { Option, type Command } from 'commander'
import { z } from 'zod'
import { SluiceError } from '../../schemas/errors.ts'
import type { Lang } from '../../streams/quality/lm/tokens.ts'
import { formatBytes, formatCount, log } from '../log.ts'
import { validate } from './options.ts'

export const DEFAULT_TEXT_FIELDS = ['text', 'raw_content', 'content', 'articleBody']

/**
 * Default calibration sets, under ../shared/data: typical crawled web text of each language, the
 * population Ziya2 ranks by perplexity (best 30% high, next 30% medium, worst 40% dropped), so a
 * percentile says where a document falls among web pages, not among Wikipedia articles. zh: the
 * ChineseWebText Common Crawl sample (spam and SEO pages included) and the CLUECorpusSmall sample
 * (news, web Q&A, comments); en: the C4 and cc_net head samples and the DCLM-annotated Common
 * Crawl pages (good and bad alike).
 */
export const DEFAULT_CALIBRATION: Record<Lang, string[]> = {
  zh: ['web/zh/chinesewebtext-cc2021-43-cleared1.jsonl', 'web/zh/CLUECorpusSmall_sampled.txt.gz'],
  en: ['web/en/olmo-c4-sample.01.json.gz', 'web/en/olmo-c4-sample.02.json.gz', 'web/en/olmo-c4_100_domains-theguardian.jsonl.gz',
    'web/en/dolma-cc_en_head-0091.jsonl.gz', 'quality/dclm-agreement_data.jsonl', 'quality/dclm-majority_data.jsonl']
}
const SHARED = '../shared/data'

function pickText (record: unknown, fields: readonly string[]): string | null {
  if (typeof record === 'string') return record
  if (record === null || typeof record !== 'object') return null
  const r = record as Record<string, unknown>
  for (const f of fields) if (typeof r[f] === 'string') return r[f] as string
  if (Array.isArray(r.paragraphs)) return r.paragraphs.filter(p => typeof p === 'string').join('\n')
  return null
}

/** The `.txt` members of a tar archive (ustar, with GNU long names and pax headers skipped over), one document each. */
function * tarTexts (tar: Buffer): Generator<string> {
  let longName: string | null = null
  for (let at = 0; at + 512 <= tar.length;) {
    const header = tar.subarray(at, at + 512)
    if (header.every(b => b === 0)) break
    const field = (from: number, to: number) => header.subarray(from, to).toString('latin1').replace(/\0.*$/s, '')
    const size = parseInt(field(124, 136).trim() || '0', 8)
    const type = field(156, 157)
    const prefix = field(257, 263).startsWith('ustar') ? field(345, 500) : ''
    const name = longName ?? (prefix === '' ? field(0, 100) : `${prefix}/${field(0, 100)}`)
    const body = tar.subarray(at + 512, at + 512 + size)
    at += 512 + Math.ceil(size / 512) * 512
    if (type === 'L') { longName = body.toString('utf8').replace(/\0.*$/s, ''); continue }
    longName = null
    if ((type === '0' || type === '') && name.endsWith('.txt')) yield body.toString('utf8')
  }
}

/**
 * The documents of a text file (`.gz` decompressed): JSON lines by the first of `fields` present
 * (`.jsonl`, `.json` holding one object a line); a JSON array or object of records (`.json`) the
 * same way; a tar archive's `.txt` members one document each (`.tar`, `.tar.gz`, `.tgz`: e.g. the
 * gold main texts of the HTML-extraction benchmarks); any other file one document a line. Records
 * without a text field are counted and reported, not silently skipped. One file is in memory at a
 * time.
 *
 * @example
 * for (const text of readTexts('../shared/data/web/zh/zhwiki_sampled.txt.gz')) train(text)
 */
export function * readTexts (file: string, fields: readonly string[] = DEFAULT_TEXT_FIELDS, skipped?: { count: number }): Generator<string> {
  let bytes: Buffer
  try {
    bytes = fs.readFileSync(file)
    if (/\.(gz|tgz)$/.test(file)) bytes = zlib.gunzipSync(bytes)
  } catch (err) {
    throw new SluiceError('io', `${file}: ${(err as Error).message}`, { retryable: false, cause: err })
  }
  const name = path.basename(file).replace(/\.gz$/, '').replace(/\.tgz$/, '.tar')
  if (name.endsWith('.tar')) { yield * tarTexts(bytes); return }
  const body = bytes.toString('utf8')
  const skip = () => { if (skipped !== undefined) skipped.count++ }
  const trimmed = body.trimStart()
  if (name.endsWith('.json') && (trimmed.startsWith('[') || (trimmed.startsWith('{') && !/\}\s*\n\s*\{/.test(body.slice(0, 1 << 20))))) {
    let parsed: unknown
    try { parsed = JSON.parse(body) } catch (err) { throw new SluiceError('bad_json', `${file}: ${(err as Error).message}`, { retryable: false, cause: err }) }
    const records = Array.isArray(parsed) ? parsed : Object.values(parsed as Record<string, unknown>)
    for (const r of records) { const t = pickText(r, fields); if (t === null) skip(); else yield t }
    return
  }
  const jsonLines = /\.jsonl?$/.test(name)
  for (const line of body.split('\n')) {
    if (line.trim() === '') continue
    if (!jsonLines) { yield line; continue }
    let record: unknown
    try { record = JSON.parse(line) } catch { skip(); continue }
    const t = pickText(record, fields)
    if (t === null) skip(); else yield t
  }
}

const schema = z.strictObject({
  lang: z.enum(['zh', 'en']),
  from: z.array(z.string().min(1)).min(1).optional(),
  sql: z.string().min(1).optional(),
  lake: z.string().min(1),
  textField: z.array(z.string().min(1)).min(1),
  order: z.int('must be a whole number').min(1).max(8),
  calibrate: z.array(z.string().min(1)).min(1).optional(),
  models: z.string().min(1).optional(),
  home: z.string().min(1).optional(),
  arpa: z.string().min(1).optional()
})
type Options = z.output<typeof schema>
const FLAGS = { lang: '--lang', from: '--from', sql: '--sql', lake: '--lake', textField: '--text-field', order: '--order', calibrate: '--calibrate', models: '--models', home: '--home', arpa: '--arpa' }

function checked (raw: Record<string, unknown>): Options {
  const o = validate(schema, {
    ...raw,
    textField: typeof raw.textField === 'string' ? raw.textField.split(',').map(s => s.trim()).filter(s => s !== '') : raw.textField
  }, FLAGS)
  const fail = (message: string) => { throw new SluiceError('config', message, { retryable: false }) }
  if ((o.from === undefined) === (o.sql === undefined)) fail('give the training text with --from <files...> or --sql <query> (one of them)')
  for (const f of o.from ?? []) if (!fs.existsSync(f)) fail(`--from ${f}: no such file`)
  if (o.sql !== undefined && !fs.existsSync(o.lake)) fail(`no lake at ${o.lake} (pass --lake <dir>)`)
  const calibrate = o.calibrate ?? []
  if (!(calibrate.length === 1 && calibrate[0] === 'held-out')) for (const f of calibrate) if (!fs.existsSync(f)) fail(`--calibrate ${f}: no such file`)
  return o
}

/** The calibration files: the given ones, none (held-out) or the defaults under ../shared/data when they are there. */
function calibrationFiles (o: Options): string[] | null {
  if (o.calibrate !== undefined) return o.calibrate.length === 1 && o.calibrate[0] === 'held-out' ? null : o.calibrate
  const files = DEFAULT_CALIBRATION[o.lang].map(f => path.join(SHARED, f))
  const missing = files.filter(f => !fs.existsSync(f))
  if (missing.length > 0) {
    log(`train-lm: default calibration files missing (${missing.join(', ')}); calibrating on every tenth training document instead (pass --calibrate <files...> for typical web text)`)
    return null
  }
  return files
}

/** The non-empty `text` column of a query over the lake's tables (`sluice sql` views), for `--sql` options. */
export async function lakeTexts (lakeDir: string, sql: string): Promise<string[]> {
  const { openLake } = await import('../../lake/sql.ts')
  const lake = await openLake(lakeDir)
  try {
    const result = await lake.connection.runAndReadAll(sql)
    const column = result.columnNames().indexOf('text')
    if (column < 0) throw new SluiceError('config', `--sql: the query has no \`text\` column (it has ${result.columnNames().join(', ')}); select the text as text`, { retryable: false })
    return (result.getRows() as unknown[][]).map(r => r[column]).filter((t): t is string => typeof t === 'string' && t.trim() !== '')
  } catch (err) {
    if (err instanceof SluiceError) throw err
    throw new SluiceError('config', `--sql failed: ${(err as Error).message}`, { retryable: false, cause: err })
  } finally {
    lake.close()
  }
}

function * filesTexts (files: readonly string[], fields: readonly string[], what: string, skipped: { count: number }): Generator<string> {
  for (const file of files) {
    log(`train-lm: reading ${what} ${file}`)
    yield * readTexts(file, fields, skipped)
  }
}

async function trainLm (o: Options): Promise<void> {
  const { trainNgramModel } = await import('../../streams/quality/lm/train.ts')
  const { saveModel } = await import('../../streams/quality/models.ts')
  const { homeDir } = await import('../broker/paths.ts')
  const modelsDir = path.resolve(o.models ?? path.join(homeDir(o.home), 'models'))
  const calibration = calibrationFiles(o)
  if (calibration !== null && o.from !== undefined) {
    const training = new Set(o.from.map(f => path.resolve(f)))
    const shared = calibration.filter(f => training.has(path.resolve(f)))
    if (shared.length > 0) log(`train-lm: warning: ${shared.join(', ')} is both training and calibration text; its documents will rank too well`)
  }
  const skipped = { count: 0 }
  const texts = o.sql !== undefined ? await lakeTexts(o.lake, o.sql) : filesTexts(o.from!, o.textField, 'training text', skipped)
  const calibrationSkipped = { count: 0 }
  const started = Date.now()
  const r = trainNgramModel(texts, {
    lang: o.lang,
    order: o.order,
    calibration: calibration === null ? undefined : filesTexts(calibration, o.textField, 'calibration text', calibrationSkipped),
    arpa: o.arpa !== undefined,
    onProgress: (phase, done) => log(`train-lm: ${phase}${done > 0 ? ` (${formatCount(done)} documents)` : ''} at ${((Date.now() - started) / 1000).toFixed(1)} s`)
  })
  if (skipped.count + calibrationSkipped.count > 0) log(`train-lm: ${formatCount(skipped.count)} training and ${formatCount(calibrationSkipped.count)} calibration records had no text field (${o.textField.join(', ')}) or were not JSON; left out`)
  const s = r.stats
  if (s.discountFallback.length > 0) log(`train-lm: warning: too little data for Chen–Goodman discounts at order ${s.discountFallback.join(', ')}; used the fallback 0.5 / 1 / 1.5`)
  if (s.keyCollisions > 0) log(`train-lm: ${s.keyCollisions} n-grams collided on their 64-bit keys and were left out`)
  const file = saveModel(modelsDir, `lm.${o.lang}`, r.id, 'lm', r.bytes)
  if (o.arpa !== undefined) {
    try { fs.writeFileSync(o.arpa, r.arpa!) } catch (err) { throw new SluiceError('io', `cannot write --arpa ${o.arpa}: ${(err as Error).message}`, { retryable: false, cause: err }) }
  }
  const [q1, q2, q3] = s.calibration.quartiles.map(q => q.toFixed(1))
  log(`train-lm ${o.lang}: ${formatCount(s.tokens)} tokens in ${formatCount(s.documents)} documents (${formatCount(s.sentences)} lines), vocabulary ${formatCount(s.vocabulary)}; ` +
    `${s.order}-gram model, n-grams ${s.ngrams.map(formatCount).join(' / ')}; ${formatBytes(s.bytes)}; ${r.id} in ${s.seconds.toFixed(1)} s; ` +
    `calibration ${formatCount(s.calibration.documents)} documents (${s.calibration.source}), perplexity quartiles ${q1} / ${q2} / ${q3}; ` +
    `saved ${file} (current lm.${o.lang})${o.arpa !== undefined ? `; ARPA ${o.arpa}` : ''}`)
}

/** `sluice quality train-lm`: trains a language's n-gram model (Ziya2 AS) and makes it the current one. */
export function registerTrainLm (quality: Command): void {
  quality.command('train-lm')
    .description('train an n-gram language model (modified Kneser-Ney, like KenLM) on reference text; calibrate its perplexity percentiles on typical web text; save it as the current lm.<lang>')
    .addOption(new Option('--lang <lang>', 'language: zh is scored on characters, en on normalised words').choices(['zh', 'en']).makeOptionMandatory())
    .option('--from <files...>', 'training text: .txt (a document a line), .jsonl, .json (records), .tar (its .txt members), each optionally .gz')
    .option('--sql <query>', 'instead: training text from the lake, the query\'s `text` column')
    .option('--lake <dir>', 'the lake folder (with --sql)', './lake')
    .option('--text-field <names>', 'JSON fields holding the text, first present wins', DEFAULT_TEXT_FIELDS.join(','))
    .option('--order <n>', 'n-gram order', Number, 5)
    .option('--calibrate <files...>', 'typical web text whose perplexities make the percentile scale, or "held-out" for every tenth training document (default: the language\'s web samples in ../shared/data)')
    .option('--models <dir>', 'models folder (default: <home>/models)')
    .option('--home <dir>', 'folder for state (default: $SLUICE_HOME or ./.sluice)')
    .option('--arpa <file>', 'also write the model as ARPA text (for KenLM or inspection)')
    .addHelpText('after', `
Default calibration (Ziya2 ranks crawled pages: best 30% high, next 30% medium, worst 40% dropped):
  zh: ${DEFAULT_CALIBRATION.zh.join(', ')}
  en: ${DEFAULT_CALIBRATION.en.join(', ')}
  (under ${SHARED}; without them, every tenth training document is held out instead)

Examples:
  sluice quality train-lm --lang zh --from ../shared/data/web/zh/zhwiki_sampled.txt.gz
  sluice quality train-lm --lang en --from ../shared/data/web/en/html_extraction/dragnet.tar.gz ../shared/data/web/en/aeb/ground-truth.json
  sluice quality train-lm --lang zh --sql "select text from documents where lang = 'zh' and source = 'wiki'" --calibrate held-out
`)
    .action(async (raw: Record<string, unknown>) => { await trainLm(checked(raw)) })
}
