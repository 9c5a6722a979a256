import fs from 'node:fs'
import type { Command } from 'commander'
import { SluiceError } from '../../schemas/errors.ts'
import type { InputFormat } from '../../streams/readers/format.ts'
import { log } from '../log.ts'
import { addConnectionOptions, addIngestOptions, addTopicOptions, ingestConfig, topicsConfig } from './options.ts'

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
      const { resolveBrokers } = await import('../connect.ts')
      const { runIngest, summaryLine } = await import('../ingest-job.ts')
      const brokers = await resolveBrokers(o)
      const summary = await runIngest({
        inputs, follow, format: o.format as InputFormat | undefined, topics, ingest, brokers,
        pollMs: o.pollMs as number, settleMs: o.settleMs as number
      })
      log(summaryLine(summary))
      process.stdout.write(JSON.stringify({ records: summary.records, deadLetters: summary.deadLetters, files: summary.filesDone, filesSkipped: summary.filesSkipped, bytesRead: summary.bytesRead, seconds: summary.seconds }) + '\n')
    })
}
