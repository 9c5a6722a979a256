import type { KafkaMessage } from 'kafkajs'
import type { StageInput } from './stage-batch.ts'

/**
 * Puts the messages of several partitions into one order that depends only on their offsets:
 * by round (offset ÷ `roundOffsets`), then partition, then offset. Fetch timing decides nothing,
 * so a stateful stage (dedup: the earliest document wins) decides the same after a restart as in
 * a run without one. The price: a round waits until every partition is known to be past it, that
 * is until one of its messages of a later round arrived; only `take(.., force)` goes on without
 * the silent ones (when the input ended, or stayed silent too long).
 */
export class AlignedMerge {
  private queues: KafkaMessage[][] = []
  private heads: number[] = []
  /** The lowest offset each partition can still deliver. */
  private next: number[] = []

  constructor (private readonly partitions: number, from: Record<number, number>, private readonly roundOffsets: number) {
    this.reset(from)
  }

  /** Forgets what is queued: the reader starts again at `from` (after a consumer group rejoin). */
  reset (from: Record<number, number>): void {
    this.queues = Array.from({ length: this.partitions }, () => [])
    this.heads = new Array<number>(this.partitions).fill(0)
    this.next = Array.from({ length: this.partitions }, (_, p) => from[p] ?? 0)
  }

  push (partition: number, messages: KafkaMessage[]): void {
    const fresh = messages.filter(m => Number(m.offset) >= this.next[partition]!)
    if (fresh.length === 0) return
    this.queues[partition]!.push(...fresh)
    this.next[partition] = Number(fresh.at(-1)!.offset) + 1
  }

  queuedOf (partition: number): number { return this.queues[partition]!.length - this.heads[partition]! }

  get queued (): number {
    let n = 0
    for (let p = 0; p < this.partitions; p++) n += this.queuedOf(p)
    return n
  }

  /**
   * Up to `max` messages in merge order. Without `force` it stops where a partition with nothing
   * queued could still deliver an earlier message; with it, such partitions are passed over.
   */
  take (max: number, force: boolean): StageInput[] {
    const out: StageInput[] = []
    while (out.length < max) {
      let best = -1
      let bestRound = Infinity
      let waiting = false
      for (let p = 0; p < this.partitions; p++) {
        const queued = this.queuedOf(p) > 0
        if (!queued && force) continue
        const offset = queued ? Number(this.queues[p]![this.heads[p]!]!.offset) : this.next[p]!
        const round = Math.floor(offset / this.roundOffsets)
        // partitions are scanned in order, so the first with the smallest round wins a tie
        if (round < bestRound) { bestRound = round; best = p; waiting = !queued }
      }
      if (best < 0 || waiting) break
      out.push({ partition: best, message: this.queues[best]![this.heads[best]!++]! })
      if (this.heads[best] === this.queues[best]!.length) { this.queues[best] = []; this.heads[best] = 0 }
    }
    return out
  }
}
