import type { DuckDBConnection } from '@duckdb/node-api'
import type { DocumentMetric } from './metrics.ts'
import type { SampledDoc } from './sample.ts'

/** Ziya2 AS drops the worst 40% of documents by perplexity. */
export const PERPLEXITY_DROP_SHARE = 0.4

const perplexityOf = (doc: SampledDoc): number | null => typeof doc.signals.perplexity === 'number' ? doc.signals.perplexity : null

/**
 * Per language (each has its own KenLM model, so their perplexities do not compare), the
 * perplexity above which a document falls in the dropped bucket: the (1 - dropShare) quantile over
 * every document of the snapshot that has a `perplexity` signal, kept or dropped, i.e. the
 * population the scoring step ranked. Empty when no document has the signal.
 */
export async function perplexityCutoffs (connection: DuckDBConnection, dropShare = PERPLEXITY_DROP_SHARE): Promise<Map<string, number>> {
  const r = await connection.runAndReadAll(
    `SELECT coalesce(lang, '') AS lang, quantile_cont(p, 1 - $drop) AS cutoff
     FROM (SELECT lang, TRY_CAST(signals->>'$.perplexity' AS DOUBLE) AS p FROM documents) WHERE p IS NOT NULL GROUP BY ALL`, { drop: dropShare })
  return new Map(r.getRowObjectsJS().map(row => [String(row.lang), Number(row.cutoff)]))
}

const percentileOf = (doc: SampledDoc): number | null => typeof doc.signals.perplexity_percentile === 'number' ? doc.signals.perplexity_percentile : null

/**
 * A kept document whose perplexity lies in its language's dropped bucket slipped past the scoring
 * step. Where the score stage gave the document a percentile (against its model's calibration on
 * typical web text) that percentile decides; the lake's own quantile is the fallback for
 * perplexities without one, since a lake of mostly good text would otherwise flag its best.
 */
export function perplexityMetric (cutoffs: Map<string, number>, dropShare = PERPLEXITY_DROP_SHARE): DocumentMetric {
  const cutoff = (doc: SampledDoc) => cutoffs.get(doc.lang ?? '')
  return {
    name: 'perplexity',
    describe: `perplexity in the worst ${Math.round(dropShare * 100)}% of its language (the bucket scoring drops)`,
    applies: doc => perplexityOf(doc) !== null && (percentileOf(doc) !== null || cutoff(doc) !== undefined),
    flag: doc => {
      const percentile = percentileOf(doc)
      const dropped = percentile !== null ? percentile > 1 - dropShare : perplexityOf(doc)! > cutoff(doc)!
      return dropped ? 'dropped_bucket' : null
    }
  }
}
