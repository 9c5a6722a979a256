import type { KafkaMessage } from 'kafkajs'
import { DEAD_LETTER_RAW_BYTES, deadLetterKey, encodeDeadLetter, type DeadLetter } from '../../schemas/deadletter.ts'
import { SluiceError, type ErrorCode } from '../../schemas/errors.ts'
import type { OperatorStats } from '../operator.ts'
import { checkpointKey } from './checkpoints.ts'
import type { StageDefinition, StageStats, StageTopics } from './stage-worker.ts'
import { kafkaHeaders, type OutgoingMessage } from './tx-producer.ts'

/** One input message and the partition it came from. */
export interface StageInput { partition: number, message: KafkaMessage }

/** The checkpoint key of one input partition. */
export const inputKey = (topic: string, partition: number) => `kafka:${topic}/${partition}`

function deadLetter (stage: string, code: ErrorCode, message: string, value: Buffer, topic: string, at: StageInput | undefined): DeadLetter {
  return {
    schema_version: 1,
    stage,
    code,
    message,
    at: new Date().toISOString(),
    provenance: { file: null, offset: null, length: null, topic, partition: at?.partition ?? null, kafka_offset: at === undefined ? null : Number(at.message.offset) },
    raw: new Uint8Array(value.subarray(0, DEAD_LETTER_RAW_BYTES)),
    raw_truncated: value.length > DEAD_LETTER_RAW_BYTES
  }
}

async function * of<T> (items: T[]): AsyncIterable<T> { yield * items }

/**
 * What a batch of input messages becomes, in input order: the outputs, the documents marked drop
 * and the dead letters (of messages that do not decode, and of items the operator could not
 * process). The caller adds the input positions and commits it all as one transaction.
 */
export async function transformInputs<I, O> (def: StageDefinition<I, O>, topics: StageTopics, inputs: StageInput[], stats: StageStats): Promise<OutgoingMessage[]> {
  const outHeaders = kafkaHeaders({ 'sluice.schema': def.schema, 'sluice.stage': def.name })
  const deadHeaders = kafkaHeaders({ 'sluice.schema': 'deadletter.v1', 'sluice.stage': def.name })
  const out: OutgoingMessage[] = []
  const items: I[] = []
  // where each decoded item was read, for dead letters the operator causes
  const inputOf = new Map<I, StageInput>()
  const letter = (code: ErrorCode, message: string, raw: Buffer, at: StageInput | undefined) => {
    const dead = deadLetter(def.name, code, message, raw, topics.from, at)
    out.push({ topic: topics.deadletter, key: deadLetterKey(dead), value: encodeDeadLetter(dead), headers: deadHeaders })
    stats.deadLetters++
  }
  for (const input of inputs) {
    const m = input.message
    try {
      if (m.value === null) throw new SluiceError('bad_schema', 'empty message value')
      const item = def.decode(m.value, m)
      inputOf.set(item, input)
      items.push(item)
    } catch (err) {
      letter(err instanceof SluiceError ? err.code : 'bad_schema', (err as Error).message, m.value ?? Buffer.alloc(0), input)
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
        letter(code, message, raw, inputOf.get(item))
      } else {
        out.push({ topic: topics.to, ...dropped, headers: outHeaders })
        stats.dropped++
      }
    }
  }
  for await (const item of def.operator(of(items), ctx)) {
    out.push({ topic: topics.to, ...def.encode(item), headers: outHeaders })
    stats.sent++
  }
  return out
}

/** The checkpoint record saying `job` has read `partition` of the input up to `next`. */
export function positionRecord (job: string, topics: StageTopics, partition: number, next: number): OutgoingMessage {
  const position = inputKey(topics.from, partition)
  return {
    topic: topics.checkpoints,
    key: checkpointKey(job, position),
    value: Buffer.from(JSON.stringify({ job, file: position, offset: next, complete: false, size: 0, mtimeMs: 0, crawlId: null })),
    partition: 0
  }
}
