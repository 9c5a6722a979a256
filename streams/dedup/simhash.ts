import { BucketTables } from './buckets.ts'
import type { NearCandidate, NearDupIndex } from './near-index.ts'
import { Scratch } from './scratch.ts'
import { fmix32 } from './shingles.ts'

/** A 64-bit fingerprint as two unsigned 32-bit halves (BigInt would cost an allocation per step). */
export interface SimHash { hi: number, lo: number }

/**
 * Bit planes of the vertical counters of eights: 2¹⁶ − 1 at most. A block of eight words adds at
 * most one eight per position, so flushing every 2¹⁶ − 1 blocks never overflows.
 */
const PLANES = 16
const FLUSH_EVERY = (1 << PLANES) - 1

/** Adds one bit per position to 32 bit-sliced counters: a ripple carry, two planes on average. */
function addBits (planes: Int32Array, x: number): void {
  let carry = x
  for (let p = 0; carry !== 0; p++) {
    const next = planes[p]! & carry
    planes[p] = planes[p]! ^ carry
    carry = next
  }
}

/** Adds `weight` × each plane's bits to the 32 counters from `offset`, and clears the planes. */
function flush (planes: Int32Array, weight: number, counts: Float64Array, offset: number): void {
  for (let p = 0; p < PLANES; p++) {
    const plane = planes[p]!
    if (plane === 0) continue
    for (let bit = 0; bit < 32; bit++) if ((plane >>> bit) & 1) counts[offset + bit]! += weight * (1 << p)
    planes[p] = 0
  }
}

/** Adds the three partial bit-sliced counters (weights 1, 2 and 4) to the counters from `offset`. */
function flushPartial (ones: number, twos: number, fours: number, counts: Float64Array, offset: number): void {
  for (let bit = 0; bit < 32; bit++) counts[offset + bit]! += ((ones >>> bit) & 1) + 2 * ((twos >>> bit) & 1) + 4 * ((fours >>> bit) & 1)
}

const planes = new Int32Array(PLANES)

/**
 * Per bit position, how many of `words[0..n)` have that bit set, added to `counts[offset..+32)`.
 * Harley–Seal vertical counting: carry-save adders fold eight words into one word of eights with
 * 7 × 5 branch-free operations, and only the eights ripple into the bit-sliced counters, so the
 * data-dependent carry loop (a mispredicted branch each) runs once per eight words, not per word.
 */
function countBits (words: Int32Array, n: number, counts: Float64Array, offset: number): void {
  let ones = 0
  let twos = 0
  let fours = 0
  let pending = 0
  let i = 0
  for (; i + 8 <= n; i += 8) {
    // csa(a, b, c): sum = a ^ b ^ c, carry = majority(a, b, c)
    let u = ones ^ words[i]!
    let twosA = (ones & words[i]!) | (u & words[i + 1]!)
    ones = u ^ words[i + 1]!
    u = ones ^ words[i + 2]!
    let twosB = (ones & words[i + 2]!) | (u & words[i + 3]!)
    ones = u ^ words[i + 3]!
    u = twos ^ twosA
    let foursA = (twos & twosA) | (u & twosB)
    twos = u ^ twosB
    u = ones ^ words[i + 4]!
    twosA = (ones & words[i + 4]!) | (u & words[i + 5]!)
    ones = u ^ words[i + 5]!
    u = ones ^ words[i + 6]!
    twosB = (ones & words[i + 6]!) | (u & words[i + 7]!)
    ones = u ^ words[i + 7]!
    u = twos ^ twosA
    const foursB = (twos & twosA) | (u & twosB)
    twos = u ^ twosB
    u = fours ^ foursA
    const eights = (fours & foursA) | (u & foursB)
    fours = u ^ foursB
    addBits(planes, eights)
    if (++pending === FLUSH_EVERY) {
      flush(planes, 8, counts, offset)
      pending = 0
    }
  }
  // the last words ripple in one by one; fewer than eight add at most one eight per position
  for (; i < n; i++) {
    let carry = words[i]!
    let next = ones & carry
    ones ^= carry
    carry = next
    next = twos & carry
    twos ^= carry
    carry = next
    next = fours & carry
    fours ^= carry
    addBits(planes, next)
  }
  flush(planes, 8, counts, offset)
  flushPartial(ones, twos, fours, counts, offset)
}

/** The upper halves of the shingles' 64 bits. */
const upperScratch = new Scratch(1 << 16)

/**
 * Charikar's SimHash over the shingle hashes, each occurrence weighing one (so frequent shingles
 * weigh more): bit i is set when most shingles have bit i set. Counting per bit would cost 64
 * additions per shingle; bit-sliced counters fed by carry-save adders cost about a dozen word
 * operations instead. The upper half of each shingle's 64 bits is derived from its 32-bit hash.
 */
export function simhash (hashes: Uint32Array): SimHash {
  const n = hashes.length
  const bytes = upperScratch.get(n * 4)
  const upper = new Int32Array(bytes.buffer, bytes.byteOffset, n)
  for (let i = 0; i < n; i++) upper[i] = fmix32(hashes[i]! ^ 0x9e3779b9)
  const counts = new Float64Array(64)
  countBits(new Int32Array(hashes.buffer, hashes.byteOffset, n), n, counts, 0)
  countBits(upper, n, counts, 32)
  let hi = 0
  let lo = 0
  for (let bit = 0; bit < 32; bit++) {
    if (counts[bit]! * 2 > n) lo |= 1 << bit
    if (counts[32 + bit]! * 2 > n) hi |= 1 << bit
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
