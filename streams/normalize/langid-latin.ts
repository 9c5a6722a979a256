import fs from 'node:fs'

/**
 * Stop-word hits in the first words of a Latin-script text: English against the best other language. A word on k
 * lists counts 1/k for each ("in" is English, German, Dutch, Italian and Slovene), so shared words decide little.
 */
export interface LatinEvidence {
  words: number
  en: number
  other: number
  otherLang: string
}

/** Enough words to decide; bounds the cost on long documents. */
const MAX_WORDS = 2000
const WORD = /[a-z\u00c0-\u024f\u1e00-\u1eff]+/g

interface Lexicon { langs: string[], wordLangs: Map<string, number> }
let lexicon: Lexicon | undefined

/** Each word maps to a bit set of the languages whose list holds it (fewer than 32 languages). */
function load (): Lexicon {
  if (lexicon !== undefined) return lexicon
  const langs: string[] = []
  const wordLangs = new Map<string, number>()
  for (const line of fs.readFileSync(new URL('./data/stopwords.txt', import.meta.url), 'utf8').split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const [lang, ...words] = line.split(' ')
    const bit = 1 << langs.length
    langs.push(lang as string)
    for (const w of words) wordLangs.set(w, (wordLangs.get(w) ?? 0) | bit)
  }
  lexicon = { langs, wordLangs }
  return lexicon
}

export function latinEvidence (text: string): LatinEvidence {
  const { langs, wordLangs } = load()
  const hits = new Array<number>(langs.length).fill(0)
  const weight = [0, 1, 1 / 2, 1 / 3, 1 / 4, 1 / 5, 1 / 6, 1 / 7, 1 / 8]
  let words = 0
  // lower-case a window, not the whole document: a megabyte page is decided by its first few thousand words
  for (const m of text.slice(0, MAX_WORDS * 8).toLowerCase().matchAll(WORD)) {
    if (++words === MAX_WORDS) break
    let bits = wordLangs.get(m[0]) ?? 0
    if (bits === 0) continue
    const w = weight[popcount(bits)] ?? 0.1
    for (let i = 0; bits !== 0; i++, bits >>>= 1) if ((bits & 1) === 1) hits[i]! += w
  }
  const en = langs.indexOf('en')
  let best = -1
  for (let i = 0; i < langs.length; i++) if (i !== en && (best < 0 || hits[i]! > hits[best]!)) best = i
  return { words, en: hits[en] ?? 0, other: hits[best] ?? 0, otherLang: langs[best] ?? '' }
}

function popcount (bits: number): number {
  let n = 0
  for (; bits !== 0; bits &= bits - 1) n++
  return n
}
