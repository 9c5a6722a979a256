// Character classes as bit flags, looked up per code point instead of running a Unicode regex per
// character or per match: the rules' counts and splits become one charCodeAt loop each. The table is
// derived from the very regexes it replaces, so it agrees with them on this engine's Unicode version.

/** `\s` (WhiteSpace and LineTerminator, the same with or without the `u` flag). */
export const SPACE = 1
/** `[\p{P}\p{S}]`: what is stripped from word edges and separates Chinese tokens. */
export const PUNCT_SYMBOL = 2
/** `\p{Script=Han}`. */
export const HAN = 4
/** `\p{L}`. */
export const LETTER = 8
/** `[\p{S}\p{Co}\p{Cn}]`: symbols, private use, unassigned (Ziya2's symbol ratio). */
export const SYMBOL = 16
/** `\p{Nd}`. */
export const DIGIT = 32
/** U+FFFD and control characters other than tab, newline and CR: text decoded with the wrong charset. */
export const BROKEN = 64
/** The CJK Unified Ideographs blocks (basic, extension A, compatibility): Ziya2's Han share, by block rather than script. */
export const CJK_BLOCK = 128

const CLASSES: ReadonlyArray<[number, RegExp]> = [
  [SPACE, /\s/gu], [PUNCT_SYMBOL, /[\p{P}\p{S}]/gu], [HAN, /\p{Script=Han}/gu],
  [LETTER, /\p{L}/gu], [SYMBOL, /[\p{S}\p{Co}\p{Cn}]/gu], [DIGIT, /\p{Nd}/gu]
]

/**
 * Flags of every BMP code unit (the regex classes, and BROKEN and CJK_BLOCK by range). Surrogates stay 0: alone they are none of these classes, and a pair
 * is classified as its code point by `classOf`. Built with one regex pass per class over a string
 * of all other BMP characters (a regex test per character took ~80 ms at startup).
 */
const BMP: Uint8Array = (() => {
  const table = new Uint8Array(0x10000)
  const units: number[] = []
  for (let c = 0; c < 0x10000; c++) if (c < 0xd800 || c > 0xdfff) units.push(c)
  let all = ''
  for (let i = 0; i < units.length; i += 8192) all += String.fromCharCode(...units.slice(i, i + 8192))
  for (const [flag, re] of CLASSES) for (const m of all.matchAll(re)) table[units[m.index]!]! |= flag
  const mark = (flag: number, from: number, to: number): void => { for (let c = from; c <= to; c++) table[c]! |= flag }
  mark(BROKEN, 0, 8); mark(BROKEN, 0x0b, 0x0c); mark(BROKEN, 0x0e, 0x1f); mark(BROKEN, 0x7f, 0x9f); mark(BROKEN, 0xfffd, 0xfffd)
  mark(CJK_BLOCK, 0x4e00, 0x9fff); mark(CJK_BLOCK, 0x3400, 0x4dbf); mark(CJK_BLOCK, 0xf900, 0xfaff)
  return table
})()

const astral = new Map<number, number>()

function astralFlags (cp: number): number {
  let flags = astral.get(cp)
  if (flags === undefined) {
    const s = String.fromCodePoint(cp)
    flags = 0
    for (const [flag, re] of CLASSES) { re.lastIndex = 0; if (re.test(s)) flags |= flag }
    astral.set(cp, flags)
  }
  return flags
}

/** Flags of one UTF-16 code unit (a surrogate half counts as nothing, as a regex without `u` sees it per unit). */
export const unitFlags = (c: number): number => BMP[c]!

const isHigh = (c: number): boolean => c >= 0xd800 && c <= 0xdbff
const isLow = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff

/** Width (1 or 2 code units) of the code point starting at `i`, as a `u` regex steps. */
export function widthAt (text: string, i: number): number {
  return isHigh(text.charCodeAt(i)) && isLow(text.charCodeAt(i + 1)) ? 2 : 1
}

/** Flags of the code point starting at `i` (as a `u` regex sees it: a surrogate pair is one character). */
export function flagsAt (text: string, i: number): number {
  const c = text.charCodeAt(i)
  if (!isHigh(c)) return BMP[c]!
  const d = text.charCodeAt(i + 1)
  return isLow(d) ? astralFlags(0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00)) : 0
}

/** Width of the code point that ends at `end` (exclusive), not looking before `start`. */
export function widthBefore (text: string, end: number, start: number): number {
  return end - 2 >= start && isLow(text.charCodeAt(end - 1)) && isHigh(text.charCodeAt(end - 2)) ? 2 : 1
}
