import fs from 'node:fs'
import { SluiceError } from '../../../schemas/errors.ts'
import { modelId } from '../models.ts'
import { TDigest } from '../tdigest.ts'
import { BOS, BOS_HI, BOS_LO, EOS, TOKENIZER_VERSION, extendHi, extendLo, hashToken, tokenKeys, type Lang } from './tokens.ts'

/**
 * The model file (little-endian), read with zero parsing: typed-array views over one buffer.
 *
 * | bytes | field |
 * |---|---|
 * | 0–7 | magic `SLUICELM` |
 * | 8, 12, 16, 20 | u32 format version, tokenizer version, language (0 zh, 1 en), order N |
 * | 24 | f32 log10 p(`<unk>`) |
 * | 28, 32 | u32 offset and length of the calibration t-digest (`tdigest.ts#serialize`) |
 * | 36, 40 | u32 offset and length of a JSON metadata block (training statistics) |
 * | 48 + 16(n−1) | per order n = 1..N: u32 home slots, u32 n-grams, u32 table offset, u32 slots in the file |
 * | tables | per order a table of 16-byte slots: u32 key high lane, u32 key low lane (0 = empty), f32 log10 p, f32 log10 backoff |
 *
 * An n-gram's key is `tokens.ts#extendHi/extendLo` folded right to left over its tokens' keys.
 * A table is a sorted array with gaps (ordered linear probing, load `LOAD`): keys ascend by high
 * lane, each at its home slot `slotOf(high lane)` or just after the key before it; the last slot
 * is an empty sentinel. A lookup starts at the home slot and stops at the key, an empty slot or
 * a larger high lane. Probabilities and backoffs are ARPA's: a stored n-gram
 * carries its interpolated probability, a missing one backs off.
 */
export const MAGIC = 'SLUICELM'
export const FORMAT_VERSION = 1
export const HEADER_BYTES = 48
export const SLOT_BYTES = 16
/** Largest order a model file may have. */
export const MAX_ORDER = 8
/**
 * Table load factor (keys / home slots): a lookup reads ~½(1 + 1/(1−α)) slots, 3 at 0.8, hit or
 * miss. Lookups wait on memory, not on probes: 0.5, 0.7 and 0.85 score within 5% of each other.
 */
export const LOAD = 0.8
export const LANG_CODES: Record<Lang, number> = { zh: 0, en: 1 }
/** log10 p(<s>): never predicted (ARPA's convention). */
export const BOS_LOG10 = -99

/** First slot of a key in a table of `slots` slots: multiply-shift on the high lane. */
export function slotOf (hi: number, slots: number): number {
  return Math.floor(hi * slots / 4294967296)
}

/** Training statistics stored in the model's metadata block (nothing time-dependent: same data, same bytes). */
export interface ModelMeta {
  lang: Lang
  order: number
  tokenizerVersion: number
  documents: number
  sentences: number
  tokens: number
  /** Distinct tokens seen, `<s>` and `</s>` included, `<unk>` not. */
  vocabulary: number
  ngrams: number[]
  /** Per order [D1, D2, D3+]. */
  discounts: number[][]
  /** Orders (1-based) whose discounts came from the fallback (too little data for Chen–Goodman's estimate). */
  discountFallback: number[]
  /** Per order the number of n-grams with adjusted count 1, 2, 3, 4. */
  countOfCounts: number[][]
  calibration: { documents: number, source: 'given' | 'held-out', quartiles: [number, number, number] }
}

const bad = (what: string) => new SluiceError('config', `not a Sluice language model (${what}); retrain it with \`sluice quality train-lm\``, { retryable: false })

/**
 * An n-gram language model trained by `train.ts#trainNgramModel` (interpolated modified
 * Kneser–Ney, like KenLM's lmplz), scored like KenLM: per line `<s> … </s>`, the longest stored
 * n-gram ending at each token plus the backoffs of the longer contexts.
 *
 * @example
 * const lm = NgramModel.load('.sluice/models/lm-zh-1a2b3c4d5e6f.lm')
 * const ppl = lm.perplexity(text)               // null when the text has no tokens
 * if (ppl !== null) bucketOf(lm.percentile(ppl)) // 'high' | 'medium' | 'low'
 */
export class NgramModel {
  readonly id: string
  readonly lang: Lang
  readonly order: number
  readonly bytes: Uint8Array
  readonly meta: ModelMeta
  /** The calibration documents' perplexities. */
  readonly calibration: TDigest
  /** n-grams per order (index 0: unigrams). */
  readonly ngrams: number[]
  /** Table lookups made by `perplexity`/`logProb` so far (for throughput figures). */
  lookups = 0
  private readonly u32: Uint32Array
  private readonly f32: Float32Array
  private readonly slots: Uint32Array
  private readonly bases: Uint32Array
  private readonly unk: number
  private readonly bosBackoff: number
  private prevBackoff: Float64Array
  private curBackoff: Float64Array

  private constructor (bytes: Uint8Array) {
    this.bytes = bytes
    if (bytes.byteLength < HEADER_BYTES || Buffer.from(bytes.buffer, bytes.byteOffset, 8).toString('latin1') !== MAGIC) throw bad('no magic')
    if (bytes.byteLength % 4 !== 0) throw bad('length not a multiple of 4')
    this.u32 = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)
    this.f32 = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)
    const u = this.u32
    if (u[2] !== FORMAT_VERSION) throw bad(`format version ${u[2]}, this Sluice reads ${FORMAT_VERSION}`)
    if (u[3] !== TOKENIZER_VERSION) throw bad(`tokenizer version ${u[3]}, this Sluice tokenizes as version ${TOKENIZER_VERSION}`)
    const lang = (Object.keys(LANG_CODES) as Lang[]).find(l => LANG_CODES[l] === u[4])
    if (lang === undefined) throw bad(`language code ${u[4]}`)
    this.lang = lang
    this.order = u[5]!
    if (this.order < 1 || this.order > MAX_ORDER) throw bad(`order ${this.order}`)
    this.unk = this.f32[6]!
    this.slots = new Uint32Array(this.order + 1)
    this.bases = new Uint32Array(this.order + 1)
    this.ngrams = []
    for (let n = 1; n <= this.order; n++) {
      const at = (HEADER_BYTES >> 2) + 4 * (n - 1)
      const slots = u[at]!
      const offset = u[at + 2]!
      const physical = u[at + 3]!
      if (slots === 0 || physical <= slots || offset % SLOT_BYTES !== 0 || offset + physical * SLOT_BYTES > bytes.byteLength) throw bad(`order ${n} table out of bounds`)
      if (u[((offset + (physical - 1) * SLOT_BYTES) >> 2) + 1] !== 0) throw bad(`order ${n} table has no end sentinel`)
      this.slots[n] = slots
      this.bases[n] = offset >> 2
      this.ngrams.push(u[at + 1]!)
    }
    const section = (offset: number, length: number, what: string) => {
      if (offset + length > bytes.byteLength) throw bad(`${what} out of bounds`)
      return bytes.subarray(offset, offset + length)
    }
    this.calibration = TDigest.deserialize(section(u[7]!, u[8]!, 'calibration digest'))
    this.meta = JSON.parse(Buffer.from(section(u[9]!, u[10]!, 'metadata')).toString('utf8')) as ModelMeta
    const b = this.find(1, BOS_HI, BOS_LO)
    this.bosBackoff = b < 0 ? 0 : this.f32[b + 3]!
    this.prevBackoff = new Float64Array(this.order + 1)
    this.curBackoff = new Float64Array(this.order + 1)
    this.id = modelId(`lm-${lang}`, bytes)
  }

  /** A model over these bytes (not copied unless misaligned). */
  static fromBytes (bytes: Uint8Array): NgramModel {
    const aligned = bytes.byteOffset % SLOT_BYTES === 0 ? bytes : new Uint8Array(bytes)
    return new NgramModel(aligned)
  }

  static load (file: string): NgramModel {
    let bytes: Buffer
    try {
      bytes = fs.readFileSync(file)
    } catch (err) {
      throw new SluiceError('io', `${file}: ${(err as Error).message}; train a model with \`sluice quality train-lm\``, { retryable: false, cause: err })
    }
    try {
      return NgramModel.fromBytes(bytes)
    } catch (err) {
      if (err instanceof SluiceError) throw new SluiceError(err.code, `${file}: ${err.message}`, { retryable: false, cause: err })
      throw err
    }
  }

  /** The table record (u32 index) of a key in the order-`n` table, or −1. */
  find (n: number, hi: number, lo: number): number {
    const u = this.u32
    let at = this.bases[n]! + (slotOf(hi, this.slots[n]!) << 2)
    for (;;) {
      const l = u[at + 1]!
      if (l === 0) return -1
      const h = u[at]!
      if (h === hi) { if (l === lo) return at } else if (h > hi) return -1
      at += 4
    }
  }

  /** log10 p(<unk>): the probability of a token the model never saw. */
  get unknownLog10 (): number { return this.unk }

  /**
   * Σ log10 p over token keys with `<s>`/`</s>` around each line (as `tokenKeys` gives them):
   * KenLM's scoring with a state of the backoffs of the n-grams ending at the previous token.
   * Returns the sum; `this.scored` gets the number of tokens scored (`</s>` included, `<s>` not).
   */
  private scoreKeys (hi: Uint32Array, lo: Uint32Array, length: number): number {
    const N = this.order
    const f = this.f32
    let prev = this.prevBackoff
    let cur = this.curBackoff
    let prevMatched = 0
    let start = 0
    let sum = 0
    let scored = 0
    let lookups = 0
    for (let i = 0; i < length; i++) {
      const th = hi[i]!
      const tl = lo[i]!
      if (th === BOS_HI && tl === BOS_LO) {
        start = i
        prev[1] = this.bosBackoff
        prevMatched = N > 1 && this.bosBackoff !== 0 ? 1 : 0
        continue
      }
      let kh = th
      let kl = tl
      let e = this.find(1, kh, kl)
      lookups++
      let matched = 0
      let p = this.unk
      if (e >= 0) {
        matched = 1
        p = f[e + 2]!
        cur[1] = f[e + 3]!
        // an n-gram ending here is stored only if its context (the (n−1)-gram ending at the
        // previous token) is stored with extensions, i.e. has a backoff (KenLM's right state)
        const longest = Math.min(N, i - start + 1, prevMatched + 1)
        for (let n = 2; n <= longest; n++) {
          kh = extendHi(kh, hi[i - n + 1]!)
          kl = extendLo(kl, lo[i - n + 1]!)
          e = this.find(n, kh, kl)
          lookups++
          if (e < 0) break
          matched = n
          p = f[e + 2]!
          cur[n] = f[e + 3]!
        }
      }
      // contexts longer than the one used back off
      for (let j = matched > 1 ? matched : 1; j <= prevMatched; j++) p += prev[j]!
      sum += p
      scored++
      prevMatched = matched < N ? matched : N - 1
      while (prevMatched > 0 && cur[prevMatched] === 0) prevMatched--
      const t = prev; prev = cur; cur = t
    }
    this.prevBackoff = prev
    this.curBackoff = cur
    this.lookups += lookups
    this.scored = scored
    return sum
  }

  /** Tokens scored by the last `scoreKeys` call. */
  private scored = 0

  /**
   * Σ log10 p and the number of tokens scored (`</s>` of each line included, `<s>` not) of a
   * text; tokens 0 when the text has none.
   */
  score (text: string): { log10: number, tokens: number } {
    const k = tokenKeys(text, this.lang)
    const log10 = this.scoreKeys(k.hi, k.lo, k.length)
    return { log10, tokens: this.scored }
  }

  /** Document perplexity 10^(−Σ log10 p / N) over all tokens and each line's `</s>` (KenLM's); null without tokens. */
  perplexity (text: string): number | null {
    const k = tokenKeys(text, this.lang)
    const log10 = this.scoreKeys(k.hi, k.lo, k.length)
    return this.scored === 0 ? null : 10 ** (-log10 / this.scored)
  }

  /** Share of the calibration documents with a lower perplexity, in [0, 1]. */
  percentile (perplexity: number): number {
    return this.calibration.cdf(perplexity)
  }

  /** log10 p of one sentence given as tokens (without markers): `<s> tokens </s>`, `</s>` scored. */
  logProb (tokens: readonly string[]): number {
    const n = tokens.length + 2
    const hi = new Uint32Array(n)
    const lo = new Uint32Array(n)
    ;[hi[0], lo[0]] = [BOS_HI, BOS_LO]
    tokens.forEach((t, i) => { [hi[i + 1], lo[i + 1]] = hashToken(t) })
    ;[hi[n - 1], lo[n - 1]] = hashToken(EOS)
    return this.scoreKeys(hi, lo, n)
  }

  /**
   * log10 p(word | context) straight from the tables (no scoring state): the longest stored
   * n-gram `context' word`, plus the backoffs of every longer suffix of the context that is
   * stored. `<s>` may start the context; `word` may be `</s>` or a word never seen (`<unk>`).
   */
  wordLogProb (context: readonly string[], word: string): number {
    if (word === BOS) return BOS_LOG10
    const ctx = context.slice(Math.max(0, context.length - (this.order - 1)))
    const keys = [...ctx, word].map(hashToken)
    const f = this.f32
    let [kh, kl] = keys[keys.length - 1]!
    let e = this.find(1, kh, kl)
    let p = this.unk
    let matched = 0
    if (e >= 0) {
      p = f[e + 2]!
      matched = 1
      for (let n = 2; n <= keys.length; n++) {
        const [th, tl] = keys[keys.length - n]!
        kh = extendHi(kh, th)
        kl = extendLo(kl, tl)
        e = this.find(n, kh, kl)
        if (e < 0) break
        p = f[e + 2]!
        matched = n
      }
    }
    // backoffs of the context suffixes of length max(matched, 1) .. |ctx|
    const c = ctx.map(hashToken)
    for (let j = Math.max(matched, 1); j <= c.length; j++) {
      let [h, l] = c[c.length - 1]!
      for (let m = 2; m <= j; m++) { const [th, tl] = c[c.length - m]!; h = extendHi(h, th); l = extendLo(l, tl) }
      const b = this.find(j, h, l)
      if (b >= 0) p += f[b + 3]!
    }
    return p
  }
}
