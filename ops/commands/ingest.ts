import fs from 'node:fs'
import type { Command } from 'commander'
import type { IngestConfig, TopicsConfig } from '../../schemas/config.ts'
import { SluiceError } from '../../schemas/errors.ts'
import { followFolders, ingestFiles, newProgress, type IngestProgress } from '../../streams/ingest.ts'
import { kafkaClient } from '../../streams/kafka/client.ts'
import { IngestWriter } from '../../streams/kafka/ingest-writer.ts'
import { checkpointTopic, ensureTopics, topicNames } from '../../streams/kafka/topics.ts'
import type { InputFormat } from '../../streams/readers/format.ts'
import { expandInputs } from '../../streams/readers/inputs.ts'
import { resolveBrokers } from '../connect.ts'
import { formatBytes, formatCount, log } from '../log.ts'
import { rate, startProgress } from '../progress.ts'
import { stopOnSignals } from '../signals.ts'
import { addConnectionOptions, addIngestOptions, addTopicOptions, ingestConfig, topicsConfig } from './options.ts'

export interface IngestSummary extends IngestProgress {
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
}

/** Ensures topics, then ingests the inputs (or follows folders) with progress and a clean stop. */
export async function runIngest (job: IngestJob): Promise<IngestSummary> {
  const files = expandInputs(job.inputs)
  const kafka = kafkaClient(job.brokers, `sluice-ingest-${job.ingest.job}`)
  const admin = kafka.admin()
  await admin.connect()
  try {
    await ensureTopics(admin, job.topics)
  } finally {
    await admin.disconnect()
  }
  const names = topicNames(job.topics)
  const writer = new IngestWriter(kafka, { raw: names.raw, deadletter: names.deadletter, checkpoints: checkpointTopic(job.topics) }, job.ingest)
  const abort = stopOnSignals()
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
    await writer.close()
  }
  return {
    ...progress,
    seconds: (Date.now() - started) / 1000,
    topic: names.raw,
    bytesSent: writer.stats.bytes,
    transactions: writer.stats.transactions
  }
}

export function summaryLine (s: IngestSummary): string {
  const skipped = s.filesSkipped > 0 ? `; ${s.filesSkipped} files skipped (already ingested by this job; use --job to ingest again)` : ''
  return `ingested ${formatCount(s.records)} docs (${formatBytes(s.bytesRead)} read, ${formatBytes(s.bytesSent)} sent) from ` +
    `${s.filesDone} files into ${s.topic} in ${s.seconds.toFixed(1)} s; ${formatCount(s.deadLetters)} dead-lettered${skipped}`
}

export function registerIngest (program: Command): void {
  const cmd = program.command('ingest')
    .description('read crawl files (WARC/WET, JSONL, Parquet, text/HTML folders; .gz too) into docs.raw, exactly once')
    .argument('[inputs...]', 'files, folders, globs, or - for JSON lines on stdin')
    .option('--follow <folder...>', 'keep ingesting new files that appear in these folders until Ctrl-C')
    .option('--poll-ms <ms>', 'how often --follow looks for new files', Number, 1000)
    .option('--settle-ms <ms>', 'a followed file is read once unchanged for this long', Number, 2000)
    .addHelpText('after', '\nExamples:\n  sluice ingest ../shared/data/web/warc/*.warc.gz\n  sluice ingest --follow ./incoming --brokers kafka1:9092\n')
  addTopicOptions(addIngestOptions(addConnectionOptions(cmd)))
    .action(async (inputs: string[], o: Record<string, unknown>) => {
      const topics = topicsConfig(o)
      const ingest = ingestConfig(o)
      const follow = o.follow as string[] | undefined
      if (inputs.length === 0 && follow === undefined) throw new SluiceError('config', 'give files to ingest, or --follow <folder>', { retryable: false })
      for (const f of follow ?? []) {
        if (!fs.existsSync(f)) throw new SluiceError('config', `--follow: no such folder ${f}`, { retryable: false })
      }
      const brokers = await resolveBrokers(o)
      const summary = await runIngest({
        inputs, follow, format: o.format as InputFormat | undefined, topics, ingest, brokers,
        pollMs: o.pollMs as number, settleMs: o.settleMs as number
      })
      log(summaryLine(summary))
      process.stdout.write(JSON.stringify({ records: summary.records, deadLetters: summary.deadLetters, files: summary.filesDone, filesSkipped: summary.filesSkipped, bytesRead: summary.bytesRead, seconds: summary.seconds }) + '\n')
    })
}
