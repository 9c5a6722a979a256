import type { Command } from 'commander'
import { SluiceError } from '../../schemas/errors.ts'
import type { InputFormat } from '../../streams/readers/format.ts'
import { log } from '../log.ts'
import { addConnectionOptions, addIngestOptions, addTopicOptions, ingestConfig, topicsConfig } from './options.ts'

export function registerRun (program: Command): void {
  const cmd = program.command('run')
    .description('the main job: start the local broker unless --brokers is given, create the topics, ingest the inputs, run every pipeline stage into the lake and print an audit')
    .argument('<inputs...>', 'files, folders or globs to process')
    .option('--lake <dir>', 'the lake folder', './lake')
    .option('--idle-ms <ms>', 'a stage stops once its input topic stayed empty this long', Number, 3000)
    .addHelpText('after', '\nStages: ingest (-> docs.raw), document (docs.raw -> docs.curated; normalize, score and dedup take its place as they are built),\n' +
      'lake sink (docs.curated -> documents, docs.deadletter -> deadletter), then an audit of the lake.\n' +
      'Each stage commits exactly once, so an interrupted run resumes when run again.\n\nExample:\n  sluice run ../shared/data/web/warc\n')
  addTopicOptions(addIngestOptions(addConnectionOptions(cmd)))
    .action(async (inputs: string[], o: Record<string, unknown>) => {
      if (inputs.length === 0) throw new SluiceError('config', 'give the files or folders to process', { retryable: false })
      const topics = topicsConfig(o)
      const ingest = ingestConfig(o)
      const idleMs = o.idleMs as number
      if (!Number.isInteger(idleMs) || idleMs < 100) throw new SluiceError('config', '--idle-ms must be an integer of at least 100', { retryable: false })
      const lakeDir = o.lake as string
      const { resolveBrokers } = await import('../connect.ts')
      const { runIngest, summaryLine } = await import('../ingest-job.ts')
      const { kafkaClient } = await import('../../streams/kafka/client.ts')
      const { checkpointTopic, topicNames } = await import('../../streams/kafka/topics.ts')
      const { runStage } = await import('../../streams/kafka/stage-worker.ts')
      const { documentStage } = await import('../../streams/stages/document.ts')
      const { runLakeSink } = await import('../../lake/sink.ts')
      const { auditLake, auditText } = await import('../../lake/audit.ts')
      const { stopOnSignals } = await import('../signals.ts')
      const { sinkSummary } = await import('./lake.ts')
      const brokers = await resolveBrokers(o)
      const names = topicNames(topics)

      log(`brokers ${brokers.join(',')}; stage 1/3: ingest -> ${names.raw}`)
      const ingested = await runIngest({ inputs, format: o.format as InputFormat | undefined, topics, ingest, brokers })
      log(summaryLine(ingested))
      if (ingested.interrupted) return

      const kafka = kafkaClient(brokers, 'sluice-run')
      const abort = stopOnSignals()
      try {
        log(`stage 2/3: document ${names.raw} -> ${names.curated}`)
        let started = Date.now()
        const stage = await runStage(kafka, documentStage(), { from: names.raw, to: names.curated, deadletter: names.deadletter, checkpoints: checkpointTopic(topics) },
          { brokers, compression: ingest.compression, stopWhenIdleMs: idleMs, signal: abort.signal })
        log(`document: ${stage.received} records -> ${stage.sent} documents, ${stage.deadLetters} dead-lettered, in ${((Date.now() - started) / 1000).toFixed(1)} s`)
        if (abort.signal.aborted) return

        log(`stage 3/3: lake sink ${names.curated} + ${names.deadletter} -> ${lakeDir}`)
        started = Date.now()
        const sink = await runLakeSink(kafka, {
          lakeDir, documentsTopic: names.curated, deadletterTopic: names.deadletter, batchRows: 50_000, batchMs: 2000, stopWhenIdleMs: idleMs, signal: abort.signal, log
        })
        log(sinkSummary(sink, (Date.now() - started) / 1000))
        if (abort.signal.aborted) return

        const report = await auditLake(lakeDir, {})
        process.stderr.write(auditText(report) + '\n')
        process.stdout.write(JSON.stringify({
          stages: {
            ingest: { records: ingested.records, deadLetters: ingested.deadLetters, files: ingested.filesDone, filesSkipped: ingested.filesSkipped },
            document: stage,
            lake: sink
          },
          audit: report
        }) + '\n')
      } finally {
        abort.dispose()
        if (abort.signal.aborted) log('interrupted: every stage committed what it had; run the same command again to resume')
      }
    })
}
