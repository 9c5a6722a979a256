import { z } from 'zod'
import { count, defineRule, perLang, ratio, removeSentences, removeUnits, share, type RuleSpec } from './rule.ts'
import { LANGS, type TextView } from './text.ts'
import { matchers } from './wordlists.ts'

// Ziya2 RF, length and format: the document-level rules that run first (coarse to fine).

// markup and script that survived extraction: tags, entities, JavaScript idioms
const HTML_REMNANT = /<\/?[a-z][a-z0-9]*(?:\s[^<>]{0,200})?\/?>|&(?:nbsp|amp|lt|gt|quot|apos|ldquo|rdquo|mdash|hellip|#\d{2,6}|#x[0-9a-f]{2,5});|\bfunction\s*\([^)]{0,80}\)\s*\{|\bdocument\.(?:write|getElementById)|\bvar\s+\w+\s*=/gi

const matchCount = (text: string, re: RegExp): number => text.match(re)?.length ?? 0
const nonSpace = (view: TextView): number => view.text.length - view.chars.spaces

export const ZIYA2_FORMAT_RULES: RuleSpec[] = [
  defineRule({
    name: 'ziya2_min_length',
    set: 'ziya2',
    level: 'document',
    languages: LANGS,
    describe: 'length (zh: characters without whitespace; en/other: words); drops below `min`',
    options: z.strictObject({ min: perLang(count, { zh: 50, en: 30, other: 30 }) }),
    build: o => view => { const n = view.length; return { value: n, drop: n < o.min[view.lang] } }
  }),
  defineRule({
    name: 'ziya2_max_length',
    set: 'ziya2',
    level: 'document',
    languages: LANGS,
    describe: 'length as above; drops above `max` (dumps, concatenated pages)',
    options: z.strictObject({ max: perLang(count, { zh: 500_000, en: 100_000, other: 100_000 }) }),
    build: o => view => { const n = view.length; return { value: n, drop: n > o.max[view.lang] } }
  }),
  defineRule({
    name: 'ziya2_broken_chars',
    set: 'ziya2',
    level: 'document',
    languages: LANGS,
    describe: 'share of replacement and control characters (mis-decoded text); drops above `max`',
    options: z.strictObject({ max: share.default(0.005) }),
    build: o => view => { const r = ratio(view.chars.broken, view.text.length); return { value: r, drop: r > o.max } }
  }),
  defineRule({
    name: 'ziya2_symbol_ratio',
    set: 'ziya2',
    level: 'document',
    languages: LANGS,
    describe: 'share of symbol, private-use and unassigned characters among non-space characters; drops above `max`',
    options: z.strictObject({ max: share.default(0.1) }),
    build: o => view => { const r = ratio(view.chars.symbols, nonSpace(view)); return { value: r, drop: r > o.max } }
  }),
  defineRule({
    name: 'ziya2_digit_ratio',
    set: 'ziya2',
    level: 'document',
    languages: LANGS,
    describe: 'share of digits among non-space characters (tables, listings); drops above `max`',
    options: z.strictObject({ max: share.default(0.3) }),
    build: o => view => { const r = ratio(view.chars.digits, nonSpace(view)); return { value: r, drop: r > o.max } }
  }),
  defineRule({
    name: 'ziya2_html_remnants',
    set: 'ziya2',
    level: 'document',
    languages: LANGS,
    describe: 'tags, entities and script idioms per 1,000 characters (the "web function word" rate); drops above `max`',
    options: z.strictObject({ max: z.number().min(0).default(2) }),
    build: o => view => { const r = ratio(matchCount(view.text, HTML_REMNANT) * 1000, view.text.length); return { value: r, drop: r > o.max } }
  }),
  defineRule({
    name: 'ziya2_han_ratio',
    set: 'ziya2',
    level: 'document',
    languages: ['zh'],
    describe: 'share of Han characters among letters of a Chinese document; drops below `min` (mislabelled or mostly code/English)',
    options: z.strictObject({ min: share.default(0.3) }),
    build: o => view => { const r = ratio(view.chars.han, view.chars.letters); return { value: r, drop: r < o.min } }
  }),
  defineRule({
    name: 'ziya2_boilerplate_lines',
    set: 'ziya2',
    level: 'paragraph',
    languages: LANGS,
    describe: 'lines removed: short lines (at most `maxLineChars`) with navigation, sharing or copyright phrases',
    options: z.strictObject({ maxLineChars: perLang(count, { zh: 40, en: 120, other: 120 }) }),
    build: o => {
      const lists = matchers('boilerplate')
      return view => {
        const m = lists(view.lang)
        if (m.inView(view).hits === 0) return { value: 0, drop: false }
        const max = o.maxLineChars[view.lang]
        return removeUnits(view.lines, line => line.length <= max && m.inText(line).hits > 0, '\n')
      }
    }
  }),
  defineRule({
    name: 'ziya2_long_sentences',
    set: 'ziya2',
    level: 'sentence',
    languages: LANGS,
    describe: 'sentences removed: longer than `maxChars` without terminal punctuation (keyword stuffing, run-on lists)',
    options: z.strictObject({ maxChars: perLang(count.positive(), { zh: 500, en: 2000, other: 2000 }) }),
    build: o => view => {
      const max = o.maxChars[view.lang]
      // a sentence is part of a line: without a line that long there is nothing to split
      return view.longestLine <= max ? { value: 0, drop: false } : removeSentences(view, s => s.length > max)
    }
  })
]
