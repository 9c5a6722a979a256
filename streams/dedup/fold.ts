import { traditionalOnlyChars } from '../normalize/zh-convert-chars.ts'
import { toSimplified } from '../normalize/zh-convert.ts'
import { Scratch } from './scratch.ts'

/**
 * `dedupText`'s folding, `(looksTraditional(t) > 0 ? toSimplified(t).text : t).normalize('NFKC').toLowerCase()`,
 * in one pass over the code units for the texts where that is exact, and by those calls for the rest.
 *
 * NFKC is decomposition, canonical reordering and composition. When every character's
 * decomposition starts with a starter (combining class 0) that is never the second half of a
 * composition, reordering and composition stay within each character's own decomposition, so the
 * NFKC of the text is the concatenation of each character's NFKC, a table lookup; lower-casing
 * that is a per-unit map too, but for final sigma (Σ depends on its neighbours) and İ (grows).
 * tests/streams/dedup/fold.test.ts checks those premises against the whole of Unicode.
 */

// `fold[c]` values in the surrogate range are not a unit but what to do: no character folds to a lone surrogate.
/** NFKC or lower case of the character is not a per-unit map: the whole text takes the slow path. */
const SLOW = 0xdfff
/** A Traditional-only Han character: the text needs OpenCC first (the slow path). */
const TRADITIONAL = 0xdffe
/** Folds to several units, listed in `expansions`. */
const EXPAND = 0xdffd
/** A high surrogate: the pair's code point decides. */
const HIGH = 0xdffc

let fold: Uint16Array | undefined
const expansions = new Map<number, number[]>()

/**
 * Whether a unit that starts a character's decomposition is a starter that composes with nothing
 * before it: not a combining mark (variation selectors aside: class 0, never composed) and not a
 * Hangul vowel or trailing consonant (which join the syllable before them).
 */
const MARK = /\p{M}/u
function startsAlone (unit: number): boolean {
  if (unit >= 0xd800 && unit <= 0xdfff) return false
  if (unit >= 0x1160 && unit <= 0x11ff) return false
  return (unit >= 0xfe00 && unit <= 0xfe0f) || !MARK.test(String.fromCharCode(unit))
}

/** The fold of each BMP unit, built once (60 ms, after zh-convert's Traditional-only table). */
export function foldTable (): Uint16Array {
  if (fold !== undefined) return fold
  const only = traditionalOnlyChars()
  fold = new Uint16Array(0x10000)
  for (let c = 0; c < 0x10000; c++) fold[c] = entry(c, only)
  return fold
}

/**
 * A character whose decomposition starts with a starter that composes with nothing before it is
 * reordered and composed on its own: its NFKC in a text is its NFKC alone. Its lower case is a
 * per-unit map unless that holds Σ (final sigma depends on the neighbours) or a unit that grows.
 */
function entry (c: number, only: Uint8Array): number {
  if (c >= 0xd800 && c <= 0xdbff) return HIGH
  if (c >= 0xdc00 && c <= 0xdfff) return SLOW
  if (c >= 0x3400 && c <= 0x9fff) return only[c] === 1 ? TRADITIONAL : c
  // Hangul syllables and private use fold to themselves (fold.test.ts checks these shortcuts)
  if ((c >= 0xac00 && c <= 0xd7a3) || (c >= 0xe000 && c <= 0xf8ff)) return c
  const ch = String.fromCharCode(c)
  if (!startsAlone(ch.normalize('NFKD').charCodeAt(0))) return SLOW
  const nfkc = ch.normalize('NFKC')
  const units: number[] = []
  for (let i = 0; i < nfkc.length; i++) {
    const u = nfkc.charCodeAt(i)
    const lower = String.fromCharCode(u).toLowerCase()
    if (u === 0x03a3 || lower.length !== 1) return SLOW
    units.push(lower.charCodeAt(0))
  }
  if (String.fromCharCode(...units) !== nfkc.toLowerCase()) return SLOW
  if (units.length === 1) return units[0]!
  expansions.set(c, units)
  return EXPAND
}

/**
 * Astral code points that fold to themselves: CJK extensions B–H (not the compatibility
 * ideographs at U+2F800, which NFKC maps) and, checked once each, the emoji and symbol blocks.
 */
const astral = new Uint8Array(0x1fb00 - 0x1f000)
function astralInert (cp: number): boolean {
  if ((cp >= 0x20000 && cp < 0x2f800) || (cp >= 0x30000 && cp < 0x323b0)) return true
  if (cp < 0x1f000 || cp >= 0x1fb00) return false
  const i = cp - 0x1f000
  if (astral[i] === 0) {
    const ch = String.fromCodePoint(cp)
    astral[i] = ch.normalize('NFKC') === ch && ch.toLowerCase() === ch && !MARK.test(ch) ? 1 : 2
  }
  return astral[i] === 1
}

/**
 * The fold of one code point when the fast path folds it on its own (BMP units and the astral
 * code points `astralInert` accepts), else null. For tests: the premises are checked on it.
 */
export function foldsAlone (cp: number): string | null {
  if (cp > 0xffff) return astralInert(cp) ? String.fromCodePoint(cp) : null
  const f = foldTable()[cp]!
  if (f < 0xd800 || f > 0xdfff) return String.fromCharCode(f)
  return f === EXPAND ? String.fromCharCode(...expansions.get(cp)!) : null
}

const input = new Scratch(1 << 17)
const output = new Scratch(1 << 17)

/**
 * The string's UTF-16 code units in a reused array (valid until the next call): one native copy,
 * after which loops read a typed array instead of calling `charCodeAt` on whatever representation
 * (cons, sliced, one- or two-byte) the string has. Little-endian, as every platform Node runs on.
 */
export function codeUnits (text: string): Uint16Array {
  const bytes = input.get(text.length * 2)
  bytes.write(text, 0, 'utf16le')
  return new Uint16Array(bytes.buffer, bytes.byteOffset, text.length)
}

/** Traditional → Simplified when needed, NFKC, lower case (see the top of this file). */
export function foldText (text: string): string {
  const table = foldTable()
  const src = codeUnits(text)
  const length = text.length
  let bytes = output.get(length * 2)
  let dst = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length >> 1)
  let j = 0
  let changed = false
  for (let i = 0; i < length; i++) {
    const c = src[i]!
    const f = table[c]!
    if (f < 0xd800 || f > 0xdfff) {
      dst[j++] = f
      if (f !== c) changed = true
      continue
    }
    if (f === EXPAND) {
      const units = expansions.get(c)!
      const needed = j + units.length + (length - i)
      if (needed > dst.length) {
        // what is folded so far, and room for this expansion and the rest, one to one or more
        const bigger = Buffer.alloc(Math.max(needed, 2 * length) * 2)
        bigger.set(bytes.subarray(0, j * 2))
        bytes = bigger
        dst = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length >> 1)
      }
      for (const u of units) dst[j++] = u
      changed = true
      continue
    }
    if (f === HIGH && i + 1 < length) {
      const low = src[i + 1]!
      if (low >= 0xdc00 && low <= 0xdfff && astralInert(((c - 0xd800) << 10) + (low - 0xdc00) + 0x10000)) {
        dst[j++] = c
        dst[j++] = low
        i++
        continue
      }
    }
    return slowFold(text, src, i)
  }
  return changed ? bytes.toString('utf16le', 0, j * 2) : text
}

/** The calls the fast path stands for; units before `from` are known not to be Traditional-only. */
function slowFold (text: string, units: Uint16Array, from: number): string {
  const only = traditionalOnlyChars()
  let traditional = false
  for (let i = from; i < text.length; i++) {
    const c = units[i]!
    if (c >= 0x3400 && c <= 0x9fff && only[c] === 1) { traditional = true; break }
  }
  return (traditional ? toSimplified(text).text : text).normalize('NFKC').toLowerCase()
}
