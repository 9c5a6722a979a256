import { BucketTables } from './buckets.ts'
import type { NearCandidate, NearDupIndex } from './near-index.ts'
import { fmix32 } from './shingles.ts'

/** A 64-bit fingerprint as two unsigned 32-bit halves (BigInt would cost an allocation per step). */
export interface SimHash { hi: number, lo: number }

/** Bit planes of the vertical counters: each holds up to 2¹⁶ − 1 before it is flushed. */
const PLANES = 16
const FLUSH_EVERY = (1 << PLANES) - 1

/** Adds one bit per position to 32 bit-sliced counters: a ripple carry, two planes on average. */
function addBits (planes: Int32Array, base: number, x: number): void {
  let carry = x
  for (let p = base; carry !== 0; p++) {
    const next = planes[p]! & carry
    planes[p] = planes[p]! ^ carry
    carry = next
  }
}

function flush (planes: Int32Array, counts: Float64Array): void {
  for (let half = 0; half < 2; half++) {
    for (let p = 0; p < PLANES; p++) {
      const plane = planes[half * PLANES + p]!
      if (plane === 0) continue
      for (let bit = 0; bit < 32; bit++) if ((plane >>> bit) & 1) counts[half * 32 + bit]! += 1 << p
      planes[half * PLANES + p] = 0
    }
  }
}

/**
 * Charikar's SimHash over the shingle hashes, each occurrence weighing one (so frequent shingles
 * weigh more): bit i is set when most shingles have bit i set. Counting per bit would cost 64
 * additions per shingle; bit-sliced counters cost a few word operations instead. The upper half of
 * each shingle's 64 bits is derived from its 32-bit hash.
 */
export function simhash (hashes: Uint32Array): SimHash {
  const planes = new Int32Array(2 * PLANES + 1)
  const counts = new Float64Array(64)
  let pending = 0
  for (let i = 0; i < hashes.length; i++) {
    const lo = hashes[i]!
    addBits(planes, 0, lo)
    addBits(planes, PLANES, fmix32(lo ^ 0x9e3779b9))
    if (++pending === FLUSH_EVERY) {
      flush(planes, counts)
      pending = 0
    }
  }
  flush(planes, counts)
  let hi = 0
  let lo = 0
  for (let bit = 0; bit < 32; bit++) {
    if (counts[bit]! * 2 > hashes.length) lo |= 1 << bit
    if (counts[32 + bit]! * 2 > hashes.length) hi |= 1 << bit
  }
  return { hi: hi >>> 0, lo: lo >>> 0 }
}

function popcount32 (x: number): number {
  x -= (x >>> 1) & 0x55555555
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333)
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24)
}

export function hamming (a: SimHash, b: SimHash): number {
  return popcount32(a.hi ^ b.hi) + popcount32(a.lo ^ b.lo)
}

/** Every way to choose `k` of `0..n-1`, in lexicographic order. */
function combinations (n: number, k: number): number[][] {
  if (k === 0) return [[]]
  const out: number[][] = []
  for (let first = 0; first <= n - k; first++) {
    for (const rest of combinations(n - first - 1, k - 1)) out.push([first, ...rest.map(r => r + first + 1)])
  }
  return out
}

export interface SimHashIndexParams {
  /** The fingerprint is cut into this many equal blocks (4 → 16 bits each, 8 → 8 bits). */
  blocks: 4 | 8
  /** Largest Hamming distance that counts as a near duplicate; below `blocks`. */
  maxHamming: number
}

/**
 * Manku et al.'s permuted tables: fingerprints within `maxHamming` bits differ in at most that many
 * blocks, so they agree exactly on some `blocks − maxHamming` of them. One exact-match table per
 * such choice of blocks finds every pair within the distance; a Hamming check drops the rest.
 * 4 blocks, distance 3: four tables keyed by 16 bits.
 */
export class SimHashIndex implements NearDupIndex<SimHash> {
  private readonly choices: number[][]
  private readonly tables: BucketTables
  private readonly his: number[] = []
  private readonly los: number[] = []
  private readonly bits: number

  constructor (private readonly params: SimHashIndexParams) {
    this.choices = combinations(params.blocks, params.blocks - params.maxHamming)
    this.tables = new BucketTables(this.choices.length)
    this.bits = 64 / params.blocks
  }

  get size (): number { return this.tables.size }

  private block (sig: SimHash, i: number): number {
    const perWord = 32 / this.bits
    const word = i < perWord ? sig.lo : sig.hi
    return (word >>> ((i % perWord) * this.bits)) & ((1 << this.bits) - 1)
  }

  private keys (sig: SimHash): Int32Array {
    const keys = new Int32Array(this.choices.length)
    for (let t = 0; t < keys.length; t++) {
      let h = t
      for (const i of this.choices[t]!) h = Math.imul(h ^ this.block(sig, i), 0x01000193)
      keys[t] = fmix32(h) & 0x3fffffff
    }
    return keys
  }

  query (sig: SimHash): NearCandidate[] {
    return this.tables.verified(this.tables.candidates(this.keys(sig)), n => {
      const d = hamming(sig, { hi: this.his[n]!, lo: this.los[n]! })
      return d <= this.params.maxHamming ? 1 - d / 64 : null
    })
  }

  add (id: string, sig: SimHash): void {
    this.tables.add(id, this.keys(sig))
    this.his.push(sig.hi)
    this.los.push(sig.lo)
  }
}
