import type { Command } from 'commander'
import { SluiceError } from '../../schemas/errors.ts'
import type { InputFormat } from '../../streams/readers/format.ts'
import { STAGES } from '../../streams/stages/index.ts'
import { log } from '../log.ts'
import { addConnectionOptions, addIngestOptions, addStageOptions, addTopicOptions, ingestConfig, stageConfigs, topicsConfig } from './options.ts'

export function registerRun (program: Command): void {
  const stageList = Object.entries(STAGES).map(([name, s]) => `${name} (docs.${s.from} -> docs.${s.to})`).join(', ')
  const cmd = program.command('run')
    .description('the main job: start the local broker unless --brokers is given, create the topics, ingest the inputs, run every pipeline stage into the lake and print an audit')
    .argument('<inputs...>', 'files, folders or globs to process')
    .option('--lake <dir>', 'the lake folder', './lake')
    .option('--idle-ms <ms>', 'once the stage before it finished, a stage stops when its input stayed empty this long', Number, 3000)
    .addHelpText('after', `\nStages: ingest (-> docs.raw), ${stageList}, the lake sink (docs.curated -> documents,\n` +
      'docs.deadletter -> deadletter), then an audit of the lake. The stages run at the same time in this process, each\n' +
      'committing exactly once, so an interrupted run resumes when run again.\n\nExample:\n  sluice run ../shared/data/web/warc\n')
  addStageOptions(addTopicOptions(addIngestOptions(addConnectionOptions(cmd))))
    .action(async (inputs: string[], o: Record<string, unknown>) => {
      if (inputs.length === 0) throw new SluiceError('config', 'give the files or folders to process', { retryable: false })
      const topics = topicsConfig(o)
      const ingest = ingestConfig(o)
      const configs = await stageConfigs(o)
      const idleMs = o.idleMs as number
      if (!Number.isInteger(idleMs) || idleMs < 100) throw new SluiceError('config', '--idle-ms must be an integer of at least 100', { retryable: false })
      const lakeDir = o.lake as string
      const { resolveBrokers } = await import('../connect.ts')
      const { runIngest, summaryLine } = await import('../ingest-job.ts')
      const { kafkaClient } = await import('../../streams/kafka/client.ts')
      const { checkpointTopic, ensureTopicsWith, topicNames } = await import('../../streams/kafka/topics.ts')
      const { runStage } = await import('../../streams/kafka/stage-worker.ts')
      const { runLakeSink } = await import('../../lake/sink.ts')
      const { auditLake, auditText } = await import('../../lake/audit.ts')
      const { stopOnSignals } = await import('../signals.ts')
      const { sinkSummary } = await import('./lake.ts')
      const brokers = await resolveBrokers(o)
      const names = topicNames(topics)
      const kafka = kafkaClient(brokers, 'sluice-run')
      // the stages start consuming at once, so their topics must exist before ingest creates them
      await ensureTopicsWith(kafka, topics)
      const abort = stopOnSignals()
      const started = Date.now()
      // each step may stop on idleness only once every step before it finished
      const finished: boolean[] = []
      const after = (i: number) => () => {
        for (let k = 0; k <= i; k++) if (finished[k] !== true) return false
        return true
      }
      // one failing step stops the others (they would wait forever for it to finish)
      const stop = new AbortController()
      abort.signal.addEventListener('abort', () => stop.abort(), { once: true })
      const failFast = <T>(p: Promise<T>) => p.catch((err: unknown) => { stop.abort(); throw err })
      const seconds = () => ((Date.now() - started) / 1000).toFixed(1)
      try {
        log(`brokers ${brokers.join(',')}; ingest -> ${names.raw}, ${Object.keys(STAGES).join(' -> ')}, lake sink -> ${lakeDir}`)
        const ingestRun = failFast(runIngest({ inputs, format: o.format as InputFormat | undefined, topics, ingest, brokers, signal: stop.signal })
          .then(s => { log(summaryLine(s)); finished[0] = true; return s }))
        const stageRuns = Object.entries(STAGES).map(([name, entry], i) => failFast(
          runStage(kafka, entry.build(configs, log), { from: names[entry.from], to: names[entry.to], deadletter: names.deadletter, checkpoints: checkpointTopic(topics) },
            { brokers, compression: ingest.compression, stopWhenIdleMs: idleMs, upstreamDone: after(i), signal: stop.signal })
            .then(s => {
              log(`${name}: ${s.received} in, ${s.sent} on, ${s.dropped} marked drop, ${s.deadLetters} dead-lettered (${seconds()} s)`)
              finished[i + 1] = true
              return [name, s] as const
            })))
        const sinkRun = failFast(runLakeSink(kafka, {
          lakeDir, documentsTopic: names.curated, deadletterTopic: names.deadletter, batchRows: 50_000, batchMs: 2000,
          stopWhenIdleMs: idleMs, upstreamDone: after(Object.keys(STAGES).length), signal: stop.signal, log
        }).then(s => { log(sinkSummary(s, (Date.now() - started) / 1000)); return s }))
        const settled = await Promise.allSettled([ingestRun, Promise.all(stageRuns), sinkRun])
        const failed = settled.find(r => r.status === 'rejected')
        if (failed !== undefined) throw (failed as PromiseRejectedResult).reason
        const [ingested, stages, sink] = settled.map(r => (r as PromiseFulfilledResult<unknown>).value) as [Awaited<typeof ingestRun>, Array<Awaited<(typeof stageRuns)[number]>>, Awaited<typeof sinkRun>]
        if (abort.signal.aborted) return
        const report = await auditLake(lakeDir, {})
        process.stderr.write(auditText(report) + '\n')
        process.stdout.write(JSON.stringify({
          stages: {
            ingest: { records: ingested.records, deadLetters: ingested.deadLetters, files: ingested.filesDone, filesSkipped: ingested.filesSkipped },
            ...Object.fromEntries(stages),
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
