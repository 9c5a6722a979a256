import { BucketTables } from './buckets.ts'
import type { NearCandidate, NearDupIndex } from './near-index.ts'
import { fmix32 } from './shingles.ts'

export interface MinHashParams {
  bands: number
  rows: number
  /** Seeds the permutations: signatures compare only between hashers with the same seed and size. */
  seed: number
}

/** Deterministic 32-bit PRNG (mulberry32), so every process draws the same permutations. */
function seededRandom (seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = Math.imul(s ^ (s >>> 15), s | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
}

/**
 * MinHash signatures of bands × rows values by one-permutation hashing with optimal densification
 * (Li et al. 2012; Shrivastava 2017): each shingle is hashed once by a seeded universal hash
 * (a·x + b mod 2³², then murmur's finaliser), its high bits choose one of the k bins and each bin
 * keeps its minimum; an empty bin copies the bin a seeded probe sequence reaches first. Same
 * estimator as k permutations, O(shingles + k) instead of O(shingles × k): k = 112 independent
 * permutations ran at 7–12 MB/s here, under the 30 MB/s budget (streams/README.md, Dedup).
 */
export class MinHasher {
  readonly size: number
  private readonly a: number
  private readonly b: number
  private readonly probe: number

  constructor (readonly params: MinHashParams) {
    this.size = params.bands * params.rows
    const next = seededRandom(params.seed)
    this.a = next() | 1
    this.b = next()
    this.probe = next()
  }

  /** The signature of a non-empty set of shingle hashes (repeats do not change it). */
  signature (hashes: Uint32Array): Uint32Array {
    const k = this.size
    const sig = new Uint32Array(k).fill(0xffffffff)
    const filled = new Uint8Array(k)
    for (let i = 0; i < hashes.length; i++) {
      const v = fmix32((Math.imul(this.a, hashes[i]!) + this.b) | 0)
      const bin = Math.floor((v / 0x100000000) * k)
      filled[bin] = 1
      if (v < sig[bin]!) sig[bin] = v
    }
    for (let bin = 0; bin < k; bin++) {
      if (filled[bin] === 1) continue
      // the probe sequence depends on the bin and the seed only, so two similar sets copy alike
      for (let attempt = 1; ; attempt++) {
        const from = Math.floor((fmix32(this.probe ^ Math.imul(bin, 0x9e3779b1) ^ Math.imul(attempt, 0x85ebca6b)) / 0x100000000) * k)
        if (filled[from] === 1) { sig[bin] = sig[from]!; break }
      }
    }
    return sig
  }
}

/** Share of equal positions: an unbiased estimate of the Jaccard similarity of the two sets. */
export function estimatedJaccard (a: Uint32Array, b: Uint32Array, offsetB = 0): number {
  let equal = 0
  for (let j = 0; j < a.length; j++) if (a[j] === b[offsetB + j]) equal++
  return equal / a.length
}

/**
 * One bucket key per band: the band's rows hashed together. Keys stay below 2³⁰ so V8 keeps them
 * as small integers in Maps; a collision only adds a candidate that verification then rejects.
 */
export function bandKeys (sig: Uint32Array, bands: number, rows: number): Int32Array {
  const keys = new Int32Array(bands)
  for (let band = 0; band < bands; band++) {
    let h = band
    for (let r = band * rows; r < (band + 1) * rows; r++) h = fmix32(Math.imul(h, 0x01000193) ^ sig[r]!)
    keys[band] = h & 0x3fffffff
  }
  return keys
}

/**
 * In-memory LSH index: band → bucket key → representatives (by insertion number). Two documents
 * become candidates when any band matches; a candidate is returned only if the estimated Jaccard
 * of the full signatures reaches `threshold`.
 */
export class MinHashLshIndex implements NearDupIndex<Uint32Array> {
  private readonly tables: BucketTables
  private signatures: Uint32Array
  private readonly width: number

  constructor (private readonly params: MinHashParams & { threshold: number }) {
    this.width = params.bands * params.rows
    this.tables = new BucketTables(params.bands)
    this.signatures = new Uint32Array(this.width * 1024)
  }

  get size (): number { return this.tables.size }

  query (sig: Uint32Array): NearCandidate[] {
    const seen = this.tables.candidates(bandKeys(sig, this.params.bands, this.params.rows))
    return this.tables.verified(seen, n => {
      const similarity = estimatedJaccard(sig, this.signatures, n * this.width)
      return similarity >= this.params.threshold ? similarity : null
    })
  }

  add (id: string, sig: Uint32Array): void {
    const n = this.tables.add(id, bandKeys(sig, this.params.bands, this.params.rows))
    if ((n + 1) * this.width > this.signatures.length) {
      const bigger = new Uint32Array(this.signatures.length * 2)
      bigger.set(this.signatures)
      this.signatures = bigger
    }
    this.signatures.set(sig, n * this.width)
  }
}
