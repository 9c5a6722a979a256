import fs from 'node:fs'
import path from 'node:path'
import { SluiceError } from '../../schemas/errors.ts'
import type { StreamState } from '../stream.ts'

/** What a run keeps on disk: which plan and snapshot it trains on, and its last acked checkpoints. */
export interface RunFile {
  runId: string
  planId: string
  /** Pinned at the first start: a resumed run reads the same snapshot even when a newer one was published. */
  snapshotId: number | null
  /** Highest step whose lineage is in the lake (`trained_on`). */
  lineageStep: number
  /** Newest last; each state's `step` is the next step to send. */
  checkpoints: StreamState[]
}

/** Older checkpoints kept, so a core restored from a slightly older checkpoint of its own can still resume. */
const KEPT = 4

export function readRunFile (file: string): RunFile | null {
  if (!fs.existsSync(file)) return null
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as RunFile
  } catch (err) {
    throw new SluiceError('config', `${file}: the run's state does not parse (${(err as Error).message}); move it away to start the run afresh`, { retryable: false, cause: err })
  }
}

/** Adds a checkpoint and writes the file atomically (a crash leaves the old file or the new one). */
export function saveCheckpoint (file: string, run: RunFile, state: StreamState): void {
  run.checkpoints = [...run.checkpoints.filter(c => c.step < state.step), structuredClone(state)].slice(-KEPT)
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const tmp = `${file}.tmp-${process.pid}`
  const fd = fs.openSync(tmp, 'w')
  try {
    fs.writeSync(fd, JSON.stringify(run))
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  fs.renameSync(tmp, file)
}
