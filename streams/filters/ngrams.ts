import type { TextView } from './text.ts'

/**
 * Word n-grams of one text as 53-bit hashes of token ids, built incrementally: the hashes of the
 * n-grams extend those of the (n-1)-grams by one token, so all of n = 2..10 cost one pass each and
 * no n-gram string is ever built. Collisions are ~2^-53 per pair: negligible next to the thresholds.
 */
export class NgramIndex {
  readonly lengths: Int32Array
  readonly #ids: Int32Array
  #n = 1
  #lo: Int32Array
  #hi: Int32Array

  /**
   * `perWord` tokens stand for one word (2 for Chinese characters: a Chinese word is about two
   * characters, so a "3-gram" is 6 characters); `spaced` tells whether tokens were joined by spaces.
   */
  constructor (tokens: readonly string[], readonly perWord = 1, readonly spaced = true) {
    const ids = new Map<string, number>()
    this.#ids = new Int32Array(tokens.length)
    this.lengths = new Int32Array(tokens.length)
    for (let i = 0; i < tokens.length; i++) {
      let id = ids.get(tokens[i]!)
      if (id === undefined) ids.set(tokens[i]!, id = ids.size + 1)
      this.#ids[i] = id
      this.lengths[i] = tokens[i]!.length
    }
    this.#lo = new Int32Array(tokens.length)
    this.#hi = new Int32Array(tokens.length)
    this.#reset()
  }

  /** Back to unigram hashes; the rules ask for n in increasing order, so this runs once. */
  #reset (): void {
    for (let i = 0; i < this.#ids.length; i++) {
      this.#lo[i] = Math.imul(this.#ids[i]!, 0x9e3779b1)
      this.#hi[i] = Math.imul(this.#ids[i]! ^ 0x5bd1e995, 0x85ebca6b)
    }
    this.#n = 1
  }

  get size (): number { return this.#ids.length }

  /** Brings the hashes up to n-grams: entry i then covers tokens i..i+n-1. */
  #extend (n: number): number {
    if (n < this.#n) this.#reset()
    for (; this.#n < n; this.#n++) {
      const k = this.#n
      for (let i = 0; i + k < this.#ids.length; i++) {
        const id = this.#ids[i + k]!
        this.#lo[i] = Math.imul(this.#lo[i]! ^ id, 0x9e3779b1) ^ (this.#lo[i]! >>> 15)
        this.#hi[i] = Math.imul(this.#hi[i]! + id, 0xc2b2ae35) ^ (this.#hi[i]! >>> 13)
      }
    }
    return Math.max(0, this.#ids.length - n + 1)
  }

  #chars (start: number, n: number): number {
    let c = 0
    for (let k = 0; k < n; k++) c += this.lengths[start + k]!
    return c
  }

  /** Characters of the most frequent n-gram (joined by spaces) times its count: Gopher's top n-gram measure. */
  topChars (words: number): number {
    const n = words * this.perWord
    const table = new PairTable(this.#extend(n))
    let best = 0
    let bestAt = -1
    for (let i = 0; i < this.#ids.length - n + 1; i++) {
      const c = table.add(this.#lo[i]!, this.#hi[i]!)
      if (c > best) { best = c; bestAt = i }
    }
    return bestAt < 0 ? 0 : (this.#chars(bestAt, n) + (this.spaced ? n - 1 : 0)) * best
  }

  /**
   * Characters of n-grams seen before, scanning left to right and skipping past each repeat so a
   * character counts once: Gopher's duplicate n-gram measure.
   */
  dupChars (words: number): number {
    const n = words * this.perWord
    const count = this.#extend(n)
    const table = new PairTable(count)
    let dup = 0
    for (let i = 0; i < count;) {
      if (table.has(this.#lo[i]!, this.#hi[i]!)) {
        dup += this.#chars(i, n)
        i += n
      } else {
        table.add(this.#lo[i]!, this.#hi[i]!)
        i++
      }
    }
    return dup
  }
}

/**
 * Counts of 64-bit keys given as two int32 halves, open addressing in typed arrays: a Map with
 * number keys was most of the filter's time (every key a heap number).
 */
class PairTable {
  readonly #lo: Int32Array
  readonly #hi: Int32Array
  readonly #count: Int32Array
  readonly #mask: number

  constructor (entries: number) {
    let size = 16
    while (size < entries * 2) size *= 2
    this.#lo = new Int32Array(size)
    this.#hi = new Int32Array(size)
    this.#count = new Int32Array(size)
    this.#mask = size - 1
  }

  #slot (lo: number, hi: number): number {
    let i = (Math.imul(lo ^ (hi >>> 7), 0x85ebca6b) >>> 0) & this.#mask
    while (this.#count[i] !== 0 && (this.#lo[i] !== lo || this.#hi[i] !== hi)) i = (i + 1) & this.#mask
    return i
  }

  /** Adds one occurrence; returns the new count. */
  add (lo: number, hi: number): number {
    const i = this.#slot(lo, hi)
    this.#lo[i] = lo
    this.#hi[i] = hi
    return ++this.#count[i]!
  }

  has (lo: number, hi: number): boolean { return this.#count[this.#slot(lo, hi)] !== 0 }
}

const indexes = new WeakMap<TextView, NgramIndex>()

/** The n-gram index of a view's tokens, shared by all n-gram rules that look at the same text. */
export function ngramIndex (view: TextView): NgramIndex {
  let ix = indexes.get(view)
  if (ix === undefined) indexes.set(view, ix = view.lang === 'zh' ? new NgramIndex(view.tokens, 2, false) : new NgramIndex(view.tokens))
  return ix
}
