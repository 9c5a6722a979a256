import type { Document } from '../../schemas/document.ts'
import type { StageDefinition } from '../kafka/stage-worker.ts'
import { filterDocuments, type FilterConfigInput } from '../filters/index.ts'
import { chain } from '../operator.ts'
import { currentModelFiles, loadScorer, type QualityConfig } from '../quality/load.ts'
import { scoreDocuments } from '../quality/score.ts'
import { decodeDocument, encodeDocument } from './codec.ts'

/**
 * docs.normalized -> docs.scored: the rule filters (Ziya2 RF), then quality scoring of what they
 * kept (Ziya2 AS: perplexity, its percentile and bucket, the classifier's score). A dropped
 * document goes on marked drop with its `filter:<rule>` or `quality:<why>` reason. The models are
 * loaded once, before the first batch.
 */
export function scoreStage (filter: FilterConfigInput, quality: QualityConfig, log: (line: string) => void = () => {}): StageDefinition<Document, Document> {
  const models = quality.models === null ? {} : currentModelFiles(quality.models)
  log(Object.keys(models).length === 0
    ? `score: no quality models${quality.models === null ? '' : ` in ${quality.models}`} (train them with sluice quality train-lm / train-classifier): rule filters only`
    : `score: models ${Object.entries(models).map(([role, file]) => `${role}=${file}`).join(', ')}`)
  return {
    name: 'score',
    schema: 'document.v1',
    decode: decodeDocument,
    operator: chain(filterDocuments(filter), scoreDocuments(async () => await loadScorer(quality))),
    encode: encodeDocument,
    dropped: encodeDocument
  }
}
