import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { Kafka } from 'kafkajs'
import { DEAD_LETTER_RAW_BYTES, decodeDeadLetter, type DeadLetter } from '../schemas/deadletter.ts'
import { documentSchema } from '../schemas/document.ts'
import { deadLetterRow, openDeadLetterTable } from './deadletter-table.ts'
import { documentRow, openDocumentsTable } from './documents-table.ts'
import { currentSnapshot } from './iceberg/metadata.ts'
import { partitionOf } from './iceberg/partition.ts'
import { writeParquet } from './iceberg/parquet.ts'
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

/** Where one message goes: a row of the topic's own table, or a dead letter for the `deadletter` table. */
type Routed = { to: 'primary', row: Record<string, unknown> } | { to: 'rejects', row: Record<string, unknown> }

interface TopicRoute {
  topic: string
  primary: IcebergTable
  rejects: IcebergTable
  route: (value: Buffer | null, at: Position) => Routed
  /** Which count the primary rows add to. */
  counts: 'documents' | 'deadLetters'
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
  return { to: 'rejects', row: deadLetterRow(letter) }
}

function routeDocument (value: Buffer | null, at: Position): Routed {
  if (value === null) return rejected(value, at, 'empty message value')
  let json: unknown
  try {
    json = JSON.parse(value.toString('utf8'))
  } catch (err) {
    return rejected(value, at, `not JSON: ${(err as Error).message}`)
  }
  const parsed = documentSchema.check(json)
  return parsed.ok ? { to: 'primary', row: documentRow(parsed.value) } : rejected(value, at, `not a v1 document: ${parsed.message}`)
}

function routeDeadLetter (value: Buffer | null, at: Position): Routed {
  if (value === null) return rejected(value, at, 'empty message value')
  try {
    return { to: 'primary', row: deadLetterRow(decodeDeadLetter(value)) }
  } catch (err) {
    return rejected(value, at, `not a v1 dead letter: ${(err as Error).message}`)
  }
}

/** Writes rows into one Parquet file per partition and commits them, with the offsets they cover, as one snapshot. */
async function commitRows (table: IcebergTable, rows: Array<Record<string, unknown>>, topic: string, covered: Record<string, number>): Promise<void> {
  const { spec, schema } = tableLayout(table)
  const groups = new Map<string, { values: Record<string, string | number | null>, rows: Array<Record<string, unknown>> }>()
  for (const row of rows) {
    const p = partitionOf(spec, schema, row)
    const group = groups.get(p.folder)
    if (group === undefined) groups.set(p.folder, { values: p.values, rows: [row] })
    else group.rows.push(row)
  }
  const files: DataFileEntry[] = []
  for (const [folder, group] of groups) {
    const dir = path.join(table.dataDir, folder)
    fs.mkdirSync(dir, { recursive: true })
    const written = await writeParquet(schema, group.rows, path.join(dir, `sink-${crypto.randomUUID()}.parquet`))
    files.push({ ...written, partition: group.values })
  }
  // offsets merge into whatever the snapshot we land on holds: another topic may share the table
  table.commit({ add: files, summary: parent => ({ [OFFSETS_KEY]: JSON.stringify({ ...snapshotOffsets(parent), [topic]: covered }), 'sluice.source-topic': topic }) })
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
  let buffer: { primary: Array<Record<string, unknown>>, rejects: Array<Record<string, unknown>> } = { primary: [], rejects: [] }
  const buffered = () => buffer.primary.length + buffer.rejects.length
  let firstAt = 0
  const sameTable = route.primary.dir === route.rejects.dir

  const commit = async () => {
    if (buffered() === 0) return
    // take the batch and its offsets in the same tick, so records arriving meanwhile wait for the next one
    const batch = buffer
    const covered = { ...next }
    buffer = { primary: [], rejects: [] }
    if (sameTable) {
      await commitRows(route.primary, [...batch.rejects, ...batch.primary], route.topic, covered)
    } else {
      if (batch.rejects.length > 0) await commitRows(route.rejects, batch.rejects, route.topic, covered)
      if (batch.primary.length > 0) await commitRows(route.primary, batch.primary, route.topic, covered)
    }
    stats.snapshots++
    stats[route.counts] += batch.primary.length
    stats.rejected += batch.rejects.length
    if (batch.rejects.length > 0) log(`${batch.rejects.length} records of ${route.topic} did not fit ${path.basename(route.primary.dir)} and went to deadletter (stage lake)`)
  }
  // commits run one after another: the size trigger and the timer must not commit concurrently
  let chain: Promise<void> = Promise.resolve()
  const flush = async () => { chain = chain.then(commit); await chain }

  await consumeFrom(kafka, {
    topic: route.topic,
    group: 'sluice-lake',
    from: committed.primary,
    busy: () => buffered() > 0,
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
          buffer[routed.to].push(routed.row)
        }
        next[partition] = offset + 1
        if (buffered() >= opts.batchRows) await flush()
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
      sinkTopic(kafka, { topic: opts.documentsTopic, primary: documents, rejects: deadletter, route: routeDocument, counts: 'documents' }, opts, stats),
      sinkTopic(kafka, { topic: opts.deadletterTopic, primary: deadletter, rejects: deadletter, route: routeDeadLetter, counts: 'deadLetters' }, opts, stats)
    ])
    return stats
  } finally {
    release()
  }
}
