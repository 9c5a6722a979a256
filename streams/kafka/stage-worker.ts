import type { Kafka, KafkaMessage } from 'kafkajs'
import type { ErrorCode } from '../../schemas/errors.ts'
import type { Operator } from '../operator.ts'
import { loadCheckpoints } from './checkpoints.ts'
import { consumeFrom } from './consume.ts'
import { runOrderedStage } from './ordered-stage.ts'
import { inputKey, positionRecord, transformInputs } from './stage-batch.ts'
import { openTransactionalProducer, type TransactionalProducer } from './tx-producer.ts'

/** One pipeline stage between two topics: how to read its input, the operator, and how to write what comes out. */
export interface StageDefinition<I, O> {
  name: string
  /** Parses a message; a SluiceError (e.g. bad_schema) dead-letters that message. */
  decode: (value: Buffer, message: KafkaMessage) => I
  operator: Operator<I, O>
  encode: (item: O) => { key: string, value: Buffer }
  /**
   * What an item the operator drops becomes: a message on the output topic (a document marked drop,
   * with its reason) or, for an item that could not be processed at all, a dead letter.
   */
  dropped: (item: I, reason: string) => { key: string, value: Buffer } | { deadLetter: { code: ErrorCode, message: string, raw: Buffer } }
  /** Header naming the output schema. */
  schema: string
  /**
   * State the operator keeps across records (dedup's index). A stage with state runs as one worker
   * over all input partitions in a fixed merge order (`runOrderedStage`), its state saved with each
   * transaction.
   */
  state?: StageState
}

/** State that must match the committed input positions exactly, whatever crashed when. */
export interface StageState {
  /** Loads the state as of the committed positions (next offset per input partition). */
  restore: (committed: Record<number, number>) => void
  /** Makes the changes of the transaction about to commit durable, tagged with the positions it moves to. */
  persist: (positions: Record<number, number>) => void
  close: () => void
}

export interface StageTopics { from: string, to: string, deadletter: string, checkpoints: string }

export interface StageOptions {
  brokers: string[]
  compression: 'none' | 'gzip'
  /** Input records per transaction at most (a fetched batch is split): bounds memory and the work a crash repeats. */
  maxBatchRecords?: number
  stopWhenIdleMs?: number
  /** While this says no, idleness does not count (in one process, the stage feeding this one is still running). */
  upstreamDone?: () => boolean
  signal?: AbortSignal
  /** Stateful stages: offsets per partition in one round of the merge order (see `AlignedMerge`). */
  roundOffsets?: number
  /** Stateful stages: how long input may stay silent before the merge stops waiting for partitions that sent nothing. */
  alignWaitMs?: number
}

export interface StageStats { received: number, sent: number, dropped: number, deadLetters: number, transactions: number }

/**
 * Runs a stage as consume-transform-produce, exactly once, in a consumer group: the workers of a
 * stage share one group and split the input partitions. Each partition has its own transactional
 * producer (id per stage, topic and partition), so the worker that takes a partition over fences
 * the one that had it; the outputs of a batch, its dead letters and the partition's position (a
 * checkpoint in the checkpoint topic) are one transaction. Taking a partition, a worker first
 * fences, then reads that partition's committed position and seeks there, so a crash or a
 * rebalance at any point neither loses nor doubles a record downstream (for read_committed readers).
 */
export async function runStage<I, O> (kafka: Kafka, def: StageDefinition<I, O>, topics: StageTopics, opts: StageOptions): Promise<StageStats> {
  if (def.state !== undefined) return await runOrderedStage(kafka, def, def.state, topics, opts)
  const job = (partition: number) => `stage-${def.name}-p${partition}`
  const stats: StageStats = { received: 0, sent: 0, dropped: 0, deadLetters: 0, transactions: 0 }
  /** Next input offset per owned partition, known once its checkpoint was read. */
  const from: Record<string, number> = {}
  const owned = new Map<number, Promise<TransactionalProducer>>()
  let seek: (partition: number, offset: number) => void = () => {}

  const release = async (partition: number) => {
    const producer = owned.get(partition)
    owned.delete(partition)
    delete from[partition]
    await producer?.then(async p => { await p.close() }, () => {})
  }
  const own = (partition: number): Promise<TransactionalProducer> => {
    const known = owned.get(partition)
    if (known !== undefined) return known
    const opening = (async () => {
      const producer = openTransactionalProducer(opts.brokers, `sluice-${job(partition)}-${topics.checkpoints}-${topics.from}`, opts.compression)
      // committing the sentinel fences an earlier owner and aborts its open transaction, so the position read next is final
      const checkpoints = await loadCheckpoints(kafka, producer, topics.checkpoints, job(partition))
      from[partition] = checkpoints.get(inputKey(topics.from, partition))?.offset ?? 0
      seek(partition, from[partition])
      return producer
    })()
    owned.set(partition, opening)
    return opening
  }

  try {
    /** One transaction: the outputs and dead letters of these messages, and the position after them. */
    const transform = async (partition: number, producer: TransactionalProducer, messages: KafkaMessage[]): Promise<void> => {
      const out = await transformInputs(def, topics, messages.map(message => ({ partition, message })), stats)
      const next = Number(messages.at(-1)!.offset) + 1
      out.push(positionRecord(job(partition), topics, partition, next))
      try {
        await producer.commit(out)
      } catch (err) {
        // another worker took the partition over (a rebalance): it redoes this batch from the committed position
        if (/fenced|epoch/i.test((err as Error).message)) { await release(partition); return }
        throw err
      }
      // the position moves only once the transaction holding it committed
      from[partition] = next
      stats.received += messages.length
      stats.transactions++
    }

    await consumeFrom(kafka, {
      topic: topics.from,
      group: `sluice-stage-${def.name}-${topics.checkpoints}`,
      from,
      stopWhenIdleMs: opts.stopWhenIdleMs,
      busy: () => opts.upstreamDone?.() === false,
      signal: opts.signal,
      onAssign: (partitions, seekTo) => {
        seek = seekTo
        const keep = new Set(partitions)
        for (const p of owned.keys()) if (!keep.has(p)) void release(p)
      },
      onBatch: async (partition, fetched, heartbeat) => {
        const producer = await own(partition)
        // the batch may have been fetched before the position was known
        const fresh = fetched.filter(m => Number(m.offset) >= from[partition]!)
        const step = opts.maxBatchRecords ?? 500
        for (let i = 0; i < fresh.length && owned.has(partition); i += step) {
          await transform(partition, producer, fresh.slice(i, i + step))
          try {
            await heartbeat()
          } catch (err) {
            if (!/rebalanc/i.test((err as Error).message)) throw err
            // a worker joined or left: stop here, and make the consumer read the rest again from the committed position
            // (whoever owns the partition after the rebalance starts there)
            if (i + step < fresh.length) seek(partition, from[partition]!)
            return
          }
        }
      }
    })
  } finally {
    for (const p of [...owned.keys()]) await release(p)
  }
  return stats
}
