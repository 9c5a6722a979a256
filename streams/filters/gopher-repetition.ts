import { z } from 'zod'
import { DUP_WORDS, ngramStats, TOP_WORDS } from './ngrams.ts'
import { defineRule, ratio, share, type RuleSpec } from './rule.ts'
import { LANGS, type TextView } from './text.ts'

// Gopher repetition (Rae et al. 2021, table A1), thresholds from the paper (datatrove's defaults).
// Lines and paragraphs are language-neutral; n-grams are over words, or over single Han characters
// for Chinese (see TextView.tokens).

/** Elements seen before, and their characters. */
function duplicates (items: readonly string[]): { elements: number, chars: number } {
  const seen = new Set<string>()
  let elements = 0
  let chars = 0
  for (const x of items) {
    if (seen.has(x)) { elements++; chars += x.length } else seen.add(x)
  }
  return { elements, chars }
}

const paragraphs = new WeakMap<TextView, { count: number, dup: ReturnType<typeof duplicates> }>()
const lines = new WeakMap<TextView, { count: number, dup: ReturnType<typeof duplicates> }>()

function unitStats (cache: typeof lines, view: TextView, split: (text: string) => string[]) {
  let s = cache.get(view)
  if (s === undefined) {
    const units = split(view.text)
    cache.set(view, s = { count: units.length, dup: duplicates(units) })
  }
  return s
}
// Without a blank line the text is one paragraph and its lines are the view's (no regex split needed).
const paraStats = (view: TextView) => unitStats(paragraphs, view, t => t.includes('\n\n') ? t.trim().split(/\n{2,}/) : [t])
const lineStats = (view: TextView) => unitStats(lines, view, t => t.includes('\n\n') ? t.split(/\n+/) : view.lines)

function fractionRule (name: string, what: string, max: number, measure: (view: TextView) => number): RuleSpec {
  return defineRule({
    name,
    set: 'gopher',
    level: 'document',
    languages: LANGS,
    describe: `${what}; drops above \`max\``,
    options: z.strictObject({ max: share.default(max) }),
    build: o => view => { const r = measure(view); return { value: r, drop: r > o.max } }
  })
}

const TOP_MAX = [0.2, 0.18, 0.16] as const
const DUP_MAX = [0.15, 0.14, 0.13, 0.12, 0.11, 0.1] as const

export const GOPHER_REPETITION_RULES: RuleSpec[] = [
  fractionRule('gopher_dup_para_frac', 'share of paragraphs (split on blank lines) that repeat an earlier one', 0.3,
    v => { const s = paraStats(v); return ratio(s.dup.elements, s.count) }),
  fractionRule('gopher_dup_para_char_frac', 'characters in repeated paragraphs / all characters', 0.2,
    v => ratio(paraStats(v).dup.chars, v.text.length)),
  fractionRule('gopher_dup_line_frac', 'share of lines that repeat an earlier one', 0.3,
    v => { const s = lineStats(v); return ratio(s.dup.elements, s.count) }),
  fractionRule('gopher_dup_line_char_frac', 'characters in repeated lines / all characters', 0.2,
    v => ratio(lineStats(v).dup.chars, v.text.length)),
  ...TOP_WORDS.map((n, i) => fractionRule(`gopher_top_${n}gram`, `characters of the most frequent word ${n}-gram times its count / all characters`, TOP_MAX[i]!,
    v => ratio(ngramStats(v).top[n]!, v.text.length))),
  ...DUP_WORDS.map((n, i) => fractionRule(`gopher_dup_${n}gram`, `characters in repeated word ${n}-grams (each character once) / all characters`, DUP_MAX[i]!,
    v => ratio(ngramStats(v).dup[n]!, v.text.length)))
]
