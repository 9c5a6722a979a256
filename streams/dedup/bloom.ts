import fs from 'node:fs/promises'
import path from 'node:path'
import xxhash from 'xxhash-wasm'
import { SluiceError } from '../../schemas/errors.ts'

const { h64, h64Raw } = await xxhash()

export interface BloomOptions {
  /** Keys the filter is sized for (n). */
  capacity: number
  /** False-positive rate wanted at `capacity` keys (p). */
  fpRate: number
  /** Hash seed; filters only agree on keys when their seeds do. */
  seed?: number
}

const MAGIC = 'SLUICEBF'
const VERSION = 1
/** magic, version, k, m, capacity, inserted, p, seed, checksum of the bits: little-endian. */
const HEADER_BYTES = 64
/** Positions come from 32-bit halves of one 64-bit hash, so m is capped at 2^32 bits (512 MiB). */
const MAX_BITS = 2 ** 32

/** m = ⌈-n ln p / (ln 2)²⌉ bits, k = round(m/n · ln 2) hashes: the sizes that minimise m for n and p. */
export function bloomSize (capacity: number, fpRate: number): { m: number, k: number } {
  const m = Math.ceil(-capacity * Math.log(fpRate) / Math.LN2 ** 2)
  return { m, k: Math.max(1, Math.round(m / capacity * Math.LN2)) }
}

function bad (name: string, problem: string): SluiceError {
  return new SluiceError('io', `${name}: ${problem}; not a Bloom filter Sluice wrote, or a damaged one (delete it to start an empty filter)`, { retryable: false, file: name })
}

/**
 * A Bloom filter over strings: k positions per key by double hashing (g_i = h1 + i·h2 mod m,
 * Kirsch & Mitzenmacher) from the two 32-bit halves of one seeded xxh64, so a key costs one hash.
 * It says "possibly seen" or "certainly not seen": no false negatives, false positives at about
 * `fpRate` once `capacity` keys are in (more past it). `serialize`/`deserialize` give the bytes a
 * worker snapshots together with its Kafka offsets; `save`/`load` the same bytes as an atomic file.
 *
 * @example
 * const urls = BloomFilter.create({ capacity: 10_000_000, fpRate: 1e-4 })
 * if (urls.addIfAbsent(key)) markDuplicate(doc)
 */
export class BloomFilter {
  private constructor (
    readonly m: number,
    readonly k: number,
    readonly capacity: number,
    readonly fpRate: number,
    readonly seed: bigint,
    private readonly words: Uint32Array,
    private count: number
  ) {}

  static create (opts: BloomOptions): BloomFilter {
    const { capacity, fpRate, seed = 0 } = opts
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new SluiceError('config', `bloom capacity must be a positive integer, got ${capacity}`)
    if (!(fpRate > 0 && fpRate < 1)) throw new SluiceError('config', `bloom fpRate must be between 0 and 1 (exclusive), got ${fpRate}`)
    if (!Number.isInteger(seed) || seed < 0) throw new SluiceError('config', `bloom seed must be a non-negative integer, got ${seed}`)
    const { m, k } = bloomSize(capacity, fpRate)
    if (m > MAX_BITS) throw new SluiceError('config', `a Bloom filter for ${capacity} keys at p=${fpRate} needs ${m} bits, over the 2^32 this one supports: lower capacity or raise fpRate, or shard by key`)
    return new BloomFilter(m, k, capacity, fpRate, BigInt(seed), new Uint32Array(Math.ceil(m / 32)), 0)
  }

  /** Keys added that were not already (possibly) present. */
  get inserted (): number { return this.count }

  /** Bytes the filter takes in memory and on disk (header included). */
  get sizeBytes (): number { return HEADER_BYTES + this.words.byteLength }

  /** Adds `key`; true when it was possibly present already (then nothing changes). */
  addIfAbsent (key: string): boolean {
    const { m, k, words } = this
    const h = h64(key, this.seed)
    let pos = Number(h & 0xffffffffn) % m
    const step = Number(h >> 32n) % m || 1
    let present = true
    for (let i = 0; i < k; i++) {
      const word = words[pos >>> 5]!
      const bit = 1 << (pos & 31)
      if ((word & bit) === 0) { present = false; words[pos >>> 5] = word | bit }
      pos += step
      if (pos >= m) pos -= m
    }
    if (!present) this.count++
    return present
  }

  add (key: string): void { this.addIfAbsent(key) }

  has (key: string): boolean {
    const { m, k, words } = this
    const h = h64(key, this.seed)
    let pos = Number(h & 0xffffffffn) % m
    const step = Number(h >> 32n) % m || 1
    for (let i = 0; i < k; i++) {
      if ((words[pos >>> 5]! & (1 << (pos & 31))) === 0) return false
      pos += step
      if (pos >= m) pos -= m
    }
    return true
  }

  /** The false-positive rate the formula gives for the keys inserted so far: (1 - e^(-kn/m))^k. */
  expectedFpRate (): number {
    return (1 - Math.exp(-this.k * this.count / this.m)) ** this.k
  }

  /** The false-positive rate the bits actually set give: (set bits / m)^k. Reads the whole array. */
  measuredFpRate (): number {
    let set = 0
    for (let w of this.words) {
      w -= (w >>> 1) & 0x55555555
      w = (w & 0x33333333) + ((w >>> 2) & 0x33333333)
      set += (((w + (w >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24
    }
    return (set / this.m) ** this.k
  }

  /** Header and bit array, for a snapshot; the bytes are a copy. */
  serialize (): Uint8Array {
    const out = new Uint8Array(this.sizeBytes)
    const bits = new Uint8Array(this.words.buffer, this.words.byteOffset, this.words.byteLength)
    out.set(bits, HEADER_BYTES)
    const view = new DataView(out.buffer)
    out.set(new TextEncoder().encode(MAGIC), 0)
    view.setUint32(8, VERSION, true)
    view.setUint32(12, this.k, true)
    view.setBigUint64(16, BigInt(this.m), true)
    view.setBigUint64(24, BigInt(this.capacity), true)
    view.setBigUint64(32, BigInt(this.count), true)
    view.setFloat64(40, this.fpRate, true)
    view.setBigUint64(48, this.seed, true)
    view.setBigUint64(56, h64Raw(bits), true)
    return out
  }

  /** The filter `serialize` wrote; `name` (a file, a snapshot) goes into the error for bytes that are not one. */
  static deserialize (bytes: Uint8Array, name = 'bloom filter'): BloomFilter {
    if (bytes.length < HEADER_BYTES) throw bad(name, `${bytes.length} bytes, shorter than the ${HEADER_BYTES}-byte header`)
    if (new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) throw bad(name, 'wrong magic')
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const version = view.getUint32(8, true)
    if (version !== VERSION) throw bad(name, `version ${version}, this build reads version ${VERSION}`)
    const k = view.getUint32(12, true)
    const m = Number(view.getBigUint64(16, true))
    const words = Math.ceil(m / 32)
    if (k < 1 || m < 1 || m > MAX_BITS) throw bad(name, `impossible sizes m=${m} k=${k}`)
    if (bytes.length !== HEADER_BYTES + words * 4) throw bad(name, `${bytes.length} bytes where m=${m} needs ${HEADER_BYTES + words * 4} (truncated?)`)
    // copied (a Buffer's slice would not copy) so the words are aligned and do not alias the caller's bytes
    const bits = new Uint8Array(bytes.subarray(HEADER_BYTES))
    if (h64Raw(bits) !== view.getBigUint64(56, true)) throw bad(name, 'checksum of the bit array does not match')
    return new BloomFilter(m, k, Number(view.getBigUint64(24, true)), view.getFloat64(40, true), view.getBigUint64(48, true),
      new Uint32Array(bits.buffer), Number(view.getBigUint64(32, true)))
  }

  /** Writes the filter to `file` atomically: a temporary file in the same folder, fsynced, renamed over it, folder fsynced. */
  async save (file: string): Promise<void> {
    const tmp = `${file}.tmp-${process.pid}`
    const handle = await fs.open(tmp, 'w')
    try {
      await handle.writeFile(this.serialize())
      await handle.sync()
    } finally {
      await handle.close()
    }
    await fs.rename(tmp, file)
    const dir = await fs.open(path.dirname(file), 'r')
    try { await dir.sync() } finally { await dir.close() }
  }

  static async load (file: string): Promise<BloomFilter> {
    return BloomFilter.deserialize(await fs.readFile(file), file)
  }
}
