import { ASTRAL, charClassOf } from './clean-charclass.ts'

/** C0 and C1 controls and DEL; \n and \t carry layout and stay (\r is gone by now). */
const CONTROL = '[\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f]'
/**
 * Characters that render as nothing: soft hyphen, zero-width spaces and joiners, bidi controls,
 * word joiner and invisible operators, BOM, variation selectors, Hangul fillers, tag characters.
 */
const INVISIBLE = '[\\u00ad\\u034f\\u061c\\u115f\\u1160\\u17b4\\u17b5\\u180b-\\u180f\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u206f\\u3164\\ufe00-\\ufe0f\\ufeff\\uffa0\\ufff0-\\ufff8\\u{e0000}-\\u{e01ef}]'
/**
 * Emoji: pictographs from U+2300 on (the older ones below, © ® ™ ↔, are ordinary text symbols),
 * skin-tone modifiers, regional-indicator flags and the keycap mark. The property is spelled out
 * as ranges once at load: V8 matches a property class several times slower than ranges.
 */
const EMOJI = `[${charClassOf(ch => ch >= '\u2300' && /\p{Extended_Pictographic}/u.test(ch)).ranges()}\\u{1f1e6}-\\u{1f1ff}\\u{1f3fb}-\\u{1f3ff}\\u20e3]`
/**
 * Decorative symbols: box drawing, block elements, geometric shapes (bullets like ● ■ ▲),
 * miscellaneous symbols and dingbats (★ ♪ ✓), braille (text art), symbols and arrows (⬆),
 * the remaining pictographic planes, and private-use characters (icon fonts).
 * Punctuation, CJK symbols, arrows, maths and currency stay.
 */
const SYMBOL = '[\\u2500-\\u27bf\\u2800-\\u28ff\\u2b00-\\u2bff\\ue000-\\uf8ff\\u{1f000}-\\u{1faff}\\u{f0000}-\\u{10ffff}]'

const NOISE = new RegExp(`(${CONTROL})|(${INVISIBLE})|(${EMOJI})|(${SYMBOL})`, 'gu')
/** One BMP character class covering NOISE: a fast test that lets most documents skip the slower alternation. */
const ONE_NOISE = new RegExp(NOISE.source, 'u')
const MAYBE_NOISE = new RegExp(`[${charClassOf(ch => ONE_NOISE.test(ch), 0x10000).bmpRanges()}${ASTRAL}]`)

export interface NoiseRemoved { text: string, control: number, invisible: number, emoji: number, symbol: number }

/** Removes control, invisible, emoji and decorative-symbol characters in one pass, counting each kind. */
export function removeNoise (text: string, opts: { emoji: boolean }): NoiseRemoved {
  const out = { text, control: 0, invisible: 0, emoji: 0, symbol: 0 }
  if (!MAYBE_NOISE.test(text)) return out
  out.text = text.replace(NOISE, (m, control?: string, invisible?: string, emoji?: string) => {
    if (control !== undefined) out.control++
    else if (invisible !== undefined) out.invisible++
    else if (!opts.emoji) return m
    else if (emoji !== undefined) out.emoji++
    else out.symbol++
    return ''
  })
  return out
}
