import type { Spans, TextView } from './text.ts'

/**
 * The n-grams of one text's tokens as equivalence classes, refined one token at a time: positions i
 * and j hold the same (n+1)-gram exactly when they hold the same n-gram and the same next token. A
 * class is named by its first position, so counts live in plain arrays, and an n-gram that occurs
 * once can never repeat at a larger n: only the positions still in a shared class (`active`) are
 * worked on, and they thin out fast. Equality is exact (token ids are interned strings), no hashing
 * collisions; no n-gram string is ever built.
 */
export class NgramIndex {
  readonly #tok: Int32Array
  /** Code units of tokens 0..i-1. */
  readonly #prefix: Int32Array
  /** At n = 1 the token ids; afterwards, for active positions, the first position of the same n-gram. */
  #cls: Int32Array
  readonly #size: Int32Array
  /** Positions (ascending) whose n-gram occurs more than once. */
  #active: Int32Array
  #activeCount = 0
  #n = 1

  /**
   * `perWord` tokens stand for one word (2 for Chinese characters: a Chinese word is about two
   * characters, so a "3-gram" is 6 characters); `spaced` tells whether tokens were joined by spaces.
   */
  constructor (text: string, tokens: Spans, readonly perWord = 1, readonly spaced = true) {
    const t = tokens.starts.length
    this.#tok = internTokens(text, tokens)
    this.#prefix = new Int32Array(t + 1)
    for (let i = 0; i < t; i++) this.#prefix[i + 1] = this.#prefix[i]! + tokens.ends[i]! - tokens.starts[i]!
    this.#cls = this.#tok
    this.#size = new Int32Array(t)
    this.#active = new Int32Array(t)
    this.#restart()
  }

  get size (): number { return this.#tok.length }

  #restart (): void {
    this.#cls = this.#tok.slice()
    for (let i = 0; i < this.#active.length; i++) this.#active[i] = i
    this.#activeCount = this.#active.length
    this.#n = 1
  }

  /** Refines the classes up to n-grams (n >= 2); returns how many n-grams there are. */
  #extend (n: number): number {
    if (n < this.#n) this.#restart()
    const tok = this.#tok
    const cls = this.#cls
    const size = this.#size
    const active = this.#active
    for (; this.#n < n && this.#activeCount > 0; this.#n++) {
      const k = this.#n
      const limit = tok.length - k
      scratch.reset(this.#activeCount)
      let m = 0
      for (let a = 0; a < this.#activeCount; a++) {
        const i = active[a]!
        if (i >= limit) break
        const first = scratch.firstOf(cls[i]!, tok[i + k]!, i)
        if (first === i) size[i] = 1
        else size[first]!++
        cls[i] = first
        active[m++] = i
      }
      let kept = 0
      for (let a = 0; a < m; a++) if (size[cls[active[a]!]!]! > 1) active[kept++] = active[a]!
      this.#activeCount = kept
    }
    this.#n = Math.max(this.#n, n)
    return Math.max(0, tok.length - n + 1)
  }

  #chars (start: number, n: number): number { return this.#prefix[start + n]! - this.#prefix[start]! }

  /**
   * Characters of the most frequent n-gram (joined by spaces) times its count: Gopher's top n-gram
   * measure. Of n-grams tied on count, the one whose last counted occurrence comes first wins (as a
   * left-to-right count that keeps the first to exceed the best so far); a single occurrence each
   * means the first n-gram.
   */
  topChars (words: number): number {
    const n = words * this.perWord
    const count = this.#extend(n)
    if (count === 0) return 0
    let best = 1
    let bestAt = 0
    const seen = new Int32Array(count)
    for (let a = 0; a < this.#activeCount; a++) {
      const i = this.#active[a]!
      const c = ++seen[this.#cls[i]!]!
      if (c > best) { best = c; bestAt = i }
    }
    return (this.#chars(bestAt, n) + (this.spaced ? n - 1 : 0)) * best
  }

  /**
   * Characters of n-grams seen before, scanning left to right and skipping past each repeat so a
   * character counts once (the skipped n-grams are not remembered): Gopher's duplicate n-gram measure.
   */
  dupChars (words: number): number {
    const n = words * this.perWord
    const count = this.#extend(n)
    const seen = new Uint8Array(count)
    let dup = 0
    let next = 0
    for (let a = 0; a < this.#activeCount; a++) {
      const i = this.#active[a]!
      if (i < next) continue
      const c = this.#cls[i]!
      if (seen[c] === 1) {
        dup += this.#chars(i, n)
        next = i + n
      } else seen[c] = 1
    }
    return dup
  }
}

/**
 * Token ids: a single code point is its own id (most Chinese tokens: no lookup), longer tokens are
 * numbered above the code point range through a Map.
 */
function internTokens (text: string, tokens: Spans): Int32Array {
  const ids = new Int32Array(tokens.starts.length)
  const named = new Map<string, number>()
  for (let i = 0; i < ids.length; i++) {
    const s = tokens.starts[i]!
    const e = tokens.ends[i]!
    const cp = e - s <= 2 ? text.codePointAt(s)! : -1
    if (cp >= 0 && (cp > 0xffff ? 2 : 1) === e - s) { ids[i] = cp; continue }
    const token = text.slice(s, e)
    let id = named.get(token)
    if (id === undefined) named.set(token, id = 0x110000 + named.size)
    ids[i] = id
  }
  return ids
}

/**
 * Open addressing from a pair of int32 keys to the first position that added it, in typed arrays
 * reused across calls (a generation stamp marks live slots, so a reset clears nothing). One table
 * serves every index: refinement runs synchronously, one at a time.
 */
class PairTable {
  #a = new Int32Array(0)
  #b = new Int32Array(0)
  #value = new Int32Array(0)
  #stamp = new Uint32Array(0)
  #generation = 0
  #mask = 0

  reset (entries: number): void {
    let size = 16
    while (size < entries * 2) size *= 2
    if (size > this.#stamp.length) {
      this.#a = new Int32Array(size)
      this.#b = new Int32Array(size)
      this.#value = new Int32Array(size)
      this.#stamp = new Uint32Array(size)
      this.#generation = 0
    }
    this.#mask = size - 1
    this.#generation++
  }

  /** The value stored for (a, b), storing `value` first when the pair is new. */
  firstOf (a: number, b: number, value: number): number {
    let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca6b)
    h = Math.imul(h ^ (h >>> 16), 0x7feb352d)
    let i = (h ^ (h >>> 15)) & this.#mask
    const gen = this.#generation
    while (this.#stamp[i] === gen) {
      if (this.#a[i] === a && this.#b[i] === b) return this.#value[i]!
      i = (i + 1) & this.#mask
    }
    this.#stamp[i] = gen
    this.#a[i] = a
    this.#b[i] = b
    this.#value[i] = value
    return value
  }
}

const scratch = new PairTable()

const indexes = new WeakMap<TextView, NgramIndex>()

/** The n-gram index of a view's tokens, shared by all n-gram rules that look at the same text. */
export function ngramIndex (view: TextView): NgramIndex {
  let ix = indexes.get(view)
  if (ix === undefined) indexes.set(view, ix = view.lang === 'zh' ? new NgramIndex(view.text, view.tokens, 2, false) : new NgramIndex(view.text, view.tokens))
  return ix
}
