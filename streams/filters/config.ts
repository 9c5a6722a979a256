import { z } from 'zod'
import { describeIssues } from '../../schemas/parse-config.ts'
import { SluiceError } from '../../schemas/errors.ts'
import { C4_RULES } from './c4.ts'
import { FINEWEB_RULES } from './fineweb.ts'
import { GOPHER_QUALITY_RULES } from './gopher-quality.ts'
import { GOPHER_REPETITION_RULES } from './gopher-repetition.ts'
import { piiConfigSchema, type PiiConfig } from './pii.ts'
import { RULE_SETS, type Check, type RuleLevel, type RuleSpec } from './rule.ts'
import { LANGS, type Lang } from './text.ts'
import { ZIYA2_CONTENT_RULES } from './ziya2-content.ts'
import { ZIYA2_FORMAT_RULES } from './ziya2-format.ts'

/**
 * Every rule in evaluation order: Ziya2 coarse to fine (document, then lines, then sentences),
 * then Gopher, C4 and FineWeb in the order FineWeb's pipeline runs them.
 */
export const RULES: readonly RuleSpec[] = [
  ...ZIYA2_FORMAT_RULES.filter(r => r.level === 'document'),
  ...ZIYA2_CONTENT_RULES.filter(r => r.level === 'document'),
  ...[...ZIYA2_FORMAT_RULES, ...ZIYA2_CONTENT_RULES].filter(r => r.level === 'paragraph'),
  ...[...ZIYA2_FORMAT_RULES, ...ZIYA2_CONTENT_RULES].filter(r => r.level === 'sentence'),
  ...GOPHER_REPETITION_RULES,
  ...GOPHER_QUALITY_RULES,
  ...C4_RULES,
  ...FINEWEB_RULES
]

const RULE_NAMES = new Set(RULES.map(r => r.name))

export const filterConfigSchema = z.strictObject({
  /** Rule sets to run, by name; a rule from a set left out runs only if its entry says `enabled: true`. */
  ruleSets: z.array(z.enum(RULE_SETS)).min(1).default([...RULE_SETS]),
  /** Per rule: `enabled` and its thresholds (each rule's own schema checks them). */
  rules: z.record(z.string(), z.looseObject({ enabled: z.boolean().optional() })).default({}),
  pii: piiConfigSchema.prefault({})
})
export type FilterConfigInput = z.input<typeof filterConfigSchema>
export type FilterConfig = z.output<typeof filterConfigSchema>

/** A rule ready to run: its thresholds parsed and its word lists loaded. */
export interface CompiledRule {
  name: string
  level: RuleLevel
  languages: ReadonlySet<Lang>
  /** Signal key of the measured value: `filter_<name>`. */
  signal: string
  /** Drop reason: `filter:<name>` (the lake audit's funnel counts this prefix). */
  reason: string
  check: Check
}

export interface CompiledFilters {
  rules: CompiledRule[]
  /** The rules that apply to each language, in order (looked up once per document, not per rule). */
  byLang: Record<Lang, CompiledRule[]>
  pii: PiiConfig
}

function configError (message: string, cause?: unknown): SluiceError {
  return new SluiceError('config', message, { retryable: false, cause })
}

/** Parses a filter config and builds every enabled rule; any bad value fails here, naming the rule and field. */
export function compileFilters (input: unknown): CompiledFilters {
  const parsed = filterConfigSchema.safeParse(input ?? {})
  if (!parsed.success) {
    throw configError(`filter config: ${describeIssues(parsed.error)}`, parsed.error)
  }
  const config = parsed.data
  const unknown = Object.keys(config.rules).filter(n => !RULE_NAMES.has(n))
  if (unknown.length > 0) throw configError(`filter config: unknown rule ${unknown.map(n => `"${n}"`).join(', ')} under rules (see streams/README.md for the list)`)
  const sets = new Set<string>(config.ruleSets)
  const rules: CompiledRule[] = []
  for (const spec of RULES) {
    const { enabled, ...thresholds } = config.rules[spec.name] ?? {}
    if (!(enabled ?? sets.has(spec.set))) continue
    const options = spec.options.safeParse(thresholds)
    if (!options.success) {
      throw configError(`filter rule ${spec.name}: ${describeIssues(options.error)}`, options.error)
    }
    rules.push({
      name: spec.name,
      level: spec.level,
      languages: new Set(spec.languages),
      signal: `filter_${spec.name}`,
      reason: `filter:${spec.name}`,
      check: spec.build(options.data)
    })
  }
  const byLang = { zh: [], en: [], other: [] } as Record<Lang, CompiledRule[]>
  for (const l of LANGS) byLang[l] = rules.filter(r => r.languages.has(l))
  return { rules, byLang, pii: config.pii }
}
