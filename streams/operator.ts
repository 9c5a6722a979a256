/**
 * The contract every pipeline operator follows: an async-iterable function of its input and a
 * context. It pulls one item at a time (so read-ahead is bounded by its caller), forwards what it
 * keeps and passes everything else to `ctx.drop` with a reason: nothing disappears.
 */
export type Operator<I, O> = (input: AsyncIterable<I>, ctx: OperatorContext<I>) => AsyncIterable<O>

export interface OperatorStats {
  received: number
  forwarded: number
  /** `dropped_<reason>` counters. */
  [dropped: `dropped_${string}`]: number
}

export interface OperatorContext<I> {
  readonly stats: OperatorStats
  readonly signal: AbortSignal
  /** Counts the item under `reason` and routes it onward (dead letter or a document marked drop). */
  drop: (item: I, reason: string) => void
}

/** A context that counts and collects dropped items, for `sluice apply` and for tests. */
export function collectingContext<I> (signal: AbortSignal = new AbortController().signal): OperatorContext<I> & { dropped: Array<{ item: I, reason: string }> } {
  const dropped: Array<{ item: I, reason: string }> = []
  const stats: OperatorStats = { received: 0, forwarded: 0 }
  return {
    stats,
    signal,
    dropped,
    drop: (item, reason) => {
      const key = `dropped_${reason}` as const
      stats[key] = (stats[key] ?? 0) + 1
      dropped.push({ item, reason })
    }
  }
}

/** Wraps an operator so `received` and `forwarded` are counted the same way for all of them. */
export function counted<I, O> (op: Operator<I, O>): Operator<I, O> {
  return async function * (input, ctx) {
    async function * counting () {
      for await (const item of input) {
        ctx.stats.received++
        yield item
      }
    }
    for await (const out of op(counting(), ctx)) {
      ctx.stats.forwarded++
      yield out
      if (ctx.signal.aborted) return
    }
  }
}

/**
 * Runs operators one after another as one: each sees what the previous one forwarded and drops
 * through the same context, so a stage counts its input and output once.
 */
export function chain<T> (...ops: Array<Operator<T, T>>): Operator<T, T> {
  return counted((input, ctx) => ops.reduce<AsyncIterable<T>>(
    (stream, op) => op(stream, { stats: { received: 0, forwarded: 0 }, signal: ctx.signal, drop: ctx.drop }),
    input))
}
