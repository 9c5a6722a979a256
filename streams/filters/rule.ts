import { z } from 'zod'
import { splitSentences, type Lang, type TextView } from './text.ts'

export const RULE_SETS = ['ziya2', 'gopher', 'c4', 'fineweb'] as const
export type RuleSetName = typeof RULE_SETS[number]

/** Coarse to fine: a whole document, its lines, its sentences. */
export type RuleLevel = 'document' | 'paragraph' | 'sentence'

/**
 * What a rule found in one document. `value` is the measurement (always recorded as a signal);
 * `text` is the document without the lines or sentences a paragraph/sentence rule removed.
 */
export interface Outcome {
  value: number
  drop: boolean
  text?: string
}

/** A compiled check: thresholds and word lists already bound. */
export type Check = (view: TextView) => Outcome

/** A named rule as written: thresholds as a zod schema with defaults, and how to build its check. */
export interface RuleSpec<S extends z.ZodType = z.ZodType> {
  name: string
  set: RuleSetName
  level: RuleLevel
  languages: readonly Lang[]
  /** What the value is and when the rule drops, for the README table and `--help`. */
  describe: string
  options: S
  build: (options: z.output<S>) => Check
}

/** Keeps the generic tie between a spec's schema and its `build` at the definition site. */
export function defineRule<S extends z.ZodType> (spec: RuleSpec<S>): RuleSpec {
  return spec as unknown as RuleSpec
}

/** Signals are kept to 4 decimals: enough to sort and threshold, small in the lake. */
export const round = (x: number): number => Number.isFinite(x) ? Math.round(x * 1e4) / 1e4 : 0

/** A ratio that is 0, not NaN, for an empty denominator. */
export const ratio = (part: number, whole: number): number => whole === 0 ? 0 : part / whole

/**
 * The outcome of removing units (lines or sentences) that `remove` picks: the value is how many
 * went, and the document drops when nothing with content is left.
 */
export function removeUnits (units: string[], remove: (unit: string) => boolean, separator: string): Outcome {
  const kept: string[] = []
  let removed = 0
  for (const u of units) {
    if (u.trim() !== '' && remove(u)) removed++
    else kept.push(u)
  }
  if (removed === 0) return { value: 0, drop: false }
  const text = kept.join(separator)
  return { value: removed, drop: text.trim() === '', text }
}

/** A threshold that differs by language (characters for Chinese, words for the others). */
export function perLang (value: z.ZodNumber, defaults: Record<Lang, number>) {
  return z.strictObject({ zh: value.default(defaults.zh), en: value.default(defaults.en), other: value.default(defaults.other) }).prefault({})
}

export const share = z.number().min(0).max(1)
export const count = z.number().int().min(0)

/**
 * Removes the sentences `remove` picks, line by line: line breaks stay where they were, and a line
 * left empty goes (blank lines that were there stay, they separate paragraphs).
 */
export function removeSentences (view: TextView, remove: (sentence: string) => boolean): Outcome {
  let removed = 0
  const lines: string[] = []
  for (const line of view.lines) {
    const r = removeUnits(splitSentences(line), remove, '')
    removed += r.value
    if (r.text === undefined) lines.push(line)
    else if (r.text.trim() !== '') lines.push(r.text)
  }
  if (removed === 0) return { value: 0, drop: false }
  const text = lines.join('\n')
  return { value: removed, drop: text.trim() === '', text }
}
