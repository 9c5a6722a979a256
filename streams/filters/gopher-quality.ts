import { z } from 'zod'
import { count, defineRule, ratio, share, type RuleSpec } from './rule.ts'
import { LANGS, type TextView } from './text.ts'
import { readList } from './wordlists.ts'

// Gopher quality (Rae et al. 2021, appendix A1), thresholds as in the paper and datatrove. Word
// rules need spaces between words, so they run for en and other; the symbol and line rules use the
// language's length unit and run for zh as well.

const occurrences = (text: string, needle: string): number => {
  let n = 0
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length)) n++
  return n
}
const BULLET = /^\s*[•\-*·●▪◦‣]/
const ELLIPSIS_END = /(?:\.\.\.|…)\s*$/
const SPACED = ['en', 'other'] as const

const lineShare = (view: TextView, test: RegExp): number => ratio(view.lines.filter(l => test.test(l)).length, view.lines.length)

export const GOPHER_QUALITY_RULES: RuleSpec[] = [
  defineRule({
    name: 'gopher_word_count',
    set: 'gopher',
    level: 'document',
    languages: SPACED,
    describe: 'words (punctuation-only pieces left out); drops outside [`min`, `max`]',
    options: z.strictObject({ min: count.default(50), max: count.default(100_000) }).refine(o => o.min <= o.max, { message: 'min must not exceed max', path: ['min'] }),
    build: o => view => { const n = view.length; return { value: n, drop: n < o.min || n > o.max } }
  }),
  defineRule({
    name: 'gopher_mean_word_length',
    set: 'gopher',
    level: 'document',
    languages: SPACED,
    describe: 'mean word length in characters; drops outside [`min`, `max`]',
    options: z.strictObject({ min: z.number().min(0).default(3), max: z.number().min(0).default(10) }).refine(o => o.min <= o.max, { message: 'min must not exceed max', path: ['min'] }),
    build: o => view => {
      const mean = ratio(view.words.chars, view.length)
      return { value: mean, drop: mean < o.min || mean > o.max }
    }
  }),
  defineRule({
    name: 'gopher_hash_ratio',
    set: 'gopher',
    level: 'document',
    languages: LANGS,
    describe: '"#" per length unit (hashtag and heading spam); drops above `max`',
    options: z.strictObject({ max: z.number().min(0).default(0.1) }),
    build: o => view => { const r = ratio(occurrences(view.text, '#'), view.length); return { value: r, drop: r > o.max } }
  }),
  defineRule({
    name: 'gopher_ellipsis_ratio',
    set: 'gopher',
    level: 'document',
    languages: LANGS,
    describe: '"..." and "…" per length unit (truncated teasers); drops above `max`',
    options: z.strictObject({ max: z.number().min(0).default(0.1) }),
    build: o => view => {
      const r = ratio(occurrences(view.text, '...') + occurrences(view.text, '…'), view.length)
      return { value: r, drop: r > o.max }
    }
  }),
  defineRule({
    name: 'gopher_bullet_lines',
    set: 'gopher',
    level: 'document',
    languages: LANGS,
    describe: 'share of lines starting with a bullet; drops above `max`',
    options: z.strictObject({ max: share.default(0.9) }),
    build: o => view => { const r = lineShare(view, BULLET); return { value: r, drop: r > o.max } }
  }),
  defineRule({
    name: 'gopher_ellipsis_lines',
    set: 'gopher',
    level: 'document',
    languages: LANGS,
    describe: 'share of lines ending in an ellipsis; drops above `max`',
    options: z.strictObject({ max: share.default(0.3) }),
    build: o => view => { const r = lineShare(view, ELLIPSIS_END); return { value: r, drop: r > o.max } }
  }),
  defineRule({
    name: 'gopher_alpha_words',
    set: 'gopher',
    level: 'document',
    languages: SPACED,
    describe: 'share of whitespace-separated words with a letter; drops below `min`',
    options: z.strictObject({ min: share.default(0.8) }),
    build: o => view => {
      const r = ratio(view.words.alpha, view.words.raw)
      return { value: r, drop: r < o.min }
    }
  }),
  defineRule({
    name: 'gopher_stopwords',
    set: 'gopher',
    level: 'document',
    languages: ['en'],
    describe: 'distinct stop words present (the, be, to, of, and, that, have, with); drops below `min`',
    options: z.strictObject({ min: count.default(2) }),
    build: o => {
      const stop = new Set(readList('en-stopwords.txt'))
      return view => {
        const found = new Set<string>()
        const { starts, ends } = view.words.spans
        for (let i = 0; i < starts.length && found.size < stop.size; i++) {
          if (ends[i]! - starts[i]! > 4) continue
          const w = view.text.slice(starts[i], ends[i]).toLowerCase()
          if (stop.has(w)) found.add(w)
        }
        return { value: found.size, drop: found.size < o.min }
      }
    }
  })
]
