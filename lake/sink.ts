import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { Kafka } from 'kafkajs'
import { documentSchema, type Document } from '../schemas/document.ts'
import { documentPartition, documentRow, DOCUMENTS_SCHEMA, openDocumentsTable } from './documents-table.ts'
import { writeParquet } from './iceberg/parquet.ts'
import type { DataFileEntry, IcebergTable } from './iceberg/table.ts'

/** Snapshot summary key holding the next Kafka offset of every partition the table covers. */
export const OFFSETS_KEY = 'sluice.kafka-offsets'

type Offsets = Record<string, Record<string, number>>

export interface SinkOptions {
  lakeDir: string
  topic: string
  /** Commit a snapshot once this many documents are buffered ... */
  batchRows: number
  /** ... or this long after the first buffered one. */
  batchMs: number
  /** Stop after no record arrived for this long (for batch runs and tests); otherwise run until aborted. */
  stopWhenIdleMs?: number
  signal?: AbortSignal
  log?: (line: string) => void
}

export interface SinkStats { rows: number, snapshots: number, invalid: number, orphansRemoved: number }

function committedOffsets (table: IcebergTable): Offsets {
  const current = table.metadata.snapshots.find(s => s['snapshot-id'] === table.metadata['current-snapshot-id'])
  const raw = current?.summary[OFFSETS_KEY]
  return raw === undefined ? {} : JSON.parse(raw) as Offsets
}

/** Parquet files under data/ that no snapshot references: what a crash between write and commit leaves. */
function removeOrphans (table: IcebergTable): number {
  const live = new Set(table.metadata.snapshots.flatMap(s => table.dataFiles(s).map(f => f.path)))
  let removed = 0
  const walk = (dir: string) => {
    for (const e of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
      const full = path.join(dir, e.name)
      if (e.isDirectory()) walk(full)
      else if (!live.has(full)) { fs.rmSync(full); removed++ }
    }
  }
  walk(table.dataDir)
  return removed
}

/**
 * Consumes documents from Kafka into the `documents` table, exactly once: each snapshot records
 * in its summary the next offset of every partition it covers, and a restart seeks there (and
 * skips anything below it), so the table and the offsets can never disagree. Data files a crash
 * left uncommitted are removed at start.
 */
export async function runDocumentsSink (kafka: Kafka, opts: SinkOptions): Promise<SinkStats> {
  const log = opts.log ?? (() => {})
  const table = openDocumentsTable(opts.lakeDir)
  const stats: SinkStats = { rows: 0, snapshots: 0, invalid: 0, orphansRemoved: removeOrphans(table) }
  if (stats.orphansRemoved > 0) log(`removed ${stats.orphansRemoved} data files a previous run wrote but never committed`)
  const offsets = committedOffsets(table)
  const next: Record<string, number> = { ...(offsets[opts.topic] ?? {}) }
  let buffer: Document[] = []
  let firstAt = 0
  let lastMessageAt = Date.now()

  const commit = async () => {
    if (buffer.length === 0) return
    // take the batch and its offsets in the same tick, so documents arriving meanwhile wait for the next one
    const batch = buffer
    const covered = { ...next }
    buffer = []
    const groups = new Map<string, Document[]>()
    for (const d of batch) {
      const p = documentPartition(d)
      const key = `lang=${p.lang ?? '__null__'}/ingested_at_day=${new Date(p.ingested_at_day * 86_400_000).toISOString().slice(0, 10)}`
      const group = groups.get(key)
      if (group === undefined) groups.set(key, [d])
      else group.push(d)
    }
    const files: DataFileEntry[] = []
    for (const [key, docs] of groups) {
      const dir = path.join(table.dataDir, key)
      fs.mkdirSync(dir, { recursive: true })
      const written = await writeParquet(DOCUMENTS_SCHEMA, docs.map(documentRow), path.join(dir, `${crypto.randomUUID()}.parquet`))
      files.push({ ...written, partition: documentPartition(docs[0]!) })
    }
    table.append(files, { [OFFSETS_KEY]: JSON.stringify({ ...offsets, [opts.topic]: covered }), 'sluice.source-topic': opts.topic })
    stats.rows += batch.length
    stats.snapshots++
  }
  // commits run one after another: the size trigger and the timer must not append concurrently
  let chain: Promise<void> = Promise.resolve()
  const flush = async () => { chain = chain.then(commit); await chain }

  const consumer = kafka.consumer({ groupId: `sluice-lake-documents-${crypto.randomUUID()}`, readUncommitted: false, maxBytesPerPartition: 16 << 20 })
  await consumer.connect()
  await consumer.subscribe({ topic: opts.topic, fromBeginning: true })
  let failure: unknown = null
  let finish!: () => void
  const done = new Promise<void>(resolve => { finish = resolve })
  consumer.on(consumer.events.GROUP_JOIN, () => {
    for (const [partition, offset] of Object.entries(next)) consumer.seek({ topic: opts.topic, partition: Number(partition), offset: String(offset) })
  })
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch, heartbeat }) => {
      for (const m of batch.messages) {
        // below the committed offset: already in the table (a fetch that raced the seek)
        if (Number(m.offset) < (next[batch.partition] ?? 0)) continue
        lastMessageAt = Date.now()
        const parsed = m.value === null ? null : documentSchema.check(JSON.parse(m.value.toString()))
        if (parsed?.ok === true) {
          if (buffer.length === 0) firstAt = Date.now()
          buffer.push(parsed.value)
        } else {
          stats.invalid++
          log(`skipped ${opts.topic}/${batch.partition}@${m.offset}: ${parsed === null ? 'empty value' : parsed.message}`)
        }
        next[batch.partition] = Number(m.offset) + 1
        if (buffer.length >= opts.batchRows) await flush().catch(err => { failure = err; finish() })
      }
      await heartbeat()
    }
  })
  const timer = setInterval(() => {
    if (buffer.length > 0 && Date.now() - firstAt >= opts.batchMs) flush().catch(err => { failure = err; finish() })
    if (opts.stopWhenIdleMs !== undefined && buffer.length === 0 && Date.now() - lastMessageAt >= opts.stopWhenIdleMs) finish()
  }, 100)
  opts.signal?.addEventListener('abort', () => finish(), { once: true })
  await done
  clearInterval(timer)
  await consumer.disconnect()
  if (failure !== null) throw failure
  await flush()
  return stats
}
