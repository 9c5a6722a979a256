import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { SluiceError } from '../schemas/errors.ts'
import { trainedOnSchema, type TrainedOn } from '../schemas/trained-on.ts'
import type { Batch } from '../trainer/stream.ts'
import type { PartitionSpec } from './iceberg/metadata.ts'
import { writeParquet } from './iceberg/parquet.ts'
import { partitionOf } from './iceberg/partition.ts'
import { icebergSchema } from './iceberg/schema.ts'
import { IcebergTable } from './iceberg/table.ts'
import { acquireLock, removeOwnOrphans } from './own-files.ts'

/**
 * The `trained_on` table: lineage, one row per span of each trained sequence (`schemas/trained-on.ts`),
 * partitioned by identity(run_id): every query of lineage is about one run, and each run's files
 * sit in a folder of their own, which is what lets one run's writer clean up after itself alone.
 */
export const TRAINED_ON_SCHEMA = icebergSchema(trainedOnSchema.arrowSchema())

export const TRAINED_ON_SPEC: PartitionSpec = {
  'spec-id': 0,
  fields: [{ name: 'run_id', transform: 'identity', 'source-id': TRAINED_ON_SCHEMA.fields.find(f => f.name === 'run_id')!.id, 'field-id': 1000 }]
}

const TABLE = 'trained_on'
/** Snapshot summary keys: the run an append belongs to and the steps it holds ("first-last"). */
const RUN_ID_KEY = 'sluice.run-id'
const STEPS_KEY = 'sluice.steps'

export function openTrainedOnTable (lakeDir: string): IcebergTable {
  return IcebergTable.create(path.join(lakeDir, TABLE), TRAINED_ON_SCHEMA, TRAINED_ON_SPEC)
}

export interface TrainedOnMeta {
  runId: string
  planId: string
  /** The snapshot the run pinned; null when its plan reads no lake. */
  snapshotId: number | null
  /** When the step was acked (ISO-8601). */
  trainedAt: string
}

/** The lineage of one batch: a row per span of each sequence, in sequence then span order. */
export function trainedOnRows (batch: Batch, meta: TrainedOnMeta): TrainedOn[] {
  return batch.sequences.flatMap((sequence, row) => sequence.spans.map(span => ({
    schema_version: 1 as const,
    run_id: meta.runId,
    plan_id: meta.planId,
    snapshot_id: meta.snapshotId,
    step: batch.step,
    row,
    document_id: span.docId,
    token_start: span.start,
    token_end: span.end,
    doc_token_offset: span.docOffset,
    stage: batch.stage,
    source: span.source,
    task: span.task,
    trained_at: meta.trainedAt
  })))
}

/**
 * The highest step the table holds for a run, read from the snapshot summaries (no data file is
 * opened); null when the run has none. Snapshots expired by `sluice lake expire` no longer count.
 */
export function lastTrainedStep (table: IcebergTable, runId: string): number | null {
  let last: number | null = null
  for (const s of table.metadata.snapshots) {
    const steps = s.summary[STEPS_KEY]
    if (s.summary[RUN_ID_KEY] !== runId || steps === undefined) continue
    const to = Number(steps.split('-')[1])
    last = last === null ? to : Math.max(last, to)
  }
  return last
}

/** A file-name-safe tag of a run id: names its lock and its data files, so one run's writer only ever touches its own. */
const runTag = (runId: string) => crypto.createHash('sha256').update(runId).digest('hex').slice(0, 16)

/**
 * Appends lineage rows of one run as one Parquet file in one `append` snapshot whose summary
 * carries `summary` plus the run id (`sluice.run-id`) and the steps it holds (`sluice.steps`,
 * "first-last"); returns the snapshot id, or null when there was nothing new to append.
 *
 * Rows of a step at or below the highest step the table already holds for the run
 * (`lastTrainedStep`, from the snapshot summaries) are skipped, so a trainer resumed from an
 * older checkpoint that acks steps again cannot double its lineage; a run must therefore append
 * its steps in increasing order. Crash-safe like the sink: the writer of a run holds the run's
 * lock, removes the run's data files that no snapshot references (a crash between writing and
 * committing leaves those) and only then reads the last step, so neither orphans nor doubled
 * commits survive a SIGKILL. Writers of different runs run side by side.
 */
export async function appendTrainedOn (lakeDir: string, rows: readonly TrainedOn[], summary: Record<string, string> = {}): Promise<number | null> {
  const runId = rows[0]?.run_id
  if (runId === undefined) return null
  const other = rows.find(r => r.run_id !== runId)
  if (other !== undefined) {
    throw new SluiceError('config', `appendTrainedOn: the rows of one append belong to one run, got ${runId} and ${other.run_id}; append each run's rows separately`, { retryable: false })
  }
  const tag = runTag(runId)
  const release = acquireLock(path.join(lakeDir, TABLE, `.trained-on-${tag}.lock`), `lineage writer of run ${runId}`)
  try {
    // opened under the lock: an earlier writer of this run may have committed just before it let go
    const table = openTrainedOnTable(lakeDir)
    removeOwnOrphans(table, new RegExp(`^trained-on-${tag}-[0-9a-f-]{36}\\.parquet(\\.ndjson)?$`))
    const last = lastTrainedStep(table, runId) ?? -1
    const fresh = rows.filter(r => r.step > last).map(r => trainedOnSchema.parse(r))
    if (fresh.length === 0) return null
    let first = fresh[0]!.step
    let end = first
    for (const r of fresh) { first = Math.min(first, r.step); end = Math.max(end, r.step) }
    const { values, folder } = partitionOf(TRAINED_ON_SPEC, TRAINED_ON_SCHEMA, fresh[0]!)
    const dir = path.join(table.dataDir, folder)
    fs.mkdirSync(dir, { recursive: true })
    const written = await writeParquet(TRAINED_ON_SCHEMA, fresh, path.join(dir, `trained-on-${tag}-${crypto.randomUUID()}.parquet`))
    const snapshot = table.append([{ ...written, partition: values }], { ...summary, [RUN_ID_KEY]: runId, [STEPS_KEY]: `${first}-${end}` })
    return snapshot['snapshot-id']
  } finally {
    release()
  }
}
