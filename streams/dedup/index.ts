import type { Document } from '../../schemas/document.ts'
import { counted, type Operator } from '../operator.ts'
import { ExactDeduper } from './exact-dedup.ts'
import { markNearDuplicate } from './near.ts'
import type { DedupState } from './state.ts'

export { DedupState, parseDedupConfig, type DedupConfig, type DedupConfigInput } from './state.ts'

/**
 * Ziya2's content dedup as one operator: URL and exact content dedup first (cheap, and an exact
 * copy should say so rather than "near"), then near-dedup of what is left. Only a document both
 * keep becomes a representative, so `dup_of` always names a kept document. The state decides where
 * memory lives: `new DedupState(config)` in memory, or opened on a journal by the dedup worker.
 *
 * @example
 * const state = new DedupState(parseDedupConfig({ near: { method: 'minhash' } }))
 * for await (const doc of dedupDocuments(state)(documents, ctx)) write(doc)
 */
export function dedupDocuments (state: DedupState): Operator<Document, Document> {
  const exact = new ExactDeduper(state.config.exact, state.exact)
  return counted(async function * (docs, ctx) {
    for await (const doc of docs) {
      const duplicate = exact.check(doc) ?? markNearDuplicate(state.near, doc)
      if (duplicate !== null) { ctx.drop(duplicate, duplicate.reason!); continue }
      exact.keep(doc)
      yield doc
    }
  })
}
