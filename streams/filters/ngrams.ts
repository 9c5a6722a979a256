import type { Spans, TextView } from './text.ts'

/** Gopher's n-gram sizes in words: the most frequent n-gram for 2..4, duplicated n-grams for 5..10. */
export const TOP_WORDS = [2, 3, 4] as const
export const DUP_WORDS = [5, 6, 7, 8, 9, 10] as const

/** Characters per measure, indexed by n in words. */
export interface NgramStats { top: number[], dup: number[] }

/**
 * Buffers reused by every document: typed arrays cost a microsecond or more each to allocate, which
 * for a short document is more than the counting. Stats are computed in one synchronous call, so
 * nothing else can use them meanwhile.
 */
class Scratch {
  tok = new Int32Array(0)
  /** Code units of tokens 0..i-1. */
  prefix = new Int32Array(1)
  /** For active positions: the first position with the same n-gram (at n = 1, the token id). */
  cls = new Int32Array(0)
  /** Members of the class a position names. */
  size = new Int32Array(0)
  /** Positions (ascending) whose n-gram occurs more than once. */
  active = new Int32Array(0)
  /** Per class: running counts (top) or a seen flag (dup); zeroed again after each use. */
  seen = new Int32Array(0)
  /** For Chinese, the bigram class at every position (a negative number unique to it when it occurs once). */
  bigrams = new Int32Array(0)

  fit (tokens: number): void {
    if (tokens <= this.tok.length) return
    const size = Math.max(tokens, this.tok.length * 2)
    this.tok = new Int32Array(size)
    this.prefix = new Int32Array(size + 1)
    this.cls = new Int32Array(size)
    this.size = new Int32Array(size)
    this.active = new Int32Array(size)
    this.seen = new Int32Array(size)
    this.bigrams = new Int32Array(size)
  }
}

const buf = new Scratch()

/**
 * Gopher's n-gram measures of a text's tokens. The n-grams are equivalence classes refined one
 * token (for Chinese, one bigram) at a time: positions i and j hold the same (n+1)-gram exactly
 * when they hold the same n-gram and the same next token. A class is named by its first position,
 * so counts live in plain arrays, and an n-gram that occurs once can never repeat at a larger n:
 * only the positions still in a shared class (`active`) are worked on, and they thin out fast.
 * Equality is exact (token ids are interned strings, no hashing collisions) and no n-gram string is
 * ever built. `perWord` tokens stand for one word (2 for Chinese characters: a Chinese word is about
 * two characters, so a "3-gram" is 6 characters); `spaced` tells whether tokens were joined by spaces.
 */
export function measureNgrams (text: string, tokens: Spans, perWord: number, spaced: boolean): NgramStats {
  const t = tokens.starts.length
  buf.fit(t)
  const { tok, prefix, cls, active, seen } = buf
  internTokens(text, tokens, tok)
  for (let i = 0; i < t; i++) {
    prefix[i + 1] = prefix[i]! + tokens.ends[i]! - tokens.starts[i]!
    cls[i] = tok[i]!
    active[i] = i
  }
  let activeCount = refine(1, t, t, tok, 1)
  // Chinese needs even n only: it steps two characters at a time, extending by the next bigram
  let unit = tok
  if (perWord === 2) {
    unit = buf.bigrams
    for (let i = 0; i < t; i++) unit[i] = -1 - i
    for (let a = 0; a < activeCount; a++) unit[active[a]!] = cls[active[a]!]!
  }
  const stats: NgramStats = { top: [], dup: [] }
  const last = DUP_WORDS[DUP_WORDS.length - 1]! * perWord
  for (let n = 2; n <= last; n += perWord) {
    if (n > 2) activeCount = refine(n - perWord, t, activeCount, unit, perWord)
    const count = Math.max(0, t - n + 1)
    const words = n / perWord
    if ((TOP_WORDS as readonly number[]).includes(words)) {
      // Left to right, keeping the first n-gram whose running count exceeds the best so far; with
      // one occurrence each that is the first n-gram.
      let best = 1
      let bestAt = 0
      for (let a = 0; a < activeCount; a++) {
        const i = active[a]!
        const c = ++seen[cls[i]!]!
        if (c > best) { best = c; bestAt = i }
      }
      for (let a = 0; a < activeCount; a++) seen[cls[active[a]!]!] = 0
      stats.top[words] = count === 0 ? 0 : (prefix[bestAt + n]! - prefix[bestAt]! + (spaced ? n - 1 : 0)) * best
    }
    if ((DUP_WORDS as readonly number[]).includes(words)) {
      // Left to right, skipping past each repeat so a character counts once (the skipped n-grams
      // are not remembered)
      let dup = 0
      let next = 0
      for (let a = 0; a < activeCount; a++) {
        const i = active[a]!
        if (i < next) continue
        if (seen[cls[i]!] === 1) {
          dup += prefix[i + n]! - prefix[i]!
          next = i + n
        } else seen[cls[i]!] = 1
      }
      for (let a = 0; a < activeCount; a++) seen[cls[active[a]!]!] = 0
      stats.dup[words] = dup
    }
  }
  return stats
}

/**
 * Refines the classes of the active positions from k-grams to (k+step)-grams, `units` being the
 * class of the step-gram at each position; returns how many stay active.
 */
function refine (k: number, t: number, activeCount: number, units: Int32Array, step: number): number {
  const { cls, size, active } = buf
  const limit = t - k - step + 1
  pairs.reset(activeCount)
  let m = 0
  for (let a = 0; a < activeCount; a++) {
    const i = active[a]!
    if (i >= limit) break
    const first = pairs.firstOf(cls[i]!, units[i + k]!, i)
    if (first === i) size[i] = 1
    else size[first]!++
    cls[i] = first
    active[m++] = i
  }
  let kept = 0
  for (let a = 0; a < m; a++) if (size[cls[active[a]!]!]! > 1) active[kept++] = active[a]!
  return kept
}

/**
 * Token ids: a single code point is its own id (most Chinese tokens: no lookup); a longer token gets
 * 0x110000 + the index of its first occurrence, found in an open-addressing table over the tokens'
 * characters (no substring, no Map).
 */
function internTokens (text: string, tokens: Spans, ids: Int32Array): void {
  const { starts, ends } = tokens
  words.reset(starts.length)
  for (let i = 0; i < starts.length; i++) {
    const s = starts[i]!
    const e = ends[i]!
    const c = text.charCodeAt(s)
    if (e - s === 1) { ids[i] = c; continue }
    if (e - s === 2 && c >= 0xd800 && c <= 0xdbff) { ids[i] = text.codePointAt(s)!; continue }
    ids[i] = 0x110000 + words.firstOf(text, starts, ends, i)
  }
}

/** Open addressing from a token's characters to the index of its first occurrence. */
class TokenTable {
  #slots = new Int32Array(0)
  #stamp = new Uint32Array(0)
  #generation = 0
  #mask = 0

  reset (entries: number): void {
    let size = 16
    while (size < entries * 2) size *= 2
    if (size > this.#slots.length) {
      this.#slots = new Int32Array(size)
      this.#stamp = new Uint32Array(size)
      this.#generation = 0
    }
    this.#mask = size - 1
    this.#generation++
  }

  firstOf (text: string, starts: Int32Array, ends: Int32Array, token: number): number {
    const s = starts[token]!
    const len = ends[token]! - s
    let h = 0x811c9dc5
    for (let k = s; k < s + len; k++) h = Math.imul(h ^ text.charCodeAt(k), 0x01000193)
    let slot = (h ^ (h >>> 15)) & this.#mask
    const gen = this.#generation
    while (this.#stamp[slot] === gen) {
      const other = this.#slots[slot]!
      const o = starts[other]!
      if (ends[other]! - o === len) {
        let k = 0
        while (k < len && text.charCodeAt(o + k) === text.charCodeAt(s + k)) k++
        if (k === len) return other
      }
      slot = (slot + 1) & this.#mask
    }
    this.#stamp[slot] = gen
    this.#slots[slot] = token
    return token
  }
}

/**
 * Open addressing from a pair of int32 keys to the first position that added it, in one typed array
 * of (a, b, value, generation) quadruples (one cache line per probe on large documents), reused
 * across calls: the generation marks live slots, so a reset clears nothing.
 */
class PairTable {
  #slots = new Int32Array(0)
  #generation = 0
  #mask = 0

  reset (entries: number): void {
    let size = 16
    while (size < entries * 2) size *= 2
    if (size * 4 > this.#slots.length) {
      this.#slots = new Int32Array(size * 4)
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
    const slots = this.#slots
    while (slots[i * 4 + 3] === gen) {
      if (slots[i * 4] === a && slots[i * 4 + 1] === b) return slots[i * 4 + 2]!
      i = (i + 1) & this.#mask
    }
    slots[i * 4] = a
    slots[i * 4 + 1] = b
    slots[i * 4 + 2] = value
    slots[i * 4 + 3] = gen
    return value
  }
}

const words = new TokenTable()
const pairs = new PairTable()

const stats = new WeakMap<TextView, NgramStats>()

/** The n-gram measures of a view's tokens, computed once for all n-gram rules that look at the same text. */
export function ngramStats (view: TextView): NgramStats {
  let st = stats.get(view)
  if (st === undefined) stats.set(view, st = view.lang === 'zh' ? measureNgrams(view.text, view.tokens, 2, false) : measureNgrams(view.text, view.tokens, 1, true))
  return st
}
