import type { Kafka, KafkaMessage } from 'kafkajs'
import { DEAD_LETTER_RAW_BYTES, deadLetterKey, encodeDeadLetter, type DeadLetter } from '../../schemas/deadletter.ts'
import { SluiceError, type ErrorCode } from '../../schemas/errors.ts'
import type { Operator, OperatorStats } from '../operator.ts'
import { checkpointKey, loadCheckpoints } from './checkpoints.ts'
import { consumeFrom } from './consume.ts'
import { kafkaHeaders, openTransactionalProducer, type OutgoingMessage } from './tx-producer.ts'

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
}

export interface StageStats { received: number, sent: number, dropped: number, deadLetters: number, transactions: number }

const inputKey = (topic: string, partition: number) => `kafka:${topic}/${partition}`

function deadLetter (stage: string, code: ErrorCode, message: string, value: Buffer, topic: string, partition: number, offset: string): DeadLetter {
  return {
    schema_version: 1,
    stage,
    code,
    message,
    at: new Date().toISOString(),
    provenance: { file: null, offset: null, length: null, topic, partition, kafka_offset: Number(offset) },
    raw: new Uint8Array(value.subarray(0, DEAD_LETTER_RAW_BYTES)),
    raw_truncated: value.length > DEAD_LETTER_RAW_BYTES
  }
}

async function * of<T> (items: T[]): AsyncIterable<T> { yield * items }

/**
 * Runs a stage as consume-transform-produce, exactly once: the outputs of each fetched batch, its
 * dead letters and the input position (a checkpoint of job `stage-<name>` in the checkpoint topic)
 * are one Kafka transaction. A restart loads the checkpoints and seeks there, so a crash at any
 * point neither loses nor doubles a record downstream (for read_committed consumers).
 */
export async function runStage<I, O> (kafka: Kafka, def: StageDefinition<I, O>, topics: StageTopics, opts: StageOptions): Promise<StageStats> {
  const job = `stage-${def.name}`
  const producer = openTransactionalProducer(opts.brokers, `sluice-${job}-${topics.checkpoints}`, opts.compression)
  const stats: StageStats = { received: 0, sent: 0, dropped: 0, deadLetters: 0, transactions: 0 }
  const outHeaders = kafkaHeaders({ 'sluice.schema': def.schema, 'sluice.stage': def.name })
  const deadHeaders = kafkaHeaders({ 'sluice.schema': 'deadletter.v1', 'sluice.stage': def.name })
  try {
    const checkpoints = await loadCheckpoints(kafka, producer, topics.checkpoints, job)
    const from: Record<string, number> = {}
    const ours = inputKey(topics.from, 0).replace(/0$/, '')
    for (const c of checkpoints.values()) if (c.file.startsWith(ours)) from[c.file.slice(ours.length)] = c.offset

    /** One transaction: the outputs and dead letters of these messages, and the position after them. */
    const transform = async (partition: number, messages: KafkaMessage[]): Promise<void> => {
      const out: OutgoingMessage[] = []
      const inputs: I[] = []
      // the input offset of each decoded item, for dead letters the operator causes
      const positionOf = new Map<I, string>()
      for (const m of messages) {
        try {
          if (m.value === null) throw new SluiceError('bad_schema', 'empty message value')
          const item = def.decode(m.value, m)
          positionOf.set(item, m.offset)
          inputs.push(item)
        } catch (err) {
          const code = err instanceof SluiceError ? err.code : 'bad_schema'
          const letter = deadLetter(def.name, code, (err as Error).message, m.value ?? Buffer.alloc(0), topics.from, partition, m.offset)
          out.push({ topic: topics.deadletter, key: deadLetterKey(letter), value: encodeDeadLetter(letter), headers: deadHeaders })
          stats.deadLetters++
        }
      }
      const ctx = {
        stats: { received: 0, forwarded: 0 } as OperatorStats,
        // never aborted: a transform cut short would still move the position past all its input
        signal: new AbortController().signal,
        drop: (item: I, reason: string) => {
          const dropped = def.dropped(item, reason)
          if ('deadLetter' in dropped) {
            const { code, message, raw } = dropped.deadLetter
            const letter = deadLetter(def.name, code, message, raw, topics.from, partition, positionOf.get(item) ?? '-1')
            out.push({ topic: topics.deadletter, key: deadLetterKey(letter), value: encodeDeadLetter(letter), headers: deadHeaders })
            stats.deadLetters++
          } else {
            out.push({ topic: topics.to, ...dropped, headers: outHeaders })
            stats.dropped++
          }
        }
      }
      for await (const item of def.operator(of(inputs), ctx)) {
        out.push({ topic: topics.to, ...def.encode(item), headers: outHeaders })
        stats.sent++
      }
      const next = Number(messages.at(-1)!.offset) + 1
      const position = inputKey(topics.from, partition)
      out.push({
        topic: topics.checkpoints,
        key: checkpointKey(job, position),
        value: Buffer.from(JSON.stringify({ job, file: position, offset: next, complete: false, size: 0, mtimeMs: 0, crawlId: null })),
        partition: 0
      })
      await producer.commit(out)
      // the position moves only once the transaction holding it committed
      from[partition] = next
      stats.received += messages.length
      stats.transactions++
    }

    await consumeFrom(kafka, {
      topic: topics.from,
      group: `sluice-${job}`,
      from,
      stopWhenIdleMs: opts.stopWhenIdleMs,
      busy: () => opts.upstreamDone?.() === false,
      signal: opts.signal,
      onBatch: async (partition, fetched) => {
        const step = opts.maxBatchRecords ?? 5000
        for (let i = 0; i < fetched.length; i += step) await transform(partition, fetched.slice(i, i + step))
      }
    })
  } finally {
    await producer.close()
  }
  return stats
}
