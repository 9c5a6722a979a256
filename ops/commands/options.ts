import fs from 'node:fs'
import path from 'node:path'
import { Option, type Command } from 'commander'
import type { z } from 'zod'
import { DEFAULT_FIELDS, ingestConfigSchema, topicsConfigSchema, type IngestConfig, type TopicsConfig } from '../../schemas/config.ts'
import { SluiceError } from '../../schemas/errors.ts'
import { INPUT_FORMATS } from '../../streams/readers/format.ts'
import type { FilterConfigInput } from '../../streams/filters/config.ts'
import type { StageConfigs } from '../../streams/stages/index.ts'

const int = (v: string) => {
  const n = Number(v.replace(/_/g, ''))
  return Number.isFinite(n) ? n : NaN
}

/** Sizes like 16MiB, 512k, 1g or plain bytes. */
export function parseSize (v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)(i?b)?$/i.exec(v.trim())
  if (m === null) return NaN
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g']
  return Math.round(Number(m[1]) * unit)
}

/** Durations like 7d, 12h, 30m, 45s or 500ms, in milliseconds. */
export function parseDuration (v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/i.exec(v.trim())
  if (m === null) return NaN
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2]!.toLowerCase() as 'ms' | 's' | 'm' | 'h' | 'd' | 'w']
  return Math.round(Number(m[1]) * unit)
}

/** Validates once, before any side effect; the error names the option to fix. */
export function validate<T> (schema: z.ZodType<T>, value: unknown, flags: Record<string, string>): T {
  const r = schema.safeParse(value)
  if (r.success) return r.data
  const issue = r.error.issues[0]!
  const key = String(issue.path[0] ?? '')
  const flag = flags[key] ?? key
  throw new SluiceError('config', `${flag}: ${issue.message}`, { retryable: false })
}

export function addConnectionOptions (cmd: Command): Command {
  return cmd
    .option('--brokers <host:port,...>', 'Kafka bootstrap brokers (default: $SLUICE_BROKERS, else the local broker, started if needed)')
    .option('--home <dir>', 'folder for the local broker and state (default: $SLUICE_HOME or ./.sluice)')
}

export function addTopicOptions (cmd: Command): Command {
  return cmd
    .option('--topic-prefix <prefix>', 'prefix for every topic name, e.g. "test1." gives test1.docs.raw', '')
    .option('--partitions <n>', 'partitions of each pipeline topic when it is created', int, 4)
    .addOption(new Option('--topic-compression <type>', 'broker-side compression of the topics').choices(['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd']).default('producer'))
    .option('--max-message-bytes <size>', 'largest record batch a topic accepts (raise for big documents)', parseSize, 64 * 1024 * 1024)
}

export function topicsConfig (o: Record<string, unknown>): TopicsConfig {
  return validate(topicsConfigSchema, {
    prefix: o.topicPrefix, partitions: o.partitions, compression: o.topicCompression, maxMessageBytes: o.maxMessageBytes
  }, { prefix: '--topic-prefix', partitions: '--partitions', compression: '--topic-compression', maxMessageBytes: '--max-message-bytes' })
}

export function addReaderOptions (cmd: Command): Command {
  return cmd
    .addOption(new Option('--format <format>', 'input format (default: detected from content, then name)').choices([...INPUT_FORMATS]))
    .option('--source <name>', 'source label written into every document (default: the input format)')
    .option('--crawl-id <id>', 'crawl id for every document (default: from WARC warcinfo)')
    .option('--max-doc-bytes <size>', 'documents larger than this are dead-lettered', parseSize, 16 * 1024 * 1024)
    .option('--text-field <paths>', 'JSON field(s) holding the text, first present wins', DEFAULT_FIELDS.text)
    .option('--html-field <paths>', 'JSON field(s) holding raw HTML', DEFAULT_FIELDS.html)
    .option('--url-field <paths>', 'JSON field(s) holding the URL', DEFAULT_FIELDS.url)
    .option('--id-field <paths>', 'JSON field(s) holding an id to keep (default: hash of URL or content)', DEFAULT_FIELDS.id)
    .option('--fetched-at-field <paths>', 'JSON field(s) holding the fetch time', DEFAULT_FIELDS.fetchedAt)
}

export function addIngestOptions (cmd: Command): Command {
  return addReaderOptions(cmd)
    .option('--job <name>', 'names the checkpoint; a re-run of the same job skips what it already sent', 'ingest')
    .option('--batch-bytes <size>', 'commit a Kafka transaction at this many bytes', parseSize, 8 * 1024 * 1024)
    .option('--batch-records <n>', 'commit a Kafka transaction at this many records', int, 5000)
    .option('--linger-ms <ms>', 'commit a Kafka transaction after this long', int, 1000)
    .addOption(new Option('--compression <codec>', 'producer compression on the wire').choices(['none', 'gzip']).default('none'))
}

export function ingestConfig (o: Record<string, unknown>): IngestConfig {
  return validate(ingestConfigSchema, {
    maxDocBytes: o.maxDocBytes,
    batchBytes: o.batchBytes ?? 8 * 1024 * 1024,
    batchRecords: o.batchRecords ?? 5000,
    lingerMs: o.lingerMs ?? 1000,
    job: o.job ?? 'ingest',
    source: o.source,
    crawlId: o.crawlId,
    compression: o.compression ?? 'none',
    jsonl: { text: o.textField, html: o.htmlField, url: o.urlField, id: o.idField, fetchedAt: o.fetchedAtField }
  }, {
    maxDocBytes: '--max-doc-bytes', batchBytes: '--batch-bytes', batchRecords: '--batch-records', lingerMs: '--linger-ms',
    job: '--job', source: '--source', crawlId: '--crawl-id', compression: '--compression', jsonl: '--text-field/--url-field/...'
  })
}

/** The options that configure the pipeline stages (normalize, score, dedup), shared by run, worker and apply. */
export function addStageOptions (cmd: Command): Command {
  return cmd
    .addOption(new Option('--extract <mode>', 'HTML main-text extraction: best (Readability + block classifier), fast (block classifier), off (all visible text)').choices(['best', 'fast', 'off']).default('best'))
    .option('--rule-sets <names...>', 'rule sets of the filter stage (ziya2, gopher, c4, fineweb; default all)')
    .option('--filter-config <file.json>', 'filter config {ruleSets, rules: {<rule>: {enabled, ...thresholds}}, pii: {enabled, mask}}')
    .option('--models <dir>', "quality models and their current.json, or 'none' to skip quality scoring (default: <home>/models)")
    .option('--quality-config <file.json>', 'quality config {buckets: {default: {high, medium}, lang: {zh: ...}, source: {...}}, minClassifierScore}')
    .addOption(new Option('--near <method>', 'near-dedup method: minhash (LSH on estimated Jaccard) or simhash (64-bit, Hamming distance)').choices(['minhash', 'simhash']))
    .option('--dedup-config <file.json>', 'dedup config {exact: {capacity, fpRate, ...}, near: {method, shingles, minhash: {bands, rows, threshold}, simhash: {blocks, maxHamming}}}')
    .option('--dedup-state <dir>', "the dedup worker's state (Bloom filters, near-dup index) (default: <home>/state/<topic prefix>dedup)")
}

function readJsonOption (file: unknown, flag: string): Record<string, unknown> {
  if (file === undefined) return {}
  try {
    return JSON.parse(fs.readFileSync(file as string, 'utf8'))
  } catch (err) {
    throw new SluiceError('config', `${flag} ${file as string}: ${(err as Error).message}`, { retryable: false, cause: err })
  }
}

/** Validates the stage options once, before any side effect; a bad rule or threshold names itself. */
export async function stageConfigs (o: Record<string, unknown>): Promise<StageConfigs> {
  const { normalizeConfigSchema } = await import('../../streams/normalize/config.ts')
  const { compileFilters } = await import('../../streams/filters/config.ts')
  const { parseDedupConfig } = await import('../../streams/dedup/state.ts')
  const { homeDir } = await import('../broker/paths.ts')
  const filter = { ...readJsonOption(o.filterConfig, '--filter-config'), ...(o.ruleSets === undefined ? {} : { ruleSets: o.ruleSets }) } as FilterConfigInput
  compileFilters(filter)
  const mode = (o.extract as string | undefined) ?? 'best'
  const normalize = validate(normalizeConfigSchema, { extract: mode !== 'off', extractMode: mode === 'fast' ? 'fast' : 'best' }, { extract: '--extract', extractMode: '--extract' })
  const { parseQualityConfig } = await import('../../streams/quality/load.ts')
  const models = o.models === 'none' ? null : path.resolve((o.models as string | undefined) ?? path.join(homeDir(o.home as string | undefined), 'models'))
  const quality = parseQualityConfig({ ...readJsonOption(o.qualityConfig, '--quality-config'), models })
  const dedupFile = readJsonOption(o.dedupConfig, '--dedup-config') as { near?: Record<string, unknown> }
  const dedup = parseDedupConfig(o.near === undefined ? dedupFile : { ...dedupFile, near: { ...dedupFile.near, method: o.near } })
  const stateDir = path.resolve((o.dedupState as string | undefined) ?? path.join(homeDir(o.home as string | undefined), 'state', `${(o.topicPrefix as string | undefined) ?? ''}dedup`))
  return { normalize, filter, quality, dedup: { config: dedup, stateDir } }
}
