import crypto from 'node:crypto'
import type { Kafka } from 'kafkajs'
import { SluiceError } from '../../schemas/errors.ts'
import { AlignedMerge } from './aligned-merge.ts'
import { loadCheckpoints } from './checkpoints.ts'
import { consumeFrom } from './consume.ts'
import { inputKey, positionRecord, transformInputs, type StageInput } from './stage-batch.ts'
import type { StageDefinition, StageOptions, StageState, StageStats, StageTopics } from './stage-worker.ts'
import { openTransactionalProducer } from './tx-producer.ts'

async function partitionCount (kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const meta = await admin.fetchTopicMetadata({ topics: [topic] })
    return meta.topics[0]!.partitions.length
  } finally {
    await admin.disconnect()
  }
}

/**
 * Runs a stage whose operator keeps state across records (dedup) exactly once: one worker reads
 * every input partition, merges them in an order fixed by their offsets (`AlignedMerge`), and
 * commits each batch's outputs, dead letters and positions in one transaction, after its state
 * changes were made durable (`StageState.persist`). On start it fences any earlier worker of the
 * stage (one transactional id), reads the committed positions, and restores the state as of
 * exactly those. A second worker fences the first, which stops with an error: two could not share
 * one index.
 */
export async function runOrderedStage<I, O> (kafka: Kafka, def: StageDefinition<I, O>, state: StageState, topics: StageTopics, opts: StageOptions): Promise<StageStats> {
  const job = `stage-${def.name}`
  const stats: StageStats = { received: 0, sent: 0, dropped: 0, deadLetters: 0, transactions: 0 }
  const step = opts.maxBatchRecords ?? 500
  const alignWaitMs = opts.alignWaitMs ?? Math.min(opts.stopWhenIdleMs ?? 10_000, 10_000)
  const producer = openTransactionalProducer(opts.brokers, `sluice-${job}-${topics.checkpoints}-${topics.from}`, opts.compression)
  let restored = false
  try {
    const partitions = await partitionCount(kafka, topics.from)
    const checkpoints = await loadCheckpoints(kafka, producer, topics.checkpoints, job)
    const from: Record<number, number> = {}
    for (let p = 0; p < partitions; p++) from[p] = checkpoints.get(inputKey(topics.from, p))?.offset ?? 0
    state.restore(from)
    restored = true
    const merge = new AlignedMerge(partitions, from, opts.roundOffsets ?? 100)
    const paused = new Set<number>()
    let flow: { pause: (p: number) => void, resume: (p: number) => void } | null = null
    let lastArrival = Date.now()
    // batches, ticks and rejoins take turns: two commits at once would interleave one producer's transactions
    let turn: Promise<void> = Promise.resolve()
    const exclusive = async (work: () => Promise<void> | void): Promise<void> => {
      const run = turn.then(work)
      turn = run.catch(() => {})
      await run
    }

    const commit = async (inputs: StageInput[]) => {
      const out = await transformInputs(def, topics, inputs, stats)
      const moved: Record<number, number> = {}
      for (const { partition, message } of inputs) moved[partition] = Number(message.offset) + 1
      for (const [p, next] of Object.entries(moved)) out.push(positionRecord(job, topics, Number(p), next))
      state.persist(moved)
      try {
        await producer.commit(out)
      } catch (err) {
        if (/fenced|epoch/i.test((err as Error).message)) {
          throw new SluiceError('kafka', `another ${def.name} worker took over ${topics.from}; this one stops (its state is the other's now)`, { retryable: false, cause: err })
        }
        throw err
      }
      Object.assign(from, moved)
      stats.received += inputs.length
      stats.transactions++
    }
    const drain = async (force: boolean) => {
      for (let batch = merge.take(step, force); batch.length > 0; batch = merge.take(step, force)) await commit(batch)
      for (const p of [...paused]) {
        if (merge.queuedOf(p) >= step) continue
        paused.delete(p)
        flow?.resume(p)
      }
    }

    await consumeFrom(kafka, {
      topic: topics.from,
      // private: this worker reads every partition
      group: `sluice-${job}-${crypto.randomUUID()}`,
      from,
      stopWhenIdleMs: opts.stopWhenIdleMs,
      busy: () => opts.upstreamDone?.() === false || merge.queued > 0,
      signal: opts.signal,
      onAssign: (_partitions, _seek, control) => {
        flow = control
        // the consumer went back to `from`: what was queued comes again (after a commit in flight moved `from`)
        void exclusive(() => {
          merge.reset(from)
          for (const p of paused) control.resume(p)
          paused.clear()
        })
      },
      onBatch: async (partition, messages) => {
        lastArrival = Date.now()
        await exclusive(async () => {
          merge.push(partition, messages)
          await drain(false)
          // a partition far ahead of the others waits unfetched, not in memory
          if (merge.queuedOf(partition) >= 4 * step && !paused.has(partition)) { paused.add(partition); flow?.pause(partition) }
        })
      },
      onTick: async () => {
        // the input went silent with rounds still open: the partitions that sent nothing are passed over
        if (merge.queued > 0 && opts.upstreamDone?.() !== false && Date.now() - lastArrival >= alignWaitMs) await exclusive(async () => { await drain(true) })
      }
    })
    // stopped: either idle with nothing queued, or aborted (what is queued is read again next time)
  } finally {
    await producer.close()
    if (restored) state.close()
  }
  return stats
}
