import crypto from 'node:crypto'
import type { Kafka } from 'kafkajs'
import { SluiceError } from '../../schemas/errors.ts'
import type { TransactionalProducer } from './tx-producer.ts'

/** How far one job has read one input: written in the same Kafka transaction as the records. */
export interface FileCheckpoint {
  job: string
  file: string
  /** The `end` of the last item sent, in the file's (decompressed) stream. */
  offset: number
  /** The file was read to its end when it had this size (bytes on disk) and mtime. */
  complete: boolean
  size: number
  mtimeMs: number
  /** Crawl id of the last record sent, for a resumed reader that starts after the warcinfo. */
  crawlId: string | null
}

const SEP = '\u0000'
export const checkpointKey = (job: string, file: string) => `${job}${SEP}${file}`
const sentinelKey = (job: string) => `${job}${SEP}#open`

/**
 * Loads a job's checkpoints from the compacted checkpoint topic. The job first commits a
 * sentinel of its own (a fresh nonce) with the producer that will write its checkpoints; reading
 * with read_committed until that sentinel appears proves every earlier committed checkpoint was
 * seen, without guessing where the end of the topic is.
 */
export async function loadCheckpoints (kafka: Kafka, producer: TransactionalProducer, topic: string, job: string): Promise<Map<string, FileCheckpoint>> {
  const nonce = crypto.randomUUID()
  await producer.commit([{ topic, key: sentinelKey(job), value: Buffer.from(nonce), partition: 0 }])
  const found = new Map<string, FileCheckpoint>()
  let sawSentinel = false
  const consumer = kafka.consumer({ groupId: `sluice-checkpoints-${nonce}`, readUncommitted: false, allowAutoTopicCreation: false })
  await consumer.connect()
  try {
    let resolveDone!: () => void
    const done = new Promise<void>(resolve => { resolveDone = resolve })
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const key = m.key?.toString() ?? ''
          if (!key.startsWith(job + SEP)) continue
          if (key === sentinelKey(job)) {
            if (m.value?.toString() === nonce) { sawSentinel = true; resolveDone() }
            continue
          }
          if (m.value === null) { found.delete(key); continue }
          found.set(key, JSON.parse(m.value.toString()) as FileCheckpoint)
        }
      }
    })
    const timeout = setTimeout(() => resolveDone(), 120_000)
    await done
    clearTimeout(timeout)
  } finally {
    await consumer.disconnect()
  }
  // resuming from a partial view would send records twice, so a timeout is fatal
  if (!sawSentinel) throw new SluiceError('kafka', `could not read the checkpoints of job ${job} from ${topic} within 120 s`, { retryable: true })
  return new Map([...found.values()].map(c => [c.file, c]))
}
