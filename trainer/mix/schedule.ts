/** A source's place in a stage's mix: how many tokens it should give and has given. */
export interface MixEntry {
  /** `<stage>/<source>`: the key of per-source accounting. */
  key: string
  target: number
  consumed: number
}

/**
 * Which source gives the next sample: the one furthest behind its share (consumed / target), the
 * first listed among equals. Deterministic without randomness, so the mix needs no state beyond
 * the counts, and a plan change only changes the targets: what was consumed stays counted. Null
 * when every source has reached its target.
 */
export function nextSource<E extends MixEntry> (entries: readonly E[]): E | null {
  let best: E | null = null
  for (const e of entries) {
    if (e.consumed >= e.target) continue
    if (best === null || e.consumed / e.target < best.consumed / best.target) best = e
  }
  return best
}

/** Token targets of a stage's sources: `budget` split by weight, rounded so they sum to it exactly. */
export function splitBudget (budget: number, weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0)
  const raw = weights.map(w => budget * w / total)
  const out = raw.map(Math.floor)
  let left = budget - out.reduce((a, b) => a + b, 0)
  // largest remainders first, so rounding never favours a source by its position alone
  const order = raw.map((r, i) => [r - Math.floor(r), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1])
  for (const [, i] of order) { if (left-- <= 0) break; out[i]!++ }
  return out
}
