import crypto from 'node:crypto'
import type { Kafka, KafkaMessage } from 'kafkajs'

export interface ConsumeOptions {
  topic: string
  /** Names the throwaway consumer group (offsets live with the output, never in the group). */
  group: string
  /** Next offset to read per partition; partitions not named start at the beginning. */
  from: Record<string, number>
  /** Called with each fetched batch of one partition, already cut below `from`. */
  onBatch: (partition: number, messages: KafkaMessage[]) => Promise<void>
  /** Called every 100 ms (time-based commits). */
  onTick?: () => Promise<void>
  /** Whether the caller still holds work; idleness only counts when it does not. */
  busy?: () => boolean
  /** Stop once nothing arrived for this long and the caller is not busy; otherwise run until aborted. */
  stopWhenIdleMs?: number
  signal?: AbortSignal
}

/**
 * Reads a topic with read_committed from given offsets until aborted or idle. A failure in a
 * callback stops the loop and is rethrown. The positions are the caller's (stored with its
 * output, e.g. in a snapshot or a checkpoint), so a restart seeks exactly where the last commit
 * ended; messages below them (a fetch that raced the seek) are never handed over.
 */
export async function consumeFrom (kafka: Kafka, opts: ConsumeOptions): Promise<void> {
  const consumer = kafka.consumer({ groupId: `${opts.group}-${crypto.randomUUID()}`, readUncommitted: false, maxBytesPerPartition: 16 << 20 })
  await consumer.connect()
  let failure: unknown = null
  let finish!: () => void
  const done = new Promise<void>(resolve => { finish = resolve })
  const fail = (err: unknown) => { failure ??= err; finish() }
  let lastMessageAt = Date.now()
  // idleness counts from joining the group: a slow join (a broker's rebalance delay) is not an empty topic
  let joined = false
  // a batch being processed is not idleness, however long it takes
  let processing = false
  let ticking = false
  const timer = setInterval(() => {
    if (!ticking && opts.onTick !== undefined) {
      ticking = true
      opts.onTick().catch(fail).finally(() => { ticking = false })
    }
    if (opts.stopWhenIdleMs !== undefined && joined && !processing && opts.busy?.() !== true && Date.now() - lastMessageAt >= opts.stopWhenIdleMs) finish()
  }, 100)
  const onAbort = () => finish()
  opts.signal?.addEventListener('abort', onAbort, { once: true })
  try {
    await consumer.subscribe({ topic: opts.topic, fromBeginning: true })
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joined = true
      lastMessageAt = Date.now()
      for (const [partition, offset] of Object.entries(opts.from)) consumer.seek({ topic: opts.topic, partition: Number(partition), offset: String(offset) })
    })
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat }) => {
        if (failure !== null) return
        const start = opts.from[batch.partition] ?? 0
        const messages = batch.messages.filter(m => Number(m.offset) >= start)
        if (messages.length === 0) return
        processing = true
        await opts.onBatch(batch.partition, messages).catch(fail).finally(() => { processing = false })
        lastMessageAt = Date.now()
        await heartbeat()
      }
    })
    await done
  } finally {
    clearInterval(timer)
    opts.signal?.removeEventListener('abort', onAbort)
    await consumer.disconnect()
  }
  if (failure !== null) throw failure
}
