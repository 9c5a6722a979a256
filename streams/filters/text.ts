/** The languages rules are written for; a document of any other language (or none) counts as `other`. */
export const LANGS = ['zh', 'en', 'other'] as const
export type Lang = typeof LANGS[number]

const HAN = /\p{Script=Han}/gu
const LATIN = /\p{Script=Latin}/gu
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
  const han = sample.match(HAN)?.length ?? 0
  const latin = sample.match(LATIN)?.length ?? 0
  if (han > 0 && han >= latin * 0.3) return { lang: 'zh', guessed: true }
  return { lang: latin > 0 ? 'en' : 'other', guessed: true }
}

const WORD_EDGE = /^[\p{P}\p{S}]+|[\p{P}\p{S}]+$/gu
const TOKEN = /\p{Script=Han}|[^\s\p{Script=Han}\p{P}\p{S}]+/gu

/**
 * One version of a document's text with the measurements rules share, each computed on first use
 * and kept: a rule that removes lines makes a new view, so nothing goes stale.
 */
export class TextView {
  #lines?: string[]
  #nonEmptyLines?: string[]
  #rawWords?: string[]
  #words?: string[]
  #tokens?: string[]
  #lower?: string
  #sentences?: number

  constructor (readonly text: string, readonly lang: Lang) {}

  /** Lines as split on `\n`, blank ones included. */
  get lines (): string[] { return (this.#lines ??= this.text.split('\n')) }

  get nonEmptyLines (): string[] { return (this.#nonEmptyLines ??= this.lines.filter(l => l.trim() !== '')) }

  /** Whitespace-separated pieces as they are (punctuation attached). */
  get rawWords (): string[] { return (this.#rawWords ??= this.text.split(/\s+/).filter(w => w !== '')) }

  /** Words with leading and trailing punctuation stripped; pieces of punctuation only are left out. */
  get words (): string[] {
    return (this.#words ??= this.rawWords.map(w => w.replace(WORD_EDGE, '')).filter(w => w !== ''))
  }

  /**
   * Units for n-gram statistics: words, except that every Han character is a unit of its own
   * (Chinese has no spaces; a character is the closest thing to a word without a segmenter).
   */
  get tokens (): string[] {
    return (this.#tokens ??= this.lang === 'zh' ? (this.text.match(TOKEN) ?? []) : this.words)
  }

  get lower (): string { return (this.#lower ??= this.text.toLowerCase()) }

  /** Sentences by terminal punctuation; a trailing piece without one counts too. */
  get sentences (): number { return (this.#sentences ??= countSentences(this.text)) }

  /** The length unit of a language: characters (without whitespace) for Chinese, words otherwise. */
  get length (): number { return this.lang === 'zh' ? this.text.length - countWhitespace(this.text) : this.words.length }
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
