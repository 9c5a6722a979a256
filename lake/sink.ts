import { isUtf8 } from 'node:buffer'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { Kafka } from 'kafkajs'
import { DEAD_LETTER_RAW_BYTES, deadLetterFromJson, deadLetterSchema, encodeDeadLetter, type DeadLetter } from '../schemas/deadletter.ts'
import { documentSchema, type Document } from '../schemas/document.ts'
import { openDeadLetterTable } from './deadletter-table.ts'
import { dedupClusterRow, openDedupClustersTable } from './dedup-clusters-table.ts'
import { DOCUMENT_JSON_COLUMNS, openDocumentsTable } from './documents-table.ts'
import { currentSnapshot, type PartitionSpec } from './iceberg/metadata.ts'
import { partitionOf } from './iceberg/partition.ts'
import { writeParquetLines } from './iceberg/parquet.ts'
import type { IcebergSchema } from './iceberg/schema.ts'
import type { DataFileEntry, IcebergTable } from './iceberg/table.ts'
import { consumeFrom } from '../streams/kafka/consume.ts'
import { acquireLock, removeOwnOrphans, SINK_FILE } from './own-files.ts'
import { OFFSETS_KEY, snapshotOffsets } from './offsets.ts'

export interface SinkOptions {
  lakeDir: string
  /** docs.curated: documents into `documents` (duplicates also into `dedup_clusters`), those that do not fit its schema into `deadletter`. */
  documentsTopic: string
  /** docs.deadletter: dead letters of every stage into `deadletter`. */
  deadletterTopic: string
  /** Commit a snapshot once this many rows are buffered ... */
  batchRows: number
  /** ... or this long after the first buffered one. */
  batchMs: number
  /** Stop after no record arrived for this long (for batch runs and tests); otherwise run until aborted. */
  stopWhenIdleMs?: number
  /** While this says no, idleness does not count (in one process, the stages feeding the sink are still running). */
  upstreamDone?: () => boolean
  signal?: AbortSignal
  log?: (line: string) => void
}

export interface SinkStats {
  documents: number
  deadLetters: number
  /** Records of docs.curated that did not fit the documents schema (in `deadletter`, stage `lake`). */
  rejected: number
  /** Documents of docs.curated removed as duplicates (also in `dedup_clusters`). */
  duplicates: number
  snapshots: number
  orphansRemoved: number
}

interface Position { topic: string, partition: number, offset: string }

type TableName = 'documents' | 'deadletter' | 'dedup_clusters'

/** A table the sink writes, with the columns it stores as JSON text and its layout. */
interface SinkTable { table: IcebergTable, jsonColumns: readonly string[], spec: PartitionSpec, schema: IcebergSchema }

/**
 * One row a message gives one table. `line` is the NDJSON the Parquet writer reads (for valid
 * messages, their own bytes); `fields` is the parsed record, which decides the partition;
 * `counts` is the figure of `SinkStats` it adds to.
 */
interface Row { to: TableName, line: Uint8Array, fields: Record<string, unknown>, counts: 'documents' | 'deadLetters' | 'rejected' | 'duplicates' }

interface TopicRoute {
  topic: string
  /** The tables the topic feeds. The first is the one a restart seeks by, so it commits after the others. */
  tables: readonly [TableName, ...TableName[]]
  route: (value: Buffer | null, at: Position) => Row[]
}

/** A record that does not fit its table, as a dead letter of the lake stage: never coerced, never lost. */
function rejected (value: Buffer | null, at: Position, message: string): Row {
  const raw = value === null ? null : value.subarray(0, DEAD_LETTER_RAW_BYTES)
  const letter: DeadLetter = {
    schema_version: 1,
    stage: 'lake',
    code: 'bad_schema',
    message,
    at: new Date().toISOString(),
    provenance: { file: null, offset: null, length: null, topic: at.topic, partition: at.partition, kafka_offset: Number(at.offset) },
    raw: raw === null ? null : new Uint8Array(raw),
    raw_truncated: value !== null && value.length > DEAD_LETTER_RAW_BYTES
  }
  return { to: 'deadletter', line: encodeDeadLetter(letter), fields: letter, counts: 'rejected' }
}

/** Checks a message against a schema and keeps its own bytes: no object is built back into JSON. */
function checked (value: Buffer | null, at: Position, check: (json: unknown) => { ok: true, value: unknown } | { ok: false, message: string }, what: string): { line: Buffer, fields: Record<string, unknown> } | Row {
  if (value === null) return rejected(value, at, 'empty message value')
  // the bytes go to DuckDB as they are, and one invalid sequence would fail the whole file
  if (!isUtf8(value)) return rejected(value, at, 'not valid UTF-8')
  let json: unknown
  try {
    json = JSON.parse(value.toString('utf8'))
  } catch (err) {
    return rejected(value, at, `not JSON: ${(err as Error).message}`)
  }
  const parsed = check(json)
  return parsed.ok ? { line: value, fields: json as Record<string, unknown> } : rejected(value, at, `not a v1 ${what}: ${parsed.message}`)
}

/** A document into `documents`, and a duplicate also into `dedup_clusters`. */
function routeDocument (value: Buffer | null, at: Position): Row[] {
  const doc = checked(value, at, j => documentSchema.check(j), 'document')
  if ('to' in doc) return [doc]
  const dup = dedupClusterRow(doc.fields as Document, { ...at, offset: Number(at.offset) })
  return [
    { to: 'documents', ...doc, counts: 'documents' },
    ...dup === null ? [] : [{ to: 'dedup_clusters', line: Buffer.from(JSON.stringify(dup)), fields: dup, counts: 'duplicates' } satisfies Row]
  ]
}

function routeDeadLetter (value: Buffer | null, at: Position): Row[] {
  const letter = checked(value, at, j => deadLetterSchema.check(deadLetterFromJson(j)), 'dead letter')
  return ['to' in letter ? letter : { to: 'deadletter', ...letter, counts: 'deadLetters' }]
}

interface Pending { line: Uint8Array, partition: { values: Record<string, string | number | null>, folder: string }, counts: Row['counts'] }

/** Writes lines into one Parquet file per partition and commits them, with the offsets they cover, as one snapshot. */
async function commitLines (target: SinkTable, pending: Pending[], topic: string, covered: Record<string, number>): Promise<void> {
  const { table } = target
  const groups = new Map<string, { values: Record<string, string | number | null>, lines: Uint8Array[] }>()
  for (const p of pending) {
    const group = groups.get(p.partition.folder)
    if (group === undefined) groups.set(p.partition.folder, { values: p.partition.values, lines: [p.line] })
    else group.lines.push(p.line)
  }
  const files: DataFileEntry[] = []
  for (const [folder, group] of groups) {
    const dir = path.join(table.dataDir, folder)
    fs.mkdirSync(dir, { recursive: true })
    const written = await writeParquetLines(target.schema, group.lines, path.join(dir, `sink-${crypto.randomUUID()}.parquet`), { jsonColumns: target.jsonColumns })
    files.push({ ...written, partition: group.values })
  }
  // offsets merge into whatever the snapshot we land on holds: another topic may share the table
  const message = `sink: ${pending.length} rows from ${topic} up to offsets ${Object.entries(covered).map(([p, o]) => `${p}:${o}`).join(' ')}`
  table.commit({ add: files, summary: parent => ({ [OFFSETS_KEY]: JSON.stringify({ ...snapshotOffsets(parent), [topic]: covered }), 'sluice.source-topic': topic, 'sluice.message': message }) })
}

function sinkTable (table: IcebergTable, jsonColumns: readonly string[] = []): SinkTable {
  const m = table.metadata
  return {
    table,
    jsonColumns,
    spec: m['partition-specs'].find(s => s['spec-id'] === m['default-spec-id'])!,
    schema: m.schemas.find(s => s['schema-id'] === m['current-schema-id'])!
  }
}

/**
 * Consumes one topic into its tables, exactly once: each snapshot records in its summary the next
 * offset of every partition it covers, a restart seeks to the first table's offsets, and a row
 * below the offsets of the table it goes to is already there and skipped. The other tables
 * (dead letters, dedup clusters) commit before the first one, so a crash between the commits
 * leaves them ahead, never missing.
 */
async function sinkTopic (kafka: Kafka, route: TopicRoute, tables: Record<TableName, SinkTable>, opts: SinkOptions, stats: SinkStats): Promise<void> {
  const log = opts.log ?? (() => {})
  const [first, ...others] = route.tables
  const committed = Object.fromEntries(route.tables.map(t => [t, { ...snapshotOffsets(currentSnapshot(tables[t].table.metadata))[route.topic] }])) as Record<TableName, Record<string, number>>
  const next: Record<string, number> = { ...committed[first] }
  const empty = () => Object.fromEntries(route.tables.map(t => [t, []])) as unknown as Record<TableName, Pending[]>
  let buffer = empty()
  let buffered = 0
  let firstAt = 0

  const commit = async () => {
    if (buffered === 0) return
    // take the batch and its offsets in the same tick, so records arriving meanwhile wait for the next one
    const batch = buffer
    const covered = { ...next }
    buffer = empty()
    buffered = 0
    for (const t of [...others, first]) if (batch[t].length > 0) await commitLines(tables[t], batch[t], route.topic, covered)
    stats.snapshots++
    let rejects = 0
    for (const rows of Object.values(batch)) for (const r of rows) { stats[r.counts]++; if (r.counts === 'rejected') rejects++ }
    if (rejects > 0) log(`${rejects} records of ${route.topic} did not fit ${first} and went to deadletter (stage lake)`)
  }
  // commits run one after another: the size trigger and the timer must not commit concurrently
  let chain: Promise<void> = Promise.resolve()
  const flush = async () => { chain = chain.then(commit); await chain }
  let inFlight: Promise<void> = Promise.resolve()

  await consumeFrom(kafka, {
    topic: route.topic,
    // every sink reads every partition: a group of its own
    group: `sluice-lake-${crypto.randomUUID()}`,
    maxBytesPerPartition: 16 << 20,
    from: committed[first],
    busy: () => buffered > 0 || opts.upstreamDone?.() === false,
    stopWhenIdleMs: opts.stopWhenIdleMs,
    signal: opts.signal,
    onTick: async () => { if (buffered > 0 && Date.now() - firstAt >= opts.batchMs) await flush() },
    onBatch: async (partition, messages) => {
      for (const m of messages) {
        const offset = Number(m.offset)
        for (const row of route.route(m.value, { topic: route.topic, partition, offset: m.offset })) {
          // a row below its table's offset was committed there before a crash
          if (offset < (committed[row.to][partition] ?? 0)) continue
          if (buffered === 0) firstAt = Date.now()
          const { spec, schema } = tables[row.to]
          buffer[row.to].push({ line: row.line, partition: partitionOf(spec, schema, row.fields), counts: row.counts })
          buffered++
        }
        next[partition] = offset + 1
        if (buffered >= opts.batchRows) {
          // one commit writes while the next batch is read (DuckDB's COPY runs off the JS thread)
          await inFlight
          inFlight = flush()
          inFlight.catch(() => {})
        }
      }
    }
  })
  await flush()
}

/**
 * The lake sink: docs.curated into `documents` (its duplicates also into `dedup_clusters`) and
 * docs.deadletter into `deadletter`, each exactly once (see `sinkTopic`). It holds the lake's sink lock while it runs, which is what makes Parquet
 * files of an earlier sink that no snapshot references provably orphans: they are removed at start.
 */
export async function runLakeSink (kafka: Kafka, opts: SinkOptions): Promise<SinkStats> {
  const tables: Record<TableName, SinkTable> = {
    documents: sinkTable(openDocumentsTable(opts.lakeDir), DOCUMENT_JSON_COLUMNS),
    deadletter: sinkTable(openDeadLetterTable(opts.lakeDir)),
    dedup_clusters: sinkTable(openDedupClustersTable(opts.lakeDir))
  }
  const release = acquireLock(path.join(opts.lakeDir, '.sink.lock'), 'sink')
  try {
    const stats: SinkStats = { documents: 0, deadLetters: 0, rejected: 0, duplicates: 0, snapshots: 0, orphansRemoved: 0 }
    for (const { table } of Object.values(tables)) stats.orphansRemoved += removeOwnOrphans(table, SINK_FILE)
    if (stats.orphansRemoved > 0) opts.log?.(`removed ${stats.orphansRemoved} data files a previous sink wrote but never committed`)
    await Promise.all([
      sinkTopic(kafka, { topic: opts.documentsTopic, tables: ['documents', 'deadletter', 'dedup_clusters'], route: routeDocument }, tables, opts, stats),
      sinkTopic(kafka, { topic: opts.deadletterTopic, tables: ['deadletter'], route: routeDeadLetter }, tables, opts, stats)
    ])
    return stats
  } finally {
    release()
  }
}
