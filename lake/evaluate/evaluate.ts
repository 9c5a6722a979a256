import crypto from 'node:crypto'
import { SluiceError } from '../../schemas/errors.ts'
import { appendAudits } from '../audits-table.ts'
import { publishSnapshot } from '../published.ts'
import { openLake } from '../sql.ts'
import { Distributions } from './distributions.ts'
import { documentMetrics, METRIC_DEFAULTS, textView, type Detectors, type MetricOptions } from './metrics.ts'
import { PERPLEXITY_DROP_SHARE, perplexityCutoffs, perplexityMetric } from './perplexity.ts'
import { allPassed, auditRows, gated, reported, type Evaluation, type MetricResult } from './result.ts'
import { keptCount, sampledDocuments } from './sample.ts'
import { documentsSnapshot } from './snapshot.ts'
import { MetricTally } from './tally.ts'

export interface EvaluateOptions {
  /** The snapshot of `documents` to evaluate; the current one by default. */
  snapshotId?: number
  /** Share of kept documents to sample (Ziya2: 1%). */
  share: number
  seed: number
  /** The highest flagged rate a gate passes (Ziya2: 1 in 1,000). */
  maxRate: number
  /** Tag the snapshot `published-<id>` when every gate passes. */
  publish: boolean
  detectors: Detectors
  metrics?: MetricOptions
  perplexityDropShare?: number
}

export interface EvaluateResult extends Evaluation {
  keptDocuments: number
  published: boolean
}

/**
 * Ziya2's data evaluation of a snapshot of `documents`: a seeded sample of kept documents, every
 * automatic metric over it, one `audits` row per metric, and, only when every gate passed and
 * `publish` asks for it, the `published-<id>` tag, in that order (write, audit, publish).
 *
 * @example
 * const e = await evaluateLake('./lake', { share: 0.01, seed: 42, maxRate: 0.001, publish: true, detectors: filterDetectors() })
 * if (!e.passed) process.stdout.write(evaluationText(e))
 */
export async function evaluateLake (lakeDir: string, o: EvaluateOptions): Promise<EvaluateResult> {
  const { table, snapshot } = documentsSnapshot(lakeDir, o.snapshotId)
  const snapshotId = snapshot['snapshot-id']
  const dropShare = o.perplexityDropShare ?? PERPLEXITY_DROP_SHARE
  const lake = await openLake(lakeDir, { snapshotId })
  let kept: number
  const metrics = documentMetrics(o.detectors, o.metrics ?? METRIC_DEFAULTS)
  const tallies = new Map(metrics.map(m => [m.name, new MetricTally()]))
  const distributions = new Distributions()
  let sampleSize = 0
  let withPerplexity: boolean
  try {
    kept = await keptCount(lake.connection)
    const cutoffs = await perplexityCutoffs(lake.connection, dropShare)
    withPerplexity = cutoffs.size > 0
    if (withPerplexity) {
      metrics.push(perplexityMetric(cutoffs, dropShare))
      tallies.set('perplexity', new MetricTally())
    }
    for await (const doc of sampledDocuments(lake.connection, o.share, o.seed)) {
      sampleSize++
      distributions.add(doc)
      const view = textView(doc)
      for (const m of metrics) {
        if (m.applies?.(doc) === false) continue
        tallies.get(m.name)!.add(doc.id, m.flag(doc, view))
      }
    }
  } finally {
    lake.close()
  }
  if (sampleSize === 0) {
    throw new SluiceError('config', `the sample is empty: ${kept} kept documents at snapshot ${snapshotId}, --sample ${o.share} took none (raise --sample)`, { retryable: false })
  }
  const results: MetricResult[] = metrics.map(m => gated(m.name, m.describe, tallies.get(m.name)!, o.maxRate,
    m.name === 'perplexity' ? { dropShare, withoutPerplexity: sampleSize - tallies.get(m.name)!.sample } : {}))
  if (!withPerplexity) {
    results.push(reported('perplexity', 'no document of the snapshot carries a perplexity signal', sampleSize, { reason: 'no perplexity signal' }))
  }
  results.push(
    reported('language', 'sampled documents by language', sampleSize, { documents: distributions.languages }),
    reported('length', 'sampled documents by text length in characters', sampleSize, { buckets: distributions.lengths }))
  const evaluation: Evaluation = {
    evaluationId: crypto.randomUUID(),
    table: 'documents',
    snapshotId,
    seed: o.seed,
    sampleShare: o.share,
    sampleSize,
    evaluatedAt: new Date().toISOString(),
    metrics: results,
    passed: allPassed(results)
  }
  await appendAudits(lakeDir, auditRows(evaluation))
  const published = o.publish && evaluation.passed
  if (published) publishSnapshot(table, snapshotId)
  return { ...evaluation, keptDocuments: kept, published }
}
