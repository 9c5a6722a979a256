import type { Document } from '../../schemas/document.ts'
import { chain, type Operator } from '../operator.ts'
import { exactDedup } from './exact-dedup.ts'
import { nearDedup } from './near.ts'
import type { DedupState } from './state.ts'

export { DedupState, parseDedupConfig, type DedupConfig, type DedupConfigInput } from './state.ts'

/**
 * Ziya2's content dedup as one operator: URL and exact content dedup first (cheap, and an exact
 * copy should say so rather than "near"), then near-dedup of what is left. The state decides where
 * memory lives: `new DedupState(config)` in memory, or opened on a journal by the dedup worker.
 *
 * @example
 * const state = new DedupState(parseDedupConfig({ near: { method: 'minhash' } }))
 * for await (const doc of dedupDocuments(state)(documents, ctx)) write(doc)
 */
export function dedupDocuments (state: DedupState): Operator<Document, Document> {
  return chain(exactDedup(state.config.exact, state.exact), nearDedup(state.config.near, state.near))
}
