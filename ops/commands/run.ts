import type { Command } from 'commander'
import { SluiceError } from '../../schemas/errors.ts'
import type { InputFormat } from '../../streams/readers/format.ts'
import { log } from '../log.ts'
import { addConnectionOptions, addIngestOptions, addTopicOptions, ingestConfig, topicsConfig } from './options.ts'

export function registerRun (program: Command): void {
  const cmd = program.command('run')
    .description('the main job: start the local broker unless --brokers is given, create the topics, ingest the inputs and run every pipeline stage')
    .argument('<inputs...>', 'files, folders or globs to process')
    .addHelpText('after', '\nStages run now: ingest (-> docs.raw). Normalize, score, dedup and the lake sink join as they are built.\n\nExample:\n  sluice run ../shared/data/web/warc\n')
  addTopicOptions(addIngestOptions(addConnectionOptions(cmd)))
    .action(async (inputs: string[], o: Record<string, unknown>) => {
      if (inputs.length === 0) throw new SluiceError('config', 'give the files or folders to process', { retryable: false })
      const topics = topicsConfig(o)
      const ingest = ingestConfig(o)
      const { resolveBrokers } = await import('../connect.ts')
      const { runIngest, summaryLine } = await import('../ingest-job.ts')
      const brokers = await resolveBrokers(o)
      log(`brokers ${brokers.join(',')}; stage 1/1: ingest -> ${topics.prefix}docs.raw`)
      const summary = await runIngest({ inputs, format: o.format as InputFormat | undefined, topics, ingest, brokers })
      log(summaryLine(summary))
      process.stdout.write(JSON.stringify({ stages: { ingest: { records: summary.records, deadLetters: summary.deadLetters, files: summary.filesDone, filesSkipped: summary.filesSkipped } } }) + '\n')
    })
}
