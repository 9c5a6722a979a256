import { codeUnits, foldText } from './fold.ts'
import { Scratch } from './scratch.ts'

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
 * only for texts with a Traditional-only character), NFKC (which ASCII text skips), lower case.
 * Punctuation and whitespace are folded later, by the tokenizer, without building another string.
 * Non-ASCII text is folded in one pass over its code units where that is exact (`fold.ts`).
 */
export function dedupText (text: string): string {
  return NON_ASCII.test(text) ? foldText(text) : text.toLowerCase()
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
/** FNV-1a's offset basis: each token's hash starts here. */
const TOKEN_SEED = 0x811c9dc5

/** Reused from one document to the next: hashing allocates nothing in the steady state. */
const shingleScratch = new Scratch(1 << 16)
const tokenScratch = new Scratch(1 << 16)

/**
 * 32-bit hashes of the document's shingles (n consecutive tokens; one shingle of all tokens when
 * there are fewer than n), in text order, repeats included. A view into a shared buffer: valid
 * until the next call. JS over char codes, not xxhash-wasm: a wasm call per token costs more than
 * the hash itself. Two flat loops: the tokens' hashes into a reused array, then the shingles,
 * whose polynomial hash rolls in O(1) per token.
 */
export function shingleHashes (norm: string, n: number): Uint32Array {
  const tokens = tokenHashes(norm)
  const count = tokens.length < n ? Math.min(tokens.length, 1) : tokens.length - n + 1
  const bytes = shingleScratch.get(count * 4)
  const out = new Uint32Array(bytes.buffer, bytes.byteOffset, count)
  let drop = 1
  for (let i = 1; i < n; i++) drop = Math.imul(drop, BASE)
  let rolling = 0
  const first = Math.min(n, tokens.length)
  for (let j = 0; j < first; j++) rolling = (Math.imul(rolling, BASE) + tokens[j]!) | 0
  if (count > 0) out[0] = fmix32(rolling)
  for (let j = n; j < tokens.length; j++) {
    rolling = (Math.imul(rolling - Math.imul(tokens[j - n]!, drop), BASE) + tokens[j]!) | 0
    out[j - n + 1] = fmix32(rolling)
  }
  return out
}

/**
 * Each token's FNV-1a hash, murmur-finalised (tokens as `forEachToken` cuts them), in text order.
 * A view into a shared buffer, valid until the next call.
 */
function tokenHashes (norm: string): Int32Array {
  const units = codeUnits(norm)
  const cls = charClasses()
  const length = norm.length
  // at most one token per code unit
  const bytes = tokenScratch.get(length * 4)
  const out = new Int32Array(bytes.buffer, bytes.byteOffset, length)
  let count = 0
  let h = TOKEN_SEED
  let inWord = false
  for (let i = 0; i < length; i++) {
    const c = units[i]!
    const k = cls[c]!
    if (k === WORD) {
      h = Math.imul(h ^ c, BASE)
      inWord = true
      continue
    }
    if (inWord) {
      out[count++] = fmix32(h)
      h = TOKEN_SEED
      inWord = false
    }
    if (k === CJK) out[count++] = fmix32(Math.imul(TOKEN_SEED ^ c, BASE))
  }
  if (inWord) out[count++] = fmix32(h)
  return out.subarray(0, count)
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
