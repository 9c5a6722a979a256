/**
 * A merging t-digest (Dunning & Ertl, "Computing extremely accurate quantiles using t-digests"):
 * a streaming quantile sketch of at most ~`compression` centroids, small near the tails and
 * larger in the middle (scale function k1, k(q) = δ/2π · asin(2q − 1)). Adds go to a buffer that
 * is sorted and merged into the centroids when full. Two digests merge; a digest serialises to a
 * few kilobytes. Stateful.
 *
 * `cdf` and `quantile` interpolate linearly between the centroids' mid ranks (a centroid of
 * weight w at cumulative weight W sits at rank W + w/2), with the exact minimum and maximum at
 * the ends, so they are inverse to each other.
 *
 * @example
 * const d = new TDigest()
 * for (const x of perplexities) d.add(x)
 * d.quantile(0.3) // the perplexity below which 30% of the documents fall
 * d.cdf(412.5)    // the share of documents with a lower perplexity
 */
export class TDigest {
  readonly compression: number
  private means: Float64Array
  private weights: Float64Array
  private centroids = 0
  private readonly buffer: Float64Array
  private readonly bufferWeights: Float64Array
  private buffered = 0
  private total = 0
  private lo = Infinity
  private hi = -Infinity

  constructor (compression = 200) {
    if (!(compression >= 10 && compression <= 10_000)) throw new RangeError(`t-digest compression must be in [10, 10000], got ${compression}`)
    this.compression = compression
    const cap = Math.ceil(compression) + 8
    this.means = new Float64Array(cap)
    this.weights = new Float64Array(cap)
    this.buffer = new Float64Array(Math.ceil(compression) * 5)
    this.bufferWeights = new Float64Array(this.buffer.length)
  }

  /** Total weight added. */
  get count (): number { return this.total }
  get min (): number { return this.lo }
  get max (): number { return this.hi }

  /** Adds a value (finite, else a RangeError) with a weight (default 1). */
  add (x: number, weight = 1): this {
    if (!Number.isFinite(x)) throw new RangeError(`t-digest: cannot add ${x}`)
    if (!(weight > 0)) throw new RangeError(`t-digest: weight must be positive, got ${weight}`)
    if (this.buffered === this.buffer.length) this.compress()
    this.buffer[this.buffered] = x
    this.bufferWeights[this.buffered++] = weight
    this.total += weight
    if (x < this.lo) this.lo = x
    if (x > this.hi) this.hi = x
    return this
  }

  /** Adds every centroid of `other` (its sketch, not its raw values). */
  merge (other: TDigest): this {
    other.compress()
    for (let i = 0; i < other.centroids; i++) this.add(other.means[i]!, other.weights[i]!)
    if (other.total > 0) {
      this.lo = Math.min(this.lo, other.lo)
      this.hi = Math.max(this.hi, other.hi)
    }
    return this
  }

  private kInverse (k: number): number {
    return (Math.sin(2 * Math.PI * k / this.compression) + 1) / 2
  }

  private scale (q: number): number {
    return this.compression / (2 * Math.PI) * Math.asin(Math.max(-1, Math.min(1, 2 * q - 1)))
  }

  /** Sorts the buffer together with the centroids and merges neighbours while the scale allows. */
  private compress (): void {
    if (this.buffered === 0) return
    const n = this.centroids + this.buffered
    const means = new Float64Array(n)
    const weights = new Float64Array(n)
    means.set(this.means.subarray(0, this.centroids))
    weights.set(this.weights.subarray(0, this.centroids))
    means.set(this.buffer.subarray(0, this.buffered), this.centroids)
    weights.set(this.bufferWeights.subarray(0, this.buffered), this.centroids)
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => means[a]! - means[b]!)
    this.buffered = 0
    const total = this.total
    const out: Array<[number, number]> = []
    let mean = means[order[0]!]!
    let weight = weights[order[0]!]!
    let before = 0
    let limit = total * this.kInverse(this.scale(0) + 1)
    for (let j = 1; j < n; j++) {
      const m = means[order[j]!]!
      const w = weights[order[j]!]!
      if (before + weight + w <= limit) {
        weight += w
        mean += (m - mean) * w / weight
      } else {
        out.push([mean, weight])
        before += weight
        limit = total * this.kInverse(this.scale(before / total) + 1)
        mean = m
        weight = w
      }
    }
    out.push([mean, weight])
    if (out.length > this.means.length) {
      this.means = new Float64Array(out.length)
      this.weights = new Float64Array(out.length)
    }
    for (let i = 0; i < out.length; i++) { this.means[i] = out[i]![0]; this.weights[i] = out[i]![1] }
    this.centroids = out.length
  }

  /** Rank (cumulative weight) of `x` on the piecewise-linear curve through the centroids' mid ranks. */
  private rank (x: number): number {
    this.compress()
    if (x < this.lo) return 0
    if (x >= this.hi) return this.total
    let px = this.lo
    let py = 0
    let cum = 0
    for (let i = 0; i < this.centroids; i++) {
      const m = this.means[i]!
      const w = this.weights[i]!
      const y = cum + w / 2
      if (x < m) return m > px ? py + (y - py) * (x - px) / (m - px) : py
      px = m
      py = y
      cum += w
    }
    return this.hi > px ? py + (this.total - py) * (x - px) / (this.hi - px) : py
  }

  /** Share of the added weight below `x`, in [0, 1]; NaN when empty. */
  cdf (x: number): number {
    if (this.total === 0) return NaN
    return this.rank(x) / this.total
  }

  /** The value at quantile `q` in [0, 1]; NaN when empty. */
  quantile (q: number): number {
    if (this.total === 0) return NaN
    this.compress()
    const r = Math.max(0, Math.min(1, q)) * this.total
    let px = this.lo
    let py = 0
    let cum = 0
    for (let i = 0; i < this.centroids; i++) {
      const m = this.means[i]!
      const w = this.weights[i]!
      const y = cum + w / 2
      if (r < y) return y > py ? px + (m - px) * (r - py) / (y - py) : m
      px = m
      py = y
      cum += w
    }
    return this.total > py ? px + (this.hi - px) * (r - py) / (this.total - py) : this.hi
  }

  /** Centroid count after compression (for size figures). */
  get size (): number {
    this.compress()
    return this.centroids
  }

  /** Little-endian float64s: version, compression, count, min, max, centroids, means…, weights…. */
  serialize (): Uint8Array {
    this.compress()
    const m = this.centroids
    const out = new Float64Array(6 + 2 * m)
    out.set([1, this.compression, this.total, this.lo, this.hi, m])
    out.set(this.means.subarray(0, m), 6)
    out.set(this.weights.subarray(0, m), 6 + m)
    return new Uint8Array(out.buffer)
  }

  static deserialize (bytes: Uint8Array): TDigest {
    if (bytes.byteLength < 48 || bytes.byteLength % 8 !== 0) throw new RangeError(`t-digest: ${bytes.byteLength} bytes is not a serialised digest`)
    const f = new Float64Array(new Uint8Array(bytes).buffer)
    const m = f[5]!
    if (f[0] !== 1 || !Number.isSafeInteger(m) || f.length !== 6 + 2 * m) throw new RangeError('t-digest: unknown version or a truncated digest')
    const d = new TDigest(f[1]!)
    if (m > d.means.length) { d.means = new Float64Array(m); d.weights = new Float64Array(m) }
    d.means.set(f.subarray(6, 6 + m))
    d.weights.set(f.subarray(6 + m, 6 + 2 * m))
    d.centroids = m
    d.total = f[2]!
    d.lo = f[3]!
    d.hi = f[4]!
    return d
  }
}
