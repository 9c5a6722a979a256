import type { Document } from '../../schemas/document.ts'
import { counted, type Operator } from '../operator.ts'

/** What scoring needs of a language model (`lm/model.ts#NgramModel`). */
export interface PerplexityModel {
  readonly id: string
  perplexity: (text: string) => number | null
  /** Share of the calibration documents with a lower perplexity, in [0, 1]. */
  percentile: (perplexity: number) => number
}

/** What scoring needs of the classifier (`classifier/model.ts#QualityClassifier`). */
export interface ClassifierModel {
  readonly id: string
  /** P(high quality) per text, one inference per call. */
  score: (texts: Array<{ text: string, lang: string | null }>) => Promise<Float32Array>
}

export type Bucket = 'high' | 'medium' | 'low'

export interface QualityScorer {
  /** Language models by language; a document in another language gets no perplexity. */
  lm: Partial<Record<string, PerplexityModel>>
  classifier: ClassifierModel | null
  /** Ziya2's bucket of a perplexity percentile, for this document's language and source. */
  bucket: (percentile: number, doc: Document) => Bucket
  /** Below this classifier score a document is dropped; null: the score is a signal only. */
  minClassifierScore: number | null
}

/** Documents scored together: one classifier inference per batch. */
const BATCH = 64

function round (x: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

/**
 * Ziya2's automatic scoring (AS): perplexity under the document's language model, its percentile
 * among typical web documents of that language and the bucket it falls in (best 30% high, next 30%
 * medium, the rest low = dropped, `quality:perplexity`), and the classifier's probability of high
 * quality (dropped as `quality:classifier` below `minClassifierScore`). Each model's id is a signal,
 * so every score can be traced to the model file that gave it. Documents dropped earlier pass
 * unscored.
 *
 * @example
 * for await (const doc of scoreDocuments(await loadScorer(config))(documents, ctx)) write(doc)
 */
export function scoreDocuments (scorer: QualityScorer | (() => Promise<QualityScorer>)): Operator<Document, Document> {
  let ready: Promise<QualityScorer> | null = null
  const get = async () => await (ready ??= typeof scorer === 'function' ? scorer() : Promise.resolve(scorer))
  return counted(async function * (docs, ctx) {
    const s = await get()
    let batch: Document[] = []
    const flush = async function * () {
      const scored = await scoreBatch(s, batch)
      batch = []
      for (const doc of scored) {
        if (doc.decision === 'drop' && doc.reason?.startsWith('quality:') === true) ctx.drop(doc, doc.reason)
        else yield doc
      }
    }
    for await (const doc of docs) {
      batch.push(doc)
      if (batch.length >= BATCH) yield * flush()
    }
    if (batch.length > 0) yield * flush()
  })
}

const QUALITY_SIGNALS = ['perplexity', 'perplexity_percentile', 'quality_bucket', 'quality_lm', 'quality_score', 'quality_classifier']

/** The document as it was before quality scoring: its quality signals gone, a quality drop undone. */
export function unscored (doc: Document): Document {
  const signals = { ...doc.signals }
  for (const name of QUALITY_SIGNALS) delete signals[name]
  return doc.reason?.startsWith('quality:') === true ? { ...doc, signals, decision: 'keep', reason: null } : { ...doc, signals }
}

/**
 * Scores documents again with other models (`sluice quality rescore`): earlier quality scores and
 * drops are undone first; all documents come back in order, dropped ones marked.
 */
export async function rescoreDocuments (scorer: QualityScorer, docs: Document[]): Promise<Document[]> {
  const out: Document[] = []
  for (let i = 0; i < docs.length; i += BATCH) out.push(...await scoreBatch(scorer, docs.slice(i, i + BATCH).map(unscored)))
  return out
}

async function scoreBatch (s: QualityScorer, docs: Document[]): Promise<Document[]> {
  const live = docs.filter(d => d.decision !== 'drop' && d.text !== null && d.text.trim() !== '')
  const probabilities = s.classifier === null || live.length === 0 ? null : await s.classifier.score(live.map(d => ({ text: d.text!, lang: d.lang })))
  const classified = new Map(live.map((d, i) => [d, probabilities?.[i] ?? null]))
  return docs.map(doc => {
    if (!classified.has(doc)) return doc
    const signals: Document['signals'] = { ...doc.signals }
    let reason: string | null = null
    const lm = doc.lang === null ? undefined : s.lm[doc.lang]
    const perplexity = lm?.perplexity(doc.text!) ?? null
    if (lm !== undefined && perplexity !== null) {
      const percentile = lm.percentile(perplexity)
      const bucket = s.bucket(percentile, doc)
      Object.assign(signals, { perplexity: round(perplexity, 1), perplexity_percentile: round(percentile, 4), quality_bucket: bucket, quality_lm: lm.id })
      if (bucket === 'low') reason = 'quality:perplexity'
    }
    const probability = classified.get(doc)
    if (probability !== null && probability !== undefined && s.classifier !== null) {
      Object.assign(signals, { quality_score: round(probability, 4), quality_classifier: s.classifier.id })
      if (reason === null && s.minClassifierScore !== null && probability < s.minClassifierScore) reason = 'quality:classifier'
    }
    return reason === null ? { ...doc, signals } : { ...doc, signals, decision: 'drop' as const, reason }
  })
}
