/**
 * A measurable stand-in for Ziya2's readability metric: a document is unreadable when any of
 * these holds (each threshold is an option):
 * - `garbled`: it has a replacement character U+FFFD (bytes were lost in decoding), a control
 *   character other than tab, newline and carriage return, or a private-use character;
 * - `symbols`: symbols (Unicode S*: maths, currency, box drawing, emoji) are more than
 *   `maxSymbolShare` of its non-space characters (at least 20 of them);
 * - `long_tokens`: runs of `longToken`+ characters without a space or a Han character (base64,
 *   hex dumps, minified code, URL chains) hold more than `maxLongTokenShare` of them;
 * - `no_punctuation`: it has `unpunctuatedChars`+ non-space characters and not one sentence
 *   terminator (`. ! ? 。 ！ ？` and the other Unicode Sentence_Terminal characters): keyword
 *   lists, navigation and tag soup rather than prose.
 */
export interface ReadabilityOptions {
  maxSymbolShare: number
  longToken: number
  maxLongTokenShare: number
  unpunctuatedChars: number
}

export const READABILITY_DEFAULTS: ReadabilityOptions = { maxSymbolShare: 0.2, longToken: 50, maxLongTokenShare: 0.3, unpunctuatedChars: 300 }

export type UnreadableReason = 'garbled' | 'symbols' | 'long_tokens' | 'no_punctuation'

const GARBLED = /[\ufffd\p{Co}\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/u
const SYMBOL = /\p{S}/gu
const SPACE = /\s/gu
const TERMINATOR = /\p{Sentence_Terminal}/u
const MIN_CHARS_FOR_SHARES = 20

/** Why the text is unreadable, or null when it reads as text. */
export function unreadable (text: string, o: ReadabilityOptions = READABILITY_DEFAULTS): UnreadableReason | null {
  if (GARBLED.test(text)) return 'garbled'
  const chars = [...text].length - (text.match(SPACE)?.length ?? 0)
  if (chars >= MIN_CHARS_FOR_SHARES) {
    if ((text.match(SYMBOL)?.length ?? 0) > o.maxSymbolShare * chars) return 'symbols'
    const longRuns = text.match(new RegExp(`[^\\s\\p{Script=Han}]{${o.longToken},}`, 'gu')) ?? []
    if (longRuns.reduce((n, r) => n + [...r].length, 0) > o.maxLongTokenShare * chars) return 'long_tokens'
  }
  if (chars >= o.unpunctuatedChars && !TERMINATOR.test(text)) return 'no_punctuation'
  return null
}
