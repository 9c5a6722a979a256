import { z } from 'zod'
import { count, defineRule, perLang, ratio, share, type RuleSpec } from './rule.ts'
import { LANGS, TERMINAL_PUNCT } from './text.ts'

// FineWeb's own quality rules (Penedo et al. 2024), thresholds as in datatrove's FineWebQualityFilter.
// A short line for Chinese is counted in characters, so it gets a shorter limit than English.

function nonEmptyDuplicateChars (lines: readonly string[]): number {
  const seen = new Set<string>()
  let chars = 0
  for (const l of lines) if (seen.has(l)) chars += l.length; else seen.add(l)
  return chars
}

export const FINEWEB_RULES: RuleSpec[] = [
  defineRule({
    name: 'fineweb_line_punct',
    set: 'fineweb',
    level: 'document',
    languages: LANGS,
    describe: 'share of non-empty lines ending in terminal punctuation; drops below `min`',
    options: z.strictObject({ min: share.default(0.12) }),
    build: o => view => {
      const lines = view.nonEmptyLines
      const r = ratio(lines.filter(l => TERMINAL_PUNCT.test(l.trimEnd())).length, lines.length)
      return { value: r, drop: r < o.min }
    }
  }),
  defineRule({
    name: 'fineweb_short_lines',
    set: 'fineweb',
    level: 'document',
    languages: LANGS,
    describe: 'share of non-empty lines of at most `maxChars` characters; drops above `max`',
    options: z.strictObject({ max: share.default(0.67), maxChars: perLang(count, { zh: 10, en: 30, other: 30 }) }),
    build: o => view => {
      const lines = view.nonEmptyLines
      const limit = o.maxChars[view.lang]
      const r = ratio(lines.filter(l => l.length <= limit).length, lines.length)
      return { value: r, drop: r > o.max }
    }
  }),
  defineRule({
    name: 'fineweb_dup_line_chars',
    set: 'fineweb',
    level: 'document',
    languages: LANGS,
    describe: 'characters in repeated non-empty lines / characters without newlines; drops above `max`',
    options: z.strictObject({ max: share.default(0.01) }),
    build: o => view => {
      const newlines = view.lines.length - 1
      const r = ratio(nonEmptyDuplicateChars(view.nonEmptyLines), view.text.length - newlines)
      return { value: r, drop: r > o.max }
    }
  }),
  defineRule({
    name: 'fineweb_list_ratio',
    set: 'fineweb',
    level: 'document',
    languages: LANGS,
    describe: 'newlines per word (per Han character for zh): list-like pages; drops above `max`',
    options: z.strictObject({ max: z.number().min(0).default(0.3) }),
    build: o => view => { const r = ratio(view.lines.length - 1, view.tokens.starts.length); return { value: r, drop: r > o.max } }
  })
]
