import type { NearCandidate } from './near-index.ts'

/**
 * The part MinHash-LSH and SimHash's permuted tables share: one exact-match table per band (or
 * block choice), key → representatives by insertion number, and the ids behind those numbers.
 * A bucket holds a bare number until it has a second member: most buckets never do.
 */
export class BucketTables {
  private readonly tables: Array<Map<number, number | number[]>>
  private readonly ids: string[] = []

  constructor (count: number) {
    this.tables = Array.from({ length: count }, () => new Map())
  }

  get size (): number { return this.ids.length }

  /** Insertion numbers sharing at least one table's key with `keys`. */
  candidates (keys: ArrayLike<number>): Set<number> {
    const seen = new Set<number>()
    for (let t = 0; t < keys.length; t++) {
      const hit = this.tables[t]!.get(keys[t]!)
      if (hit === undefined) continue
      if (typeof hit === 'number') seen.add(hit)
      else for (const n of hit) seen.add(n)
    }
    return seen
  }

  /** Files `id` under one key per table; returns its insertion number. */
  add (id: string, keys: ArrayLike<number>): number {
    const n = this.ids.length
    this.ids.push(id)
    for (let t = 0; t < keys.length; t++) {
      const table = this.tables[t]!
      const hit = table.get(keys[t]!)
      if (hit === undefined) table.set(keys[t]!, n)
      else if (typeof hit === 'number') table.set(keys[t]!, [hit, n])
      else hit.push(n)
    }
    return n
  }

  /** The candidates `score` accepts (a similarity, or null to reject), earliest first. */
  verified (seen: Set<number>, score: (n: number) => number | null): NearCandidate[] {
    const out: Array<{ n: number, similarity: number }> = []
    for (const n of seen) {
      const similarity = score(n)
      if (similarity !== null) out.push({ n, similarity })
    }
    return out.sort((x, y) => x.n - y.n).map(c => ({ id: this.ids[c.n]!, similarity: c.similarity }))
  }
}
