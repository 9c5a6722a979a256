import crypto from 'node:crypto'
import { inject } from 'vitest'
import type { Kafka } from 'kafkajs'
import { kafkaClient } from '../../streams/kafka/client.ts'

export function testBrokers (): string[] {
  return inject('brokers').split(',')
}

/** A topic prefix no other test uses, so every test gets fresh topics on the shared broker. */
export function freshPrefix (name: string): string {
  return `t-${name}-${crypto.randomBytes(4).toString('hex')}.`
}

export interface ReadBack { key: string, value: Buffer, partition: number, offset: string }

/**
 * Reads every committed message of `topic` (read_committed), stopping once every partition is
 * caught up with the high watermark it had when reading started.
 */
export async function readAll (kafka: Kafka, topic: string, timeoutMs = 60_000): Promise<ReadBack[]> {
  const admin = kafka.admin()
  await admin.connect()
  const ends = await admin.fetchTopicOffsets(topic)
  await admin.disconnect()
  const remaining = new Map(ends.filter(e => e.high !== e.low).map(e => [e.partition, Number(e.high)]))
  const out: ReadBack[] = []
  if (remaining.size === 0) return out
  const consumer = kafka.consumer({ groupId: `readback-${crypto.randomUUID()}`, readUncommitted: false })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  let finish!: () => void
  const done = new Promise<void>(resolve => { finish = resolve })
  // batches holding only transaction markers never reach eachBatch, but do end with this event
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (Number(payload.lastOffset) + 1 >= (remaining.get(payload.partition) ?? 0)) remaining.delete(payload.partition)
    if (remaining.size === 0) finish()
  })
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) out.push({ key: m.key?.toString() ?? '', value: m.value ?? Buffer.alloc(0), partition: batch.partition, offset: m.offset })
    }
  })
  const timer = setTimeout(finish, timeoutMs)
  await done
  clearTimeout(timer)
  await consumer.disconnect()
  if (remaining.size > 0) throw new Error(`readAll(${topic}): partitions ${[...remaining.keys()].join(',')} not caught up in ${timeoutMs} ms`)
  return out
}

export function testKafka (): Kafka {
  return kafkaClient(testBrokers(), 'sluice-test')
}
