import { z } from 'zod'
import { count, defineRule, removeUnits, type RuleSpec } from './rule.ts'
import { LANGS, TERMINAL_OR_QUOTE, type Lang, type TextView } from './text.ts'
import { matcher } from './wordlists.ts'
import { SPACE, unitFlags } from './charclass.ts'

// C4 (Raffel et al. 2020, section 2.2) as in the TensorFlow reference code and datatrove: lines are
// removed first, then a document without enough sentences left is dropped. The rules run in the
// reference's order, so a document-level check sees only the lines that survived the ones before.
// The punctuation and sentence rules assume one English paragraph per line; Chinese text is judged
// by FineWeb's line-punctuation share and the Ziya2 rules instead.

const CITATION = /\[\d*\]|\[edit\]|\[citation needed\]/g
const POLICY: Record<Lang, readonly string[]> = {
  en: ['terms of use', 'privacy policy', 'cookie policy', 'uses cookies', 'use of cookies', 'use cookies'],
  other: ['terms of use', 'privacy policy', 'cookie policy', 'uses cookies', 'use of cookies', 'use cookies'],
  zh: ['隐私政策', '隐私条款', '使用条款', '服务条款', 'cookie']
}
const SPACED = ['en', 'other'] as const

/** `mentions`, when given, are phrases one of which a removed line has: a text without any keeps all its lines. */
function lineRule (name: string, languages: readonly Lang[], describe: string, remove: (line: string, view: TextView) => boolean,
  mentions?: (view: TextView) => readonly string[]): RuleSpec {
  return defineRule({
    name,
    set: 'c4',
    level: 'paragraph',
    languages,
    describe: `lines removed: ${describe}`,
    options: z.strictObject({}),
    build: () => view => mentions !== undefined && !mentions(view).some(p => view.lower.includes(p))
      ? { value: 0, drop: false }
      : removeUnits(view.lines, line => remove(line, view), '\n')
  })
}

/** Whether a line has fewer than `min` whitespace-separated words (counting stops at `min`). */
function fewerWords (line: string, min: number): boolean {
  let words = 0
  let inWord = false
  for (let i = 0; i < line.length && words < min; i++) {
    const space = (unitFlags(line.charCodeAt(i)) & SPACE) !== 0
    if (!space && !inWord) words++
    inWord = !space
  }
  return words < min
}

function containsRule (name: string, needle: string, describe: string): RuleSpec {
  return defineRule({
    name,
    set: 'c4',
    level: 'document',
    languages: LANGS,
    describe,
    options: z.strictObject({}),
    build: () => view => { const n = view.lower.includes(needle) ? 1 : 0; return { value: n, drop: n > 0 } }
  })
}

export const C4_RULES: RuleSpec[] = [
  defineRule({
    name: 'c4_long_word_lines',
    set: 'c4',
    level: 'paragraph',
    languages: SPACED,
    describe: 'lines removed: with a word longer than `maxWordChars`',
    options: z.strictObject({ maxWordChars: count.positive().default(1000) }),
    build: o => view => view.words.longestRaw <= o.maxWordChars
      ? { value: 0, drop: false }
      : removeUnits(view.lines, line => line.split(/\s+/).some(w => w.length > o.maxWordChars), '\n')
  }),
  defineRule({
    name: 'c4_citations',
    set: 'c4',
    level: 'sentence',
    languages: LANGS,
    describe: 'citation marks removed ([1], [edit], [citation needed]); never drops',
    options: z.strictObject({}),
    build: () => view => {
      const n = view.text.includes('[') ? view.text.match(CITATION)?.length ?? 0 : 0
      return n === 0 ? { value: 0, drop: false } : { value: n, drop: false, text: view.text.replace(CITATION, '') }
    }
  }),
  lineRule('c4_terminal_punct_lines', SPACED, 'not ending in terminal punctuation, or ending in an ellipsis',
    line => { const t = line.trimEnd(); return !TERMINAL_OR_QUOTE.test(t) || t.endsWith('...') }),
  defineRule({
    name: 'c4_min_words_lines',
    set: 'c4',
    level: 'paragraph',
    languages: SPACED,
    describe: 'lines removed: fewer than `min` words',
    options: z.strictObject({ min: count.default(3) }),
    build: o => view => removeUnits(view.lines, line => fewerWords(line, o.min), '\n')
  }),
  containsRule('c4_lorem_ipsum', 'lorem ipsum', 'placeholder text: 1 when "lorem ipsum" appears, and the document drops'),
  lineRule('c4_javascript_lines', LANGS, 'mentioning "javascript" (enable-JavaScript notices)', line => line.toLowerCase().includes('javascript'),
    () => ['javascript']),
  containsRule('c4_curly_bracket', '{', 'code: 1 when a "{" appears, and the document drops'),
  lineRule('c4_policy_lines', LANGS, 'privacy, cookie and terms-of-use notices',
    (line, view) => { const l = line.toLowerCase(); return POLICY[view.lang].some(p => l.includes(p)) }, view => POLICY[view.lang]),
  defineRule({
    name: 'c4_min_sentences',
    set: 'c4',
    level: 'document',
    languages: SPACED,
    describe: 'sentences left after the line rules; drops below `min`',
    options: z.strictObject({ min: count.default(5) }),
    build: o => view => { const n = view.sentences; return { value: n, drop: n < o.min } }
  }),
  defineRule({
    name: 'c4_bad_words',
    set: 'c4',
    level: 'document',
    languages: ['en'],
    describe: 'words from the LDNOOBW English list (`en-explicit.txt`); drops above `max` (C4: any)',
    options: z.strictObject({ max: count.default(0) }),
    build: o => {
      const m = matcher('explicit', 'en')
      return view => { const n = m.inView(view).hits; return { value: n, drop: n > o.max } }
    }
  })
]
