import fs from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import type { IngestConfig } from '../schemas/config.ts'
import type { IngestWriter } from './kafka/ingest-writer.ts'
import { expandInputs, readInput, type InputFormat } from './readers/index.ts'
import { isStdin } from './readers/inputs.ts'

export interface IngestProgress {
  files: number
  filesDone: number
  filesSkipped: number
  records: number
  deadLetters: number
  /** Bytes of input read (decompressed), for MB/s. */
  bytesRead: number
  currentFile: string | null
}

export interface IngestRunOptions {
  config: IngestConfig
  format?: InputFormat
  signal?: AbortSignal
  progress?: IngestProgress
}

export function newProgress (): IngestProgress {
  return { files: 0, filesDone: 0, filesSkipped: 0, records: 0, deadLetters: 0, bytesRead: 0, currentFile: null }
}

/**
 * Reads each file from its checkpoint and hands every item to the writer. A file already read to
 * its end at the same size is skipped, so re-running a command, or restarting it after a crash,
 * sends nothing twice.
 */
export async function ingestFiles (files: readonly string[], writer: IngestWriter, opts: IngestRunOptions): Promise<IngestProgress> {
  const progress = opts.progress ?? newProgress()
  // a function, not a narrowed property: the signal changes while we await
  const stopped = () => opts.signal?.aborted === true
  progress.files += files.length
  for (const file of files) {
    if (stopped()) break
    const stdin = isStdin(file)
    const stat = stdin ? null : await fs.promises.stat(file)
    const cp = writer.checkpoint(file)
    if (stat !== null && cp?.complete === true && cp.size === stat.size && cp.mtimeMs === stat.mtimeMs) {
      progress.filesSkipped++
      continue
    }
    progress.currentFile = file
    let last = cp?.offset ?? 0
    for await (const item of readInput(file, { config: opts.config, startOffset: last, resumeCrawlId: cp?.crawlId, format: opts.format })) {
      await writer.add(file, item, !stdin)
      progress.bytesRead += Math.max(0, item.end - last)
      last = item.end
      if (item.kind === 'record') progress.records++
      else progress.deadLetters++
      if (stopped()) break
    }
    if (stopped()) break
    if (stat !== null) writer.complete(file, stat.size, stat.mtimeMs)
    progress.filesDone++
  }
  progress.currentFile = null
  await writer.flush()
  return progress
}

export interface FollowOptions extends IngestRunOptions {
  pollMs: number
  /** A file is read once it has not changed for this long, so half-written files wait. */
  settleMs: number
}

/** `--follow`: ingests files as they appear (or grow) in the folders until the signal aborts. */
export async function followFolders (folders: readonly string[], writer: IngestWriter, opts: FollowOptions): Promise<IngestProgress> {
  const progress = opts.progress ?? newProgress()
  while (opts.signal?.aborted !== true) {
    const now = Date.now()
    const ready = expandInputs(folders).filter(file => {
      const stat = fs.statSync(file, { throwIfNoEntry: false })
      if (stat === undefined || now - stat.mtimeMs < opts.settleMs) return false
      const cp = writer.checkpoint(file)
      return !(cp?.complete === true && cp.size === stat.size && cp.mtimeMs === stat.mtimeMs)
    })
    if (ready.length > 0) await ingestFiles(ready, writer, { ...opts, progress })
    await sleep(opts.pollMs, undefined, { signal: opts.signal }).catch(() => {})
  }
  await writer.flush()
  return progress
}
