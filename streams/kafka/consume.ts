import type { Kafka, KafkaMessage } from 'kafkajs'

/** Stops and restarts fetching one partition (what a reader holding too much of it unread does). */
export interface Flow { pause: (partition: number) => void, resume: (partition: number) => void }

export interface ConsumeOptions {
  topic: string
  /**
   * The consumer group: shared by the workers of one stage so they split the partitions, or a
   * private one (a fresh name) for a reader that wants all of them. Offsets are never committed to
   * it: positions live with the output (a snapshot, a checkpoint).
   */
  group: string
  /** Told the partitions this consumer owns after each rebalance, with a way to move a partition's position. */
  onAssign?: (partitions: number[], seek: (partition: number, offset: number) => void, flow: Flow) => void
  /** Next offset to read per partition; partitions not named start at the beginning. */
  from: Record<string, number>
  /** Called with each fetched batch of one partition, already cut below `from`; `heartbeat` keeps a long batch in the group. */
  onBatch: (partition: number, messages: KafkaMessage[], heartbeat: () => Promise<void>) => Promise<void>
  /** Called every 100 ms (time-based commits). */
  onTick?: () => Promise<void>
  /** Whether the caller still holds work; idleness only counts when it does not. */
  busy?: () => boolean
  /** Stop once nothing arrived for this long and the caller is not busy; otherwise run until aborted. */
  stopWhenIdleMs?: number
  signal?: AbortSignal
  /**
   * Bytes one fetch takes from a partition (a larger message still comes whole). Small fetches
   * bound memory and let a rebalance (a worker joining) land between them; a sink wants large ones.
   */
  maxBytesPerPartition?: number
}

/**
 * Reads a topic with read_committed from given offsets until aborted or idle. A failure in a
 * callback stops the loop and is rethrown. The positions are the caller's (stored with its
 * output, e.g. in a snapshot or a checkpoint), so a restart seeks exactly where the last commit
 * ended; messages below them (a fetch that raced the seek) are never handed over.
 */
export async function consumeFrom (kafka: Kafka, opts: ConsumeOptions): Promise<void> {
  const consumer = kafka.consumer({ groupId: opts.group, readUncommitted: false, maxBytesPerPartition: opts.maxBytesPerPartition ?? 1 << 20 })
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
  let tick: Promise<void> | null = null
  const timer = setInterval(() => {
    if (opts.stopWhenIdleMs !== undefined && joined && !processing && tick === null && opts.busy?.() !== true && Date.now() - lastMessageAt >= opts.stopWhenIdleMs) finish()
    else if (tick === null && opts.onTick !== undefined) {
      tick = opts.onTick().catch(fail).finally(() => { tick = null })
    }
  }, 100)
  const onAbort = () => finish()
  opts.signal?.addEventListener('abort', onAbort, { once: true })
  try {
    await consumer.subscribe({ topic: opts.topic, fromBeginning: true })
    const seek = (partition: number, offset: number) => consumer.seek({ topic: opts.topic, partition, offset: String(offset) })
    const flow: Flow = {
      pause: partition => consumer.pause([{ topic: opts.topic, partitions: [partition] }]),
      resume: partition => consumer.resume([{ topic: opts.topic, partitions: [partition] }])
    }
    consumer.on(consumer.events.GROUP_JOIN, event => {
      joined = true
      lastMessageAt = Date.now()
      const assigned = event.payload.memberAssignment[opts.topic] ?? []
      for (const partition of assigned) if (opts.from[partition] !== undefined) seek(partition, opts.from[partition])
      opts.onAssign?.(assigned, seek, flow)
    })
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat }) => {
        if (failure !== null) return
        const start = opts.from[batch.partition] ?? 0
        const messages = batch.messages.filter(m => Number(m.offset) >= start)
        if (messages.length === 0) return
        processing = true
        await opts.onBatch(batch.partition, messages, heartbeat).catch(fail).finally(() => { processing = false })
        lastMessageAt = Date.now()
        await heartbeat()
      }
    })
    await done
  } finally {
    clearInterval(timer)
    // a tick's work (a commit) finishes before the consumer goes
    await tick
    opts.signal?.removeEventListener('abort', onAbort)
    await consumer.disconnect()
  }
  if (failure !== null) throw failure
}
