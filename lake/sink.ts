import { isUtf8 } from 'node:buffer'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { Kafka } from 'kafkajs'
import { DEAD_LETTER_RAW_BYTES, deadLetterFromJson, deadLetterSchema, encodeDeadLetter, type DeadLetter } from '../schemas/deadletter.ts'
import { documentSchema } from '../schemas/document.ts'
import { openDeadLetterTable } from './deadletter-table.ts'
import { DOCUMENT_JSON_COLUMNS, openDocumentsTable } from './documents-table.ts'
import { currentSnapshot } from './iceberg/metadata.ts'
import { partitionOf } from './iceberg/partition.ts'
import { writeParquetLines } from './iceberg/parquet.ts'
import type { DataFileEntry, IcebergTable } from './iceberg/table.ts'
import { consumeFrom } from '../streams/kafka/consume.ts'
import { acquireLock, removeOwnOrphans, SINK_FILE } from './own-files.ts'
import { OFFSETS_KEY, snapshotOffsets } from './offsets.ts'

export interface SinkOptions {
  lakeDir: string
  /** docs.curated: documents into `documents`, those that do not fit its schema into `deadletter`. */
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
  snapshots: number
  orphansRemoved: number
}

interface Position { topic: string, partition: number, offset: string }

/**
 * Where one message goes: a line for the topic's own table, or a dead letter for the `deadletter`
 * table. `line` is the NDJSON the Parquet writer reads (for valid messages, their own bytes);
 * `fields` is the parsed record, which decides the partition.
 */
interface Routed { to: 'primary' | 'rejects', line: Uint8Array, fields: Record<string, unknown> }

interface TopicRoute {
  topic: string
  primary: IcebergTable
  rejects: IcebergTable
  route: (value: Buffer | null, at: Position) => Routed
  /** Which count the primary rows add to. */
  counts: 'documents' | 'deadLetters'
  /** JSON-valued columns of the primary table, stored as text. */
  jsonColumns: readonly string[]
}

/** A record that does not fit its table, as a dead letter of the lake stage: never coerced, never lost. */
function rejected (value: Buffer | null, at: Position, message: string): Routed {
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
  return { to: 'rejects', line: encodeDeadLetter(letter), fields: letter }
}

/** Checks a message against a schema and passes its own bytes on: no object is built back into JSON. */
function routeValid (value: Buffer | null, at: Position, check: (json: unknown) => { ok: true, value: unknown } | { ok: false, message: string }, what: string): Routed {
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
  return parsed.ok ? { to: 'primary', line: value, fields: json as Record<string, unknown> } : rejected(value, at, `not a v1 ${what}: ${parsed.message}`)
}

const routeDocument = (value: Buffer | null, at: Position) => routeValid(value, at, j => documentSchema.check(j), 'document')
const routeDeadLetter = (value: Buffer | null, at: Position) => routeValid(value, at, j => deadLetterSchema.check(deadLetterFromJson(j)), 'dead letter')

interface Pending { line: Uint8Array, partition: { values: Record<string, string | number | null>, folder: string } }

/** Writes lines into one Parquet file per partition and commits them, with the offsets they cover, as one snapshot. */
async function commitLines (table: IcebergTable, pending: Pending[], topic: string, covered: Record<string, number>, jsonColumns: readonly string[]): Promise<void> {
  const { schema } = tableLayout(table)
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
    const written = await writeParquetLines(schema, group.lines, path.join(dir, `sink-${crypto.randomUUID()}.parquet`), { jsonColumns })
    files.push({ ...written, partition: group.values })
  }
  // offsets merge into whatever the snapshot we land on holds: another topic may share the table
  const message = `sink: ${pending.length} rows from ${topic} up to offsets ${Object.entries(covered).map(([p, o]) => `${p}:${o}`).join(' ')}`
  table.commit({ add: files, summary: parent => ({ [OFFSETS_KEY]: JSON.stringify({ ...snapshotOffsets(parent), [topic]: covered }), 'sluice.source-topic': topic, 'sluice.message': message }) })
}

function tableLayout (table: IcebergTable) {
  const m = table.metadata
  return {
    spec: m['partition-specs'].find(s => s['spec-id'] === m['default-spec-id'])!,
    schema: m.schemas.find(s => s['schema-id'] === m['current-schema-id'])!
  }
}

/**
 * Consumes one topic into its table, exactly once: each snapshot records in its summary the
 * next offset of every partition it covers, a restart seeks to the primary table's offsets, and a
 * record below the offsets of the table it routes to is already there and skipped. Rejects are
 * committed before the primary rows of the same batch, so a crash between the two commits leaves
 * rejects ahead, never missing.
 */
async function sinkTopic (kafka: Kafka, route: TopicRoute, opts: SinkOptions, stats: SinkStats): Promise<void> {
  const log = opts.log ?? (() => {})
  const committed = {
    primary: { ...snapshotOffsets(currentSnapshot(route.primary.metadata))[route.topic] },
    rejects: { ...snapshotOffsets(currentSnapshot(route.rejects.metadata))[route.topic] }
  }
  const next: Record<string, number> = { ...committed.primary }
  let buffer: { primary: Pending[], rejects: Pending[] } = { primary: [], rejects: [] }
  const buffered = () => buffer.primary.length + buffer.rejects.length
  let firstAt = 0
  const sameTable = route.primary.dir === route.rejects.dir
  const primaryLayout = tableLayout(route.primary)
  const rejectsLayout = tableLayout(route.rejects)

  const commit = async () => {
    if (buffered() === 0) return
    // take the batch and its offsets in the same tick, so records arriving meanwhile wait for the next one
    const batch = buffer
    const covered = { ...next }
    buffer = { primary: [], rejects: [] }
    if (sameTable) {
      await commitLines(route.primary, [...batch.rejects, ...batch.primary], route.topic, covered, route.jsonColumns)
    } else {
      if (batch.rejects.length > 0) await commitLines(route.rejects, batch.rejects, route.topic, covered, [])
      if (batch.primary.length > 0) await commitLines(route.primary, batch.primary, route.topic, covered, route.jsonColumns)
    }
    stats.snapshots++
    stats[route.counts] += batch.primary.length
    stats.rejected += batch.rejects.length
    if (batch.rejects.length > 0) log(`${batch.rejects.length} records of ${route.topic} did not fit ${path.basename(route.primary.dir)} and went to deadletter (stage lake)`)
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
    from: committed.primary,
    busy: () => buffered() > 0 || opts.upstreamDone?.() === false,
    stopWhenIdleMs: opts.stopWhenIdleMs,
    signal: opts.signal,
    onTick: async () => { if (buffered() > 0 && Date.now() - firstAt >= opts.batchMs) await flush() },
    onBatch: async (partition, messages) => {
      for (const m of messages) {
        const offset = Number(m.offset)
        const routed = route.route(m.value, { topic: route.topic, partition, offset: m.offset })
        // a reject below the rejects table's offset was committed there before a crash
        if (!(routed.to === 'rejects' && !sameTable && offset < (committed.rejects[partition] ?? 0))) {
          if (buffered() === 0) firstAt = Date.now()
          const layout = routed.to === 'primary' ? primaryLayout : rejectsLayout
          buffer[routed.to].push({ line: routed.line, partition: partitionOf(layout.spec, layout.schema, routed.fields) })
        }
        next[partition] = offset + 1
        if (buffered() >= opts.batchRows) {
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
 * The lake sink: docs.curated into `documents` and docs.deadletter into `deadletter`, each exactly
 * once (see `sinkTopic`). It holds the lake's sink lock while it runs, which is what makes Parquet
 * files of an earlier sink that no snapshot references provably orphans: they are removed at start.
 */
export async function runLakeSink (kafka: Kafka, opts: SinkOptions): Promise<SinkStats> {
  const documents = openDocumentsTable(opts.lakeDir)
  const deadletter = openDeadLetterTable(opts.lakeDir)
  const release = acquireLock(path.join(opts.lakeDir, '.sink.lock'), 'sink')
  try {
    const stats: SinkStats = { documents: 0, deadLetters: 0, rejected: 0, snapshots: 0, orphansRemoved: 0 }
    for (const table of [documents, deadletter]) stats.orphansRemoved += removeOwnOrphans(table, SINK_FILE)
    if (stats.orphansRemoved > 0) opts.log?.(`removed ${stats.orphansRemoved} data files a previous sink wrote but never committed`)
    await Promise.all([
      sinkTopic(kafka, { topic: opts.documentsTopic, primary: documents, rejects: deadletter, route: routeDocument, counts: 'documents', jsonColumns: DOCUMENT_JSON_COLUMNS }, opts, stats),
      sinkTopic(kafka, { topic: opts.deadletterTopic, primary: deadletter, rejects: deadletter, route: routeDeadLetter, counts: 'deadLetters', jsonColumns: [] }, opts, stats)
    ])
    return stats
  } finally {
    release()
  }
}
