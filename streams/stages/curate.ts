import type { Document } from '../../schemas/document.ts'
import type { StageDefinition } from '../kafka/stage-worker.ts'
import { counted } from '../operator.ts'
import { decodeDocument, encodeDocument } from './codec.ts'

/**
 * docs.scored -> docs.curated unchanged: the place the dedup worker takes (the dedup issue); until
 * then documents reach the lake with the decisions the earlier stages made.
 */
export function curateStage (): StageDefinition<Document, Document> {
  return {
    name: 'curate',
    schema: 'document.v1',
    decode: decodeDocument,
    operator: counted(async function * (docs) { yield * docs }),
    encode: encodeDocument,
    dropped: encodeDocument
  }
}
