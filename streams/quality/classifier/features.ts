/**
 * fastText-style features of a text, hashed into `buckets` ids (the hashing trick: no vocabulary, so the model file
 * is the embedding table and nothing else). Tokens come from the script, not from a language tag, so mixed text
 * and documents without a language work alike:
 * - a run of letters, digits and marks is a word: lowercased, every digit read as 0; it gives the word, the bigram
 *   with the token before it, and, when `maxn` > 0, fastText's subwords: the character `minn`- to `maxn`-grams of
 *   `<word>` (off by default: on the held-out set they gained nothing and cost 3× the ids of English text);
 * - a Han, kana or hangul character is a token of its own (there is no segmenter): the character, the bigram and the
 *   trigram of characters ending at it;
 * - any other non-space character (punctuation, symbols, emoji) is a token too: itself and its bigram.
 *
 * A document's features are its distinct ids with their number of occurrences. Reading stops at `maxChars`
 * characters or when `maxLen` distinct ids were seen, which bounds both the cost per document and the width of
 * the model's input.
 */
export const FEATURE_VERSION = 'sluice-ft-1'

export interface FeatureOptions {
  /** Number of hash buckets (embedding rows); a power of two. */
  buckets: number
  /** Most distinct ids kept per document: the width of the model's `ids` input. */
  maxLen: number
  /** Characters (UTF-16 code units) read per document. */
  maxChars: number
  /** Shortest and longest subword (character n-gram of `<word>`); `maxn` 0 takes no subwords, fastText's `-minn`/`-maxn`. */
  minn: number
  maxn: number
}

export const DEFAULT_FEATURES: FeatureOptions = { buckets: 1 << 18, maxLen: 2048, maxChars: 4096, minn: 0, maxn: 0 }

/** Distinct feature ids of one document and how often each occurred (`weights`, all ≥ 1). */
export interface Features {
  ids: Int32Array
  weights: Float32Array
}

const enum Kind { Space = 0, Word = 1, Cjk = 2, Other = 3 }

/** Per BMP code unit: its kind and (for word characters) the code unit it counts as. Built once, on first use. */
let KIND: Uint8Array | null = null
let FOLD: Uint16Array | null = null

function tables (): { kind: Uint8Array, fold: Uint16Array } {
  if (KIND !== null && FOLD !== null) return { kind: KIND, fold: FOLD }
  const kind = new Uint8Array(65536)
  const fold = new Uint16Array(65536)
  const word = /[\p{L}\p{N}\p{M}]/u
  const digit = /\p{Nd}/u
  const space = /[\s\p{Cc}\p{Cf}\p{Z}]/u
  for (let c = 0; c < 65536; c++) {
    fold[c] = c
    if (c >= 0xd800 && c <= 0xdfff) { kind[c] = Kind.Other; continue } // surrogates: decided per pair below
    const ch = String.fromCharCode(c)
    if (isCjk(c)) kind[c] = Kind.Cjk
    else if (space.test(ch)) kind[c] = Kind.Space
    else if (word.test(ch)) {
      kind[c] = Kind.Word
      if (digit.test(ch)) fold[c] = 0x30
      else {
        const lower = ch.toLowerCase()
        if (lower.length === 1) fold[c] = lower.charCodeAt(0)
      }
    } else kind[c] = Kind.Other
  }
  KIND = kind
  FOLD = fold
  return { kind, fold }
}

function isCjk (c: number): boolean {
  return (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf) || (c >= 0xf900 && c <= 0xfaff) ||
    (c >= 0x3040 && c <= 0x30ff) || (c >= 0xac00 && c <= 0xd7af) || (c >= 0x3130 && c <= 0x318f)
}

/** Supplementary-plane Han (extensions B and after) starts with these high surrogates. */
const isCjkHigh = (c: number): boolean => c >= 0xd840 && c <= 0xd88f

const FNV_OFFSET = 0x811c9dc5
const FNV_PRIME = 0x01000193
/** Seeds that keep the kinds of feature apart: the word "ab" and the subword "<ab" never share a hash by design. */
const SEED_TOKEN = 0x9e3779b9 | 0
const SEED_BIGRAM = 0x85ebca6b | 0
const SEED_TRIGRAM = 0xc2b2ae35 | 0
const SEED_SUBWORD = 0x27d4eb2f | 0

/** murmur3's finaliser: spreads the bits of a hash before it is cut to a bucket. */
function fmix (h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return h ^ (h >>> 16)
}

const combine = (a: number, b: number, seed: number): number => fmix(Math.imul(a, 116049371) + b + seed)

/** Longest word whose subwords are taken; longer runs (URLs, hashes) give subwords of their first part only. */
const MAX_SUBWORD_WORD = 32

/**
 * Extracts features one document at a time, reusing its buffers (not shareable across concurrent callers).
 *
 * @example
 * const f = new FeatureExtractor({ ...DEFAULT_FEATURES, minn: 3, maxn: 5 })
 * const { ids, weights } = f.extract('The quick brown fox.')
 */
export class FeatureExtractor {
  readonly options: FeatureOptions
  private readonly mask: number
  private readonly ids: Int32Array
  private readonly weights: Float32Array
  /** Open-addressing set of the ids seen: 1 + the id's index in `ids`, 0 for an empty slot. */
  private readonly slots: Int32Array
  private readonly slotMask: number
  private count = 0
  private readonly word = new Uint16Array(MAX_SUBWORD_WORD + 2)
  private batchIds = new Int32Array(0)
  private batchWeights = new Float32Array(0)

  constructor (options: FeatureOptions) {
    if (!Number.isInteger(options.buckets) || options.buckets < 2 || (options.buckets & (options.buckets - 1)) !== 0 || options.buckets > 2 ** 30) {
      throw new RangeError(`buckets must be a power of two between 2 and 2^30, got ${options.buckets}`)
    }
    if (!Number.isInteger(options.maxLen) || options.maxLen < 1) throw new RangeError(`maxLen must be a positive integer, got ${options.maxLen}`)
    if (!Number.isInteger(options.maxChars) || options.maxChars < 1) throw new RangeError(`maxChars must be a positive integer, got ${options.maxChars}`)
    const { minn, maxn } = options
    if (!(Number.isInteger(minn) && Number.isInteger(maxn) && ((minn === 0 && maxn === 0) || (minn >= 1 && minn <= maxn && maxn <= MAX_SUBWORD_WORD)))) {
      throw new RangeError(`minn/maxn must be 0/0 (no subwords) or 1 ≤ minn ≤ maxn ≤ ${MAX_SUBWORD_WORD}, got ${minn}/${maxn}`)
    }
    this.options = { ...options }
    this.mask = options.buckets - 1
    this.ids = new Int32Array(options.maxLen)
    this.weights = new Float32Array(options.maxLen)
    let size = 16
    while (size < options.maxLen * 2) size *= 2
    this.slots = new Int32Array(size)
    this.slotMask = size - 1
  }

  /** The document's distinct ids and their counts (fresh arrays, in order of first occurrence). */
  extract (text: string): Features {
    const n = this.scan(text)
    return { ids: this.ids.slice(0, n), weights: this.weights.slice(0, n) }
  }

  /**
   * The features of each text, as `extract` gives them, but views into one buffer that the next call overwrites:
   * scoring a batch then allocates nothing per document.
   */
  extractBatch (texts: Array<{ text: string }>): Features[] {
    const starts = new Int32Array(texts.length + 1)
    for (let i = 0; i < texts.length; i++) {
      const n = this.scan(texts[i]!.text)
      const at = starts[i]!
      if (at + n > this.batchIds.length) this.growBatch(at + n)
      this.batchIds.set(this.ids.subarray(0, n), at)
      this.batchWeights.set(this.weights.subarray(0, n), at)
      starts[i + 1] = at + n
    }
    return texts.map((_, i) => ({
      ids: this.batchIds.subarray(starts[i], starts[i + 1]),
      weights: this.batchWeights.subarray(starts[i], starts[i + 1])
    }))
  }

  private growBatch (size: number): void {
    const ids = new Int32Array(Math.max(size, 2 * this.batchIds.length))
    const weights = new Float32Array(ids.length)
    ids.set(this.batchIds)
    weights.set(this.batchWeights)
    this.batchIds = ids
    this.batchWeights = weights
  }

  /** Adds one occurrence of hash `h`; false once `maxLen` distinct ids are held (the caller stops reading). */
  private add (h: number): boolean {
    const id = fmix(h) & this.mask
    const slots = this.slots
    let s = Math.imul(id, 0x9e3779b1) & this.slotMask
    for (;;) {
      const v = slots[s]!
      if (v === 0) {
        const k = this.count
        if (k >= this.options.maxLen) return false
        slots[s] = k + 1
        this.ids[k] = id
        this.weights[k] = 1
        this.count = k + 1
        return true
      }
      if (this.ids[v - 1] === id) {
        this.weights[v - 1]!++
        return true
      }
      s = (s + 1) & this.slotMask
    }
  }

  private scan (text: string): number {
    const { kind, fold } = tables()
    // clearing the set (16 KB at the default maxLen) measured 12% faster than stamping each slot with the document
    this.slots.fill(0)
    this.count = 0
    const end = Math.min(text.length, this.options.maxChars)
    const word = this.word
    // hashes of the two tokens before the current one (0: none) and whether they were CJK characters
    let prev = 0
    let prev2 = 0
    let prevCjk = false
    let prev2Cjk = false
    let i = 0
    while (i < end) {
      const c = text.charCodeAt(i)
      const k = kind[c]!
      if (k === Kind.Space) { i++; continue }
      let token: number
      let cjk = false
      if (k === Kind.Word) {
        // a word: hash its folded characters, keep the first MAX_SUBWORD_WORD for subwords
        let h = FNV_OFFSET ^ SEED_TOKEN
        let len = 0
        word[0] = 0x3c // '<'
        while (i < end) {
          const d = text.charCodeAt(i)
          if (kind[d] !== Kind.Word) break
          const f = fold[d]!
          h = Math.imul(h ^ f, FNV_PRIME)
          if (len < MAX_SUBWORD_WORD) word[1 + len] = f
          len++
          i++
        }
        token = h
        const wl = Math.min(len, MAX_SUBWORD_WORD)
        word[wl + 1] = 0x3e // '>'
        if (this.options.maxn > 0 && !this.subwords(wl + 2)) break
      } else {
        // one character (a surrogate pair counts as one): CJK, or punctuation and symbols
        let h = Math.imul((FNV_OFFSET ^ SEED_TOKEN) ^ c, FNV_PRIME)
        if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
          cjk = isCjkHigh(c)
          h = Math.imul(h ^ text.charCodeAt(i + 1), FNV_PRIME)
          i += 2
        } else {
          cjk = k === Kind.Cjk
          i++
        }
        token = h
      }
      if (!this.add(token)) break
      if (prev !== 0 && !this.add(combine(prev, token, SEED_BIGRAM))) break
      if (cjk && prevCjk && prev2Cjk && !this.add(combine(combine(prev2, prev, 0), token, SEED_TRIGRAM))) break
      prev2 = prev
      prev2Cjk = prevCjk
      prev = token
      prevCjk = cjk
    }
    return this.count
  }

  /** fastText's subwords: character n-grams of `<word>` for n = minn..maxn (the `word` buffer holds `len` units). */
  private subwords (len: number): boolean {
    const word = this.word
    const { minn, maxn } = this.options
    for (let s = 0; s + minn <= len; s++) {
      let h = FNV_OFFSET ^ SEED_SUBWORD
      const stop = Math.min(len, s + maxn)
      for (let j = s; j < stop; j++) {
        h = Math.imul(h ^ word[j]!, FNV_PRIME)
        if (j - s + 1 >= minn && !this.add(h)) return false
      }
    }
    return true
  }
}
