import { BROKEN, CJK_BLOCK, DIGIT, flagsAt, HAN, LETTER, PUNCT_SYMBOL, SPACE, SYMBOL, unitFlags, widthAt, widthBefore } from './charclass.ts'

/** The languages rules are written for; a document of any other language (or none) counts as `other`. */
export const LANGS = ['zh', 'en', 'other'] as const
export type Lang = typeof LANGS[number]

const HAN_SCRIPT = /\p{Script=Han}/gu
const LATIN_SCRIPT = /\p{Script=Latin}/gu
// a sentence ends at terminal punctuation (ASCII followed by a space, CJK anywhere)
const SENTENCE_END = /[.!?]+["')\]]*(?=\s|$)|[。！？；…]+[”」』）]*/gu
/** A line ending in a Unicode sentence terminator (FineWeb's test). */
export const TERMINAL_PUNCT = /\p{Sentence_Terminal}$/u
/** The same, or a closing quote (C4's test: a quoted sentence ends the line). */
export const TERMINAL_OR_QUOTE = /[\p{Sentence_Terminal}"'”’」』]$/u

/**
 * The language rules see: the document's own when it has one; before language identification ran,
 * a script guess (mostly Han -> zh, mostly Latin -> en), so `sluice apply filter` works on fresh input.
 */
export function ruleLanguage (lang: string | null, text: string): { lang: Lang, guessed: boolean } {
  if (lang === 'zh' || lang === 'en') return { lang, guessed: false }
  if (lang !== null) return { lang: 'other', guessed: false }
  const sample = text.length > 4000 ? text.slice(0, 4000) : text
  const han = sample.match(HAN_SCRIPT)?.length ?? 0
  const latin = sample.match(LATIN_SCRIPT)?.length ?? 0
  if (han > 0 && han >= latin * 0.3) return { lang: 'zh', guessed: true }
  return { lang: latin > 0 ? 'en' : 'other', guessed: true }
}

/** Whitespace-separated pieces of a text and the words left after stripping punctuation from their edges. */
export interface Words {
  /** Pieces as `split(/\s+/)` gives them, empty ones left out. */
  raw: number
  /** Pieces with a letter (`\p{L}`). */
  alpha: number
  /** The longest piece, in code units. */
  longestRaw: number
  /** Words: pieces with leading and trailing `[\p{P}\p{S}]` stripped, those of punctuation only left out. */
  spans: Spans
  /** Code units in all words. */
  chars: number
}

/** Character counts of a text (Ziya2's format rules), from one pass. */
export interface CharCounts {
  /** Code points matching `[\p{S}\p{Co}\p{Cn}]`. */
  symbols: number
  /** Code points matching `\p{Nd}`. */
  digits: number
  /** Code units matching `\s`. */
  spaces: number
  /** Code units flagged BROKEN. */
  broken: number
  /** Code units in CJK_BLOCK. */
  han: number
  /** Those, ASCII letters, and other code units matching `\p{L}`. */
  letters: number
}

/** Pieces of a text as [start, end) code-unit offsets: no substring is made until a rule needs one. */
export interface Spans { starts: Int32Array, ends: Int32Array }

/**
 * Collects spans in buffers reused by every scan (growing a JS array by push cost ~30 ns a span,
 * more than the scan), then copies them out at their exact size.
 */
class SpanBuffer {
  starts = new Int32Array(1024)
  ends = new Int32Array(1024)
  count = 0

  /** Starts collecting for a text of `length` code units (a text has at most that many spans). */
  begin (length: number): void {
    if (length > this.starts.length) {
      this.starts = new Int32Array(Math.max(length, this.starts.length * 2))
      this.ends = new Int32Array(this.starts.length)
    }
    this.count = 0
  }

  add (start: number, end: number): void {
    this.starts[this.count] = start
    this.ends[this.count++] = end
  }

  done (): Spans { return { starts: this.starts.slice(0, this.count), ends: this.ends.slice(0, this.count) } }
}

const spanBuffer = new SpanBuffer()

/**
 * One version of a document's text with the measurements rules share, each computed on first use
 * and kept: a rule that removes lines makes a new view, so nothing goes stale.
 */
export class TextView {
  #lines?: string[]
  #nonEmptyLines?: string[]
  #words?: Words
  #tokens?: Spans
  #lower?: string
  #sentences?: number
  #longestLine?: number
  #chars?: CharCounts

  constructor (readonly text: string, readonly lang: Lang) {}

  /** Lines as split on `\n`, blank ones included. */
  get lines (): string[] { return (this.#lines ??= this.text.split('\n')) }

  get nonEmptyLines (): string[] { return (this.#nonEmptyLines ??= this.lines.filter(l => l.trim() !== '')) }

  /** Code units of the longest line. */
  get longestLine (): number { return (this.#longestLine ??= longestLine(this.text)) }

  get chars (): CharCounts { return (this.#chars ??= countChars(this.text)) }

  get words (): Words { return (this.#words ??= scanWords(this.text)) }

  /**
   * Units for n-gram statistics: words, except that every Han character is a unit of its own
   * (Chinese has no spaces; a character is the closest thing to a word without a segmenter).
   */
  get tokens (): Spans { return (this.#tokens ??= this.lang === 'zh' ? scanHanTokens(this.text) : this.words.spans) }

  get lower (): string { return (this.#lower ??= this.text.toLowerCase()) }

  /** Sentences by terminal punctuation; a trailing piece without one counts too. */
  get sentences (): number { return (this.#sentences ??= countSentences(this.text)) }

  /** The length unit of a language: characters (without whitespace) for Chinese, words otherwise. */
  get length (): number { return this.lang === 'zh' ? this.text.length - countWhitespace(this.text) : this.words.spans.starts.length }
}

/** Words and pieces in one pass, with the semantics of `split(/\s+/)` and `/^[\p{P}\p{S}]+|[\p{P}\p{S}]+$/gu`. */
function scanWords (text: string): Words {
  const spans = spanBuffer
  spans.begin(text.length)
  let raw = 0
  let alpha = 0
  let longestRaw = 0
  let chars = 0
  const n = text.length
  let i = 0
  while (i < n) {
    while (i < n && (unitFlags(text.charCodeAt(i)) & SPACE) !== 0) i++
    if (i === n) break
    const start = i
    let letter = false
    for (; i < n; i++) {
      const c = text.charCodeAt(i)
      const unit = unitFlags(c)
      if ((unit & SPACE) !== 0) break
      if (c >= 0xd800 && c <= 0xdbff) {
        if ((flagsAt(text, i) & LETTER) !== 0) letter = true
        i += widthAt(text, i) - 1
      } else if ((unit & LETTER) !== 0) letter = true
    }
    raw++
    if (letter) alpha++
    if (i - start > longestRaw) longestRaw = i - start
    let s = start
    while (s < i && (flagsAt(text, s) & PUNCT_SYMBOL) !== 0) s += widthAt(text, s)
    let e = i
    while (e > s) {
      const w = widthBefore(text, e, s)
      if ((flagsAt(text, e - w) & PUNCT_SYMBOL) === 0) break
      e -= w
    }
    if (e > s) {
      spans.add(s, e)
      chars += e - s
    }
  }
  return { raw, alpha, longestRaw, spans: spans.done(), chars }
}

function countChars (text: string): CharCounts {
  // branch-free sums of flag bits in locals: a branch per class was most of the time
  let symbols = 0
  let digits = 0
  let spaces = 0
  let broken = 0
  let han = 0
  let letters = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    let f = unitFlags(c)
    spaces += f & SPACE
    broken += (f & BROKEN) >> 6
    han += (f & CJK_BLOCK) >> 7
    letters += ((f & CJK_BLOCK) >> 7) | ((f & LETTER) >> 3)
    // symbols and digits by code point: a surrogate pair is one character, classified as a whole
    // (its halves are none of the unit classes above)
    if (c >= 0xd800 && c <= 0xdbff) {
      f = flagsAt(text, i)
      i += widthAt(text, i) - 1
    }
    symbols += (f & SYMBOL) >> 4
    digits += (f & DIGIT) >> 5
  }
  return { symbols, digits, spaces, broken, han, letters }
}

/** Every Han character, and every run of characters that are neither Han, whitespace nor punctuation/symbol. */
function scanHanTokens (text: string): Spans {
  const spans = spanBuffer
  spans.begin(text.length)
  const n = text.length
  let run = -1
  for (let i = 0; i < n;) {
    const c = text.charCodeAt(i)
    const surrogate = c >= 0xd800 && c <= 0xdbff
    const f = surrogate ? flagsAt(text, i) : unitFlags(c)
    const w = surrogate ? widthAt(text, i) : 1
    if ((f & (HAN | SPACE | PUNCT_SYMBOL)) === 0) {
      if (run < 0) run = i
    } else {
      if (run >= 0) { spans.add(run, i); run = -1 }
      if ((f & HAN) !== 0) spans.add(i, i + w)
    }
    i += w
  }
  if (run >= 0) spans.add(run, n)
  return spans.done()
}

function longestLine (text: string): number {
  let longest = 0
  for (let start = 0; start <= text.length;) {
    let end = text.indexOf('\n', start)
    if (end < 0) end = text.length
    if (end - start > longest) longest = end - start
    start = end + 1
  }
  return longest
}

export function countSentences (text: string): number {
  let n = 0
  let last = 0
  for (const m of text.matchAll(SENTENCE_END)) {
    if (text.slice(last, m.index).trim() !== '') n++
    last = m.index + m[0].length
  }
  return text.slice(last).trim() === '' ? n : n + 1
}

/** Splits text into sentences, each keeping its terminator, so joining them gives the text back. */
export function splitSentences (text: string): string[] {
  const out: string[] = []
  let last = 0
  for (const m of text.matchAll(SENTENCE_END)) {
    const end = m.index + m[0].length
    out.push(text.slice(last, end))
    last = end
  }
  if (last < text.length) out.push(text.slice(last))
  return out
}

function countWhitespace (text: string): number {
  let n = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 32 || c === 10 || c === 9 || c === 13 || c === 0x3000 || c === 0xa0) n++
  }
  return n
}
