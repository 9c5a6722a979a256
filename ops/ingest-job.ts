import type { IngestConfig, TopicsConfig } from '../schemas/config.ts'
import { followFolders, ingestFiles, newProgress, type IngestProgress } from '../streams/ingest.ts'
import { kafkaClient } from '../streams/kafka/client.ts'
import { IngestWriter } from '../streams/kafka/ingest-writer.ts'
import { checkpointTopic, ensureTopicsWith, topicNames } from '../streams/kafka/topics.ts'
import type { InputFormat } from '../streams/readers/format.ts'
import { expandInputs } from '../streams/readers/inputs.ts'
import { formatBytes, formatCount, log } from './log.ts'
import { rate, startProgress } from './progress.ts'
import { stopOnSignals } from './signals.ts'

export interface IngestSummary extends IngestProgress {
  /** Stopped by a signal before the inputs were done; the same command resumes. */
  interrupted: boolean
  seconds: number
  topic: string
  bytesSent: number
  transactions: number
}

export interface IngestJob {
  inputs: string[]
  follow?: string[]
  format?: InputFormat
  topics: TopicsConfig
  ingest: IngestConfig
  brokers: string[]
  pollMs?: number
  settleMs?: number
  /** Stops the job like Ctrl-C does (for callers that embed it). */
  signal?: AbortSignal
}

/** Ensures topics, then ingests the inputs (or follows folders) with progress and a clean stop. */
export async function runIngest (job: IngestJob): Promise<IngestSummary> {
  const files = expandInputs(job.inputs)
  const kafka = kafkaClient(job.brokers, `sluice-ingest-${job.ingest.job}`)
  await ensureTopicsWith(kafka, job.topics)
  const names = topicNames(job.topics)
  const writer = new IngestWriter(kafka, job.brokers, { raw: names.raw, deadletter: names.deadletter, checkpoints: checkpointTopic(job.topics) }, job.ingest)
  const abort = stopOnSignals(job.signal)
  const progress = newProgress()
  const started = Date.now()
  await writer.open()
  const bar = startProgress(() => {
    const file = progress.currentFile === null ? '' : ` ${progress.currentFile.split('/').pop()}`
    return `ingest: ${formatCount(progress.records)} docs, ${formatCount(progress.deadLetters)} dead-lettered, ` +
      `${progress.filesDone}/${progress.files} files, ${formatCount(Math.round(rate(progress.records, started)))} docs/s, ` +
      `${(rate(progress.bytesRead, started) / 1e6).toFixed(1)} MB/s${file}`
  })
  try {
    const opts = { config: job.ingest, format: job.format, signal: abort.signal, progress }
    if (files.length > 0) await ingestFiles(files, writer, opts)
    if (job.follow !== undefined && job.follow.length > 0) {
      log(`following ${job.follow.join(', ')} (Ctrl-C to stop)`)
      await followFolders(job.follow, writer, { ...opts, pollMs: job.pollMs ?? 1000, settleMs: job.settleMs ?? 2000 })
    }
  } finally {
    bar.stop()
    abort.dispose()
    await writer.close()
  }
  return {
    ...progress,
    interrupted: abort.signal.aborted && job.follow === undefined,
    seconds: (Date.now() - started) / 1000,
    topic: names.raw,
    bytesSent: writer.stats.bytes,
    transactions: writer.stats.transactions
  }
}

export function summaryLine (s: IngestSummary): string {
  const skipped = s.filesSkipped > 0 ? `; ${s.filesSkipped} files skipped (already ingested by this job; use --job to ingest again)` : ''
  return `ingested ${formatCount(s.records)} docs (${formatBytes(s.bytesRead)} read, ${formatBytes(s.bytesSent)} sent) from ` +
    `${s.filesDone} files into ${s.topic} in ${s.seconds.toFixed(1)} s; ${formatCount(s.deadLetters)} dead-lettered${skipped}` +
    (s.interrupted ? '; interrupted: run the same command again to resume where it stopped' : '')
}
