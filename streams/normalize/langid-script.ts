/** Letters of a text by script; digits, punctuation, symbols, spaces and emoji are not counted. */
export interface ScriptCounts {
  han: number
  kana: number
  hangul: number
  latin: number
  /** Latin letters outside ASCII (é, ß, ơ): nearly absent from English. */
  latinAccented: number
  /** Cyrillic, Greek, Arabic, Hebrew, Indic, Thai, Georgian, Ethiopic, ... */
  otherLetters: number
}

/** One pass over UTF-16 code units; a supplementary-plane Han character is counted at its high surrogate. */
export function countScripts (text: string): ScriptCounts {
  let han = 0
  let kana = 0
  let hangul = 0
  let latin = 0
  let latinAccented = 0
  let otherLetters = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x80) {
      if ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) latin++
    } else if (c >= 0x4e00 && c <= 0x9fff) han++
    else if (c < 0x250) {
      if (c >= 0xc0 && c !== 0xd7 && c !== 0xf7) { latin++; latinAccented++ }
    } else if (c < 0x370) {
      // IPA and spacing modifiers: not a language signal
    } else if (c < 0x1100) otherLetters++
    else if (c < 0x1200) hangul++
    else if (c < 0x1e00) otherLetters++
    else if (c < 0x1f00) { latin++; latinAccented++ }
    else if (c < 0x2000) otherLetters++
    else if (c >= 0x3040 && c <= 0x30ff) kana++
    else if (c >= 0x3400 && c <= 0x4dbf) han++
    else if (c >= 0xac00 && c <= 0xd7af) hangul++
    else if (c >= 0xd840 && c <= 0xd88f) han++
    else if (c >= 0xf900 && c <= 0xfaff) han++
    else if (c >= 0x3130 && c <= 0x318f) hangul++
    else if (c >= 0x31f0 && c <= 0x31ff) kana++
    else if (c >= 0xff21 && c <= 0xff5a && (c <= 0xff3a || c >= 0xff41)) latin++
    else if (c >= 0xff66 && c <= 0xff9d) kana++
  }
  return { han, kana, hangul, latin, latinAccented, otherLetters }
}
