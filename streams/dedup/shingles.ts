import { looksTraditional, toSimplified } from '../normalize/zh-convert.ts'

/** Shingle sizes in tokens: `words` for English and other languages, `chars` for Chinese. */
export interface ShingleSizes { words: number, chars: number }

const SEPARATOR = 0
const WORD = 1
/** Han and kana: every character is a token of its own, since these scripts do not space words. */
const CJK = 2

const NON_ASCII = /[^\x00-\x7f]/

let classes: Uint8Array | undefined

/**
 * Character class of each BMP code point, built once. Punctuation, symbols and whitespace are
 * separators, so pages that differ only in them shingle alike (Ziya2's CD). Surrogates are
 * separators too: that folds emoji, at the price of the rare astral-plane Han character.
 */
function charClasses (): Uint8Array {
  if (classes !== undefined) return classes
  const word = /[\p{L}\p{N}\p{M}]/u
  const cjk = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u
  classes = new Uint8Array(0x10000)
  for (let c = 0; c < 0x10000; c++) {
    if (c >= 0xd800 && c <= 0xdfff) continue
    const ch = String.fromCharCode(c)
    if (cjk.test(ch)) classes[c] = CJK
    else if (word.test(ch)) classes[c] = WORD
  }
  return classes
}

/**
 * The text as dedup compares it: Traditional Chinese converted to Simplified (OpenCC is slow, so
 * only for texts with a Traditional-only character), NFKC (which ASCII text skips), lower case. Punctuation and whitespace
 * are folded later, by the tokenizer, without building another string.
 */
export function dedupText (text: string): string {
  const simplified = looksTraditional(text) > 0 ? toSimplified(text).text : text
  return (NON_ASCII.test(simplified) ? simplified.normalize('NFKC') : simplified).toLowerCase()
}

/** Chinese texts shingle by characters; an unlabelled text does too when Han dominates its letters. */
export function shingleSize (text: string, lang: string | null, sizes: ShingleSizes): number {
  if (lang === 'zh') return sizes.chars
  if (lang !== null) return sizes.words
  const cls = charClasses()
  let cjk = 0
  let letters = 0
  for (let i = 0; i < text.length; i++) {
    const k = cls[text.charCodeAt(i)]!
    if (k !== SEPARATOR) letters++
    if (k === CJK) cjk++
  }
  return cjk * 2 > letters ? sizes.chars : sizes.words
}

/**
 * Calls `token(start, end)` for each token of a `dedupText`: a run of letters and digits, or one
 * Han or kana character. Offsets instead of substrings keep the hashing path allocation-free.
 */
export function forEachToken (norm: string, token: (start: number, end: number) => void): void {
  const cls = charClasses()
  let start = -1
  for (let i = 0; i < norm.length; i++) {
    const k = cls[norm.charCodeAt(i)]!
    if (k === WORD) {
      if (start < 0) start = i
      continue
    }
    if (start >= 0) token(start, i)
    start = -1
    if (k === CJK) token(i, i + 1)
  }
  if (start >= 0) token(start, norm.length)
}

/** murmur3's finaliser: spreads every input bit over the 32 output bits. */
export function fmix32 (h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/** Odd multiplier of the rolling shingle hash. */
const BASE = 0x01000193

/** Grows as needed and is reused, so hashing a document allocates nothing in the steady state. */
let buffer: Uint32Array = new Uint32Array(1 << 14)

/**
 * 32-bit hashes of the document's shingles (n consecutive tokens; one shingle of all tokens when
 * there are fewer than n), in text order, repeats included. A view into a shared buffer: valid
 * until the next call. JS over char codes, not xxhash-wasm: a wasm call per token costs more than
 * the hash itself. Shingles roll: the window's polynomial hash is updated in O(1) per token.
 */
export function shingleHashes (norm: string, n: number): Uint32Array {
  const window = new Uint32Array(n)
  let drop = 1
  for (let i = 1; i < n; i++) drop = Math.imul(drop, BASE)
  let count = 0
  let tokens = 0
  let rolling = 0
  forEachToken(norm, (start, end) => {
    let h = 0x811c9dc5
    for (let i = start; i < end; i++) h = Math.imul(h ^ norm.charCodeAt(i), BASE)
    h = fmix32(h)
    const slot = tokens % n
    if (tokens >= n) rolling = (rolling - Math.imul(window[slot]!, drop)) | 0
    rolling = (Math.imul(rolling, BASE) + h) | 0
    window[slot] = h
    tokens++
    if (tokens >= n) {
      if (count === buffer.length) buffer = grow(buffer)
      buffer[count++] = fmix32(rolling)
    }
  })
  if (tokens > 0 && tokens < n) buffer[count++] = fmix32(rolling)
  return buffer.subarray(0, count)
}

function grow (b: Uint32Array): Uint32Array {
  const bigger = new Uint32Array(b.length * 2)
  bigger.set(b)
  return bigger
}

/** The exact shingles as strings (tokens joined by a space): the ground truth the hashes stand for. */
export function shingleSet (norm: string, n: number): Set<string> {
  const tokens: string[] = []
  forEachToken(norm, (start, end) => tokens.push(norm.slice(start, end)))
  const out = new Set<string>()
  if (tokens.length > 0 && tokens.length < n) out.add(tokens.join(' '))
  for (let i = 0; i + n <= tokens.length; i++) out.add(tokens.slice(i, i + n).join(' '))
  return out
}

/** |A ∩ B| / |A ∪ B|; two empty sets are not similar (0). */
export function exactJaccard (a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a]
  let shared = 0
  for (const s of small) if (large.has(s)) shared++
  const union = a.size + b.size - shared
  return union === 0 ? 0 : shared / union
}
