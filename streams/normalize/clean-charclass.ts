/**
 * Code points added in increasing order, written as regex class ranges. V8 matches a class of
 * ranges far faster than a property (`\p{M}`) or thousands of single code points, and a class
 * without the `u` flag (BMP only, astral characters left to a surrogate range) faster still.
 */
export class CharClass {
  private readonly spans: Array<[number, number]> = []

  add (cp: number): void {
    const last = this.spans.at(-1)
    if (last !== undefined && last[1] === cp - 1) last[1] = cp
    else this.spans.push([cp, cp])
  }

  /** For a `u` regex: every range. */
  ranges (): string {
    return this.spans.map(([a, b]) => `\\u{${a.toString(16)}}-\\u{${b.toString(16)}}`).join('')
  }

  /** For a regex without `u`: the ranges below U+10000. */
  bmpRanges (): string {
    const hex = (cp: number): string => `\\u${cp.toString(16).padStart(4, '0')}`
    return this.spans.filter(([a]) => a < 0x10000).map(([a, b]) => `${hex(a)}-${hex(Math.min(b, 0xffff))}`).join('')
  }
}

/** The code points below `limit` for which `has` holds (found once, at load). */
export function charClassOf (has: (ch: string) => boolean, limit = 0x30000): CharClass {
  const c = new CharClass()
  for (let cp = 0; cp < limit; cp++) if (!(cp >= 0xd800 && cp < 0xe000) && has(String.fromCodePoint(cp))) c.add(cp)
  return c
}

/** Surrogates in a class without `u`: any astral character sends a text down the exact (slower) path. */
export const ASTRAL = '\\ud800-\\udfff'
