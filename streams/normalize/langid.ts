import { countScripts } from './langid-script.ts'
import { latinEvidence } from './langid-latin.ts'

export type Lang = 'zh' | 'en' | 'other'

export interface LangId {
  lang: Lang
  /** In [0, 1]: the winning script's share of the text, less for short texts and weak word evidence. */
  confidence: number
  signals: Record<string, number | string>
}

/**
 * A CJK character carries about as much text as three Latin letters (a Chinese word is 1.5–2 characters, an
 * English word about 5 letters; it is also its UTF-8 size), so mixed documents are weighed in these units.
 */
const CJK_WEIGHT = 3
/** Units (10 Han characters, 30 letters) below which confidence is scaled down. */
const SURE_UNITS = 30
/** Japanese writes kana in nearly every sentence; Chinese pages borrow a stray の at most. */
const KANA_IN_JAPANESE = 0.1
/** Share of Latin letters outside ASCII above which text is not English (English has proper names at most). */
const MAX_ENGLISH_ACCENTS = 0.03
/** English prose has 20–50% English function words (weighted as in langid-latin.ts), other languages under 7%. */
const MIN_ENGLISH_STOPWORDS = 0.08
const MIN_WORDS_FOR_RATIO = 8

/**
 * Chinese, English or other, from script statistics and, for Latin script, English against 22 other languages'
 * function words. Stateless; O(length) with the word check bounded to the first 2,000 words.
 * @example identifyLanguage('今天天气很好').lang // 'zh'
 */
export function identifyLanguage (text: string): LangId {
  const s = countScripts(text)
  const letters = s.han + s.kana + s.hangul + s.latin + s.otherLetters
  const signals: Record<string, number | string> = {
    langid_letters: letters,
    langid_zh_ratio: ratio(s.han, letters),
    langid_latin_ratio: ratio(s.latin, letters),
    langid_kana_ratio: ratio(s.kana, letters),
    langid_hangul_ratio: ratio(s.hangul, letters),
    langid_other_script_ratio: ratio(s.otherLetters, letters)
  }
  if (letters === 0) return { lang: 'other', confidence: 0, signals }

  const japanese = s.kana > KANA_IN_JAPANESE * (s.han + s.kana)
  const zh = japanese ? 0 : s.han * CJK_WEIGHT
  const latin = s.latin
  const total = (s.han + s.kana + s.hangul) * CJK_WEIGHT + s.latin + s.otherLetters
  const rest = total - zh - latin
  const sure = Math.min(1, total / SURE_UNITS)
  // a mixed document goes to its largest part, with that part's share as confidence
  if (zh >= latin && zh >= rest) return { lang: 'zh', confidence: round(zh / total * sure), signals }
  if (rest > latin) return { lang: 'other', confidence: round(rest / total * sure), signals }

  const ev = latinEvidence(text)
  const accented = s.latinAccented / s.latin
  signals.langid_words = ev.words
  signals.langid_en_stopword_ratio = ratio(ev.en, ev.words)
  signals.langid_other_stopword_ratio = ratio(ev.other, ev.words)
  if (ev.other > 0) signals.langid_other_stopword_lang = ev.otherLang
  signals.langid_accented_ratio = round(accented)
  const english = accented <= MAX_ENGLISH_ACCENTS && ev.en >= ev.other &&
    (ev.words < MIN_WORDS_FOR_RATIO || ev.en >= MIN_ENGLISH_STOPWORDS * ev.words)
  const evidence = ev.en + ev.other === 0 ? 0.5 : (english ? ev.en : ev.other) / (ev.en + ev.other)
  return { lang: english ? 'en' : 'other', confidence: round(latin / total * sure * evidence), signals }
}

function ratio (n: number, of: number): number {
  return of === 0 ? 0 : round(n / of)
}

function round (x: number): number {
  return Math.round(x * 1000) / 1000
}
