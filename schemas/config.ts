import { z } from 'zod'

/** The pipeline's topics by role; names can be prefixed or overridden so tests and tenants never collide. */
export const TOPIC_ROLES = ['raw', 'normalized', 'scored', 'curated', 'deadletter'] as const
export type TopicRole = typeof TOPIC_ROLES[number]

export const topicsConfigSchema = z.strictObject({
  /** Prepended to every default name (`<prefix>docs.raw`). */
  prefix: z.string().regex(/^[A-Za-z0-9._-]*$/, 'only letters, digits, ".", "_" and "-"').default(''),
  partitions: z.number().int().min(1).max(10_000).default(4),
  replicationFactor: z.number().int().min(1).max(16).default(1),
  /** Broker-side compression of stored batches (`producer` keeps what the producer sent). */
  compression: z.enum(['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd']).default('producer'),
  /** Largest record batch a topic accepts. */
  maxMessageBytes: z.number().int().min(1024 * 1024).max(1024 * 1024 * 1024).default(64 * 1024 * 1024)
})
export type TopicsConfig = z.infer<typeof topicsConfigSchema>

/** Field names seen in the crawls people feed us (C4, Dolma, CCNet, ChineseWebText). */
export const DEFAULT_FIELDS = {
  text: 'text,raw_content,content',
  html: 'html',
  url: 'url,metadata.url',
  id: 'id',
  fetchedAt: 'fetched_at,date_download,timestamp,date'
}

export const ingestConfigSchema = z.strictObject({
  /** A document whose payload is larger is dead-lettered with code `oversize`. */
  maxDocBytes: z.number().int().min(1).default(16 * 1024 * 1024),
  /** A transaction is committed when it holds this many bytes ... */
  batchBytes: z.number().int().min(1024).default(8 * 1024 * 1024),
  /** ... or this many records ... */
  batchRecords: z.number().int().min(1).default(5000),
  /** ... or after this many milliseconds. */
  lingerMs: z.number().int().min(0).default(1000),
  /** Names this ingestion's checkpoint and Kafka transactional id; one running process per job. */
  job: z.string().regex(/^[A-Za-z0-9._-]+$/, 'only letters, digits, ".", "_" and "-"').default('ingest'),
  source: z.string().min(1).optional(),
  crawlId: z.string().min(1).optional(),
  /** Producer compression on the wire. */
  compression: z.enum(['none', 'gzip']).default('none'),
  /** JSON field paths (comma-separated candidates, dotted for nesting) for JSONL and Parquet inputs. */
  jsonl: z.strictObject({
    text: z.string().min(1).default(DEFAULT_FIELDS.text),
    html: z.string().min(1).default(DEFAULT_FIELDS.html),
    url: z.string().min(1).default(DEFAULT_FIELDS.url),
    id: z.string().min(1).default(DEFAULT_FIELDS.id),
    fetchedAt: z.string().min(1).default(DEFAULT_FIELDS.fetchedAt)
  }).default(DEFAULT_FIELDS)
})
export type IngestConfig = z.infer<typeof ingestConfigSchema>
