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

const SENTINEL = '__readback__'

/**
 * Reads every committed message of `topic` (read_committed). It first appends a sentinel to each
 * partition and reads until it has seen them all: offsets alone cannot say where committed data
 * ends, because a partition's tail may be transaction markers or aborted records that a
 * read_committed consumer never sees. Sentinels of earlier reads are skipped.
 */
export async function readAll (kafka: Kafka, topic: string, timeoutMs = 60_000): Promise<ReadBack[]> {
  const nonce = `${SENTINEL}${crypto.randomUUID()}`
  const admin = kafka.admin()
  await admin.connect()
  const partitions = (await admin.fetchTopicOffsets(topic)).map(p => p.partition)
  await admin.disconnect()
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  await producer.send({ topic, acks: -1, messages: partitions.map(partition => ({ key: nonce, value: '', partition })) })
  await producer.disconnect()

  const waiting = new Set(partitions)
  const out: ReadBack[] = []
  const consumer = kafka.consumer({ groupId: `readback-${crypto.randomUUID()}`, readUncommitted: false })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  let finish!: () => void
  const done = new Promise<void>(resolve => { finish = resolve })
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        const key = m.key?.toString() ?? ''
        if (key === nonce) waiting.delete(batch.partition)
        else if (!key.startsWith(SENTINEL)) out.push({ key, value: m.value ?? Buffer.alloc(0), partition: batch.partition, offset: m.offset })
      }
      if (waiting.size === 0) finish()
    }
  })
  const timer = setTimeout(finish, timeoutMs)
  await done
  clearTimeout(timer)
  await consumer.disconnect()
  if (waiting.size > 0) throw new Error(`readAll(${topic}): partitions ${[...waiting].join(',')} not read to the end in ${timeoutMs} ms`)
  return out
}

export function testKafka (): Kafka {
  return kafkaClient(testBrokers(), 'sluice-test')
}

/** Sum of the partitions' high watermarks: how far a topic has been written, committed or not. */
export async function highWatermarks (topic: string): Promise<number> {
  const admin = testKafka().admin()
  await admin.connect()
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((s, p) => s + Number(p.high), 0)
  } finally {
    await admin.disconnect()
  }
}
