import type { Command } from 'commander'
import { SluiceError } from '../../schemas/errors.ts'
import { STAGES } from '../../streams/stages/index.ts'
import { log } from '../log.ts'
import { addConnectionOptions, addStageOptions, addTopicOptions, stageConfigs, topicsConfig } from './options.ts'

export function registerWorker (program: Command): void {
  const cmd = program.command('worker')
    .description('run one pipeline stage as a Kafka worker: consume its input topic, transform, produce to its output topic, exactly once')
    .argument('<stage>', 'the stage to run (see below)')
    .option('--stop-when-idle <ms>', 'stop once the input stayed empty this long (default: run until Ctrl-C)', Number)
    .option('--compression <codec>', 'compression of produced batches: none or gzip', 'none')
    .option('--max-batch <n>', 'input records per transaction at most (a heartbeat follows each)', Number, 500)
    .option('--align-wait <ms>', 'dedup: how long the input may stay silent before the ordered merge stops waiting for partitions that sent nothing (default 10000, or --stop-when-idle if shorter)', Number)
    .addHelpText('after', () => {
      return '\nStages:\n' + Object.entries(STAGES).map(([n, s]) => `  ${n.padEnd(10)} docs.${s.from} -> docs.${s.to}: ${s.description}`).join('\n') +
        '\n\nStart several workers of one stage to share its partitions. Each batch, its dead letters and the input position\n' +
        'commit in one Kafka transaction, so a killed worker resumes exactly where its last commit ended.\n' +
        'dedup is one worker over all partitions (one index; a second one takes over from the first): it merges them in an\n' +
        'order fixed by their offsets and journals its state in --dedup-state with each transaction, so a restart decides\n' +
        'exactly as a run without one.\n\nExamples:\n  sluice worker normalize --stop-when-idle 5000\n  sluice worker dedup --near simhash\n'
    })
  addStageOptions(addTopicOptions(addConnectionOptions(cmd)))
    .action(async (name: string, o: Record<string, unknown>) => {
      const entry = STAGES[name]
      if (entry === undefined) throw new SluiceError('config', `no stage ${name} (stages: ${Object.keys(STAGES).join(', ')})`, { retryable: false })
      if (o.stopWhenIdle !== undefined && !(Number.isInteger(o.stopWhenIdle) && (o.stopWhenIdle as number) > 0)) throw new SluiceError('config', '--stop-when-idle must be a positive number of milliseconds', { retryable: false })
      for (const [flag, value] of [['--max-batch', o.maxBatch], ['--align-wait', o.alignWait ?? 1]] as const) {
        if (!(Number.isInteger(value) && (value as number) > 0)) throw new SluiceError('config', `${flag} must be a positive integer`, { retryable: false })
      }
      if (o.compression !== 'none' && o.compression !== 'gzip') throw new SluiceError('config', '--compression must be none or gzip', { retryable: false })
      const topics = topicsConfig(o)
      const configs = await stageConfigs(o)
      const { resolveBrokers } = await import('../connect.ts')
      const { kafkaClient } = await import('../../streams/kafka/client.ts')
      const { checkpointTopic, ensureTopicsWith, topicNames } = await import('../../streams/kafka/topics.ts')
      const { runStage } = await import('../../streams/kafka/stage-worker.ts')
      const { stopOnSignals } = await import('../signals.ts')
      const brokers = await resolveBrokers(o)
      const kafka = kafkaClient(brokers, `sluice-worker-${name}`)
      await ensureTopicsWith(kafka, topics)
      const names = topicNames(topics)
      const abort = stopOnSignals()
      const started = Date.now()
      log(`worker ${name}: ${names[entry.from]} -> ${names[entry.to]}`)
      const stats = await runStage(kafka, entry.build(configs, log), { from: names[entry.from], to: names[entry.to], deadletter: names.deadletter, checkpoints: checkpointTopic(topics) },
        { brokers, compression: o.compression as 'none' | 'gzip', maxBatchRecords: o.maxBatch as number, alignWaitMs: o.alignWait as number | undefined, stopWhenIdleMs: o.stopWhenIdle as number | undefined, signal: abort.signal })
        .finally(() => abort.dispose())
      log(`worker ${name}: ${stats.received} records -> ${stats.sent} sent, ${stats.dropped} marked drop, ${stats.deadLetters} dead-lettered in ${stats.transactions} transactions, ${((Date.now() - started) / 1000).toFixed(1)} s`)
      process.stdout.write(JSON.stringify(stats) + '\n')
    })
}
