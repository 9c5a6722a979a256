import type { Document } from '../../schemas/document.ts'
import type { StageDefinition } from '../kafka/stage-worker.ts'
import { filterDocuments, type FilterConfigInput } from '../filters/index.ts'
import { decodeDocument, encodeDocument } from './codec.ts'

/**
 * docs.normalized -> docs.scored, the rule-filter half of the score stage (Ziya2 RF): a dropped
 * document goes on marked drop with its `filter:<rule>` reason.
 */
export function filterStage (config: FilterConfigInput = {}): StageDefinition<Document, Document> {
  return {
    name: 'filter',
    schema: 'document.v1',
    decode: decodeDocument,
    operator: filterDocuments(config),
    encode: encodeDocument,
    dropped: encodeDocument
  }
}
