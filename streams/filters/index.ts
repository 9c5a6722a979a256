import type { Document, SignalValue } from '../../schemas/document.ts'
import { counted, type Operator } from '../operator.ts'
import { compileFilters, type CompiledFilters, type FilterConfigInput } from './config.ts'
import { piiStep } from './pii.ts'
import { round } from './rule.ts'
import { ruleLanguage, TextView } from './text.ts'

export { filterConfigSchema, RULES, type FilterConfig, type FilterConfigInput } from './config.ts'

export interface FilterResult { doc: Document, reason: string | null }

/** Reason for a document that has no text to judge (markup not extracted yet, or blank). */
export const NO_TEXT = 'filter:no_text'

/**
 * Runs the rules over one document. Evaluation stops at the first rule that drops: the signals of
 * the rules before it are recorded, later ones are not measured (that is the cheap path, and the
 * first reason is the one the funnel counts). A dropped document keeps its original text for the
 * audit; a kept one carries the text left after line and sentence removals, PII masked.
 */
export function applyFilters (doc: Document, filters: CompiledFilters, pii = piiStep(filters.pii)): FilterResult {
  const text = doc.text
  if (text === null || text.trim() === '') return { doc: { ...doc, decision: 'drop', reason: NO_TEXT }, reason: NO_TEXT }
  const { lang, guessed } = ruleLanguage(doc.lang, text)
  const signals: Record<string, SignalValue> = { ...doc.signals }
  if (guessed) signals.filter_lang = lang
  let view = new TextView(text, lang)
  for (const rule of filters.byLang[lang]) {
    const outcome = rule.check(view)
    signals[rule.signal] = round(outcome.value)
    if (outcome.drop) return { doc: { ...doc, signals, decision: 'drop', reason: rule.reason }, reason: rule.reason }
    if (outcome.text !== undefined) view = new TextView(outcome.text, lang)
  }
  // removed lines leave their line breaks behind: close the gaps so the text keeps normalize's paragraph layout
  const remaining = view.text === text ? text : view.text.replace(/\n{3,}/g, '\n\n').trim()
  signals.filter_chars_removed = text.length - remaining.length
  const kept = pii === null ? remaining : pii(remaining, signals)
  return { doc: { ...doc, text: kept, signals }, reason: null }
}

/**
 * The rule-filter operator (Ziya2 RF plus Gopher, C4 and FineWeb rule sets, then PII masking).
 * Stateless. Every document gets `filter_<rule>` signals; a dropped one goes to `ctx.drop` marked
 * `decision: 'drop'` with `reason: 'filter:<rule>'`. A document an earlier stage already dropped
 * passes through untouched, keeping its first reason.
 *
 * @example
 * const op = filterDocuments({ ruleSets: ['gopher', 'c4'], rules: { c4_bad_words: { enabled: false } } })
 * for await (const doc of op(documents, ctx)) write(doc)
 */
export function filterDocuments (config: FilterConfigInput = {}): Operator<Document, Document> {
  return fromCompiled(compileFilters(config))
}

/** Builds the operator from an untyped config (a file, CLI flags): validated once, before any document. */
export function fromConfig (input: unknown): Operator<Document, Document> {
  return fromCompiled(compileFilters(input))
}

function fromCompiled (filters: CompiledFilters): Operator<Document, Document> {
  const pii = piiStep(filters.pii)
  return counted(async function * (docs, ctx) {
    for await (const doc of docs) {
      if (doc.decision === 'drop') { yield doc; continue }
      const r = applyFilters(doc, filters, pii)
      if (r.reason === null) yield r.doc
      else ctx.drop(r.doc, r.reason)
    }
  })
}
