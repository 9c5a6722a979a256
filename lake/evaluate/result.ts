import type { AuditRow } from '../../schemas/audit.ts'
import type { MetricTally } from './tally.ts'

/** One metric of an evaluation: gated (flagged, rate, max rate, passed) or reported (details only). */
export interface MetricResult {
  metric: string
  describe: string
  flagged: number | null
  sampleSize: number
  rate: number | null
  maxRate: number | null
  passed: boolean | null
  details: Record<string, unknown>
}

/** One data evaluation of one snapshot: automatic metrics over a sample, or a human review. */
export interface Evaluation {
  evaluationId: string
  table: string
  snapshotId: number
  seed: number
  /** Share of kept documents sampled; null for a human review of a fixed number. */
  sampleShare: number | null
  sampleSize: number
  evaluatedAt: string
  metrics: MetricResult[]
  /** Every gated metric passed. */
  passed: boolean
}

/** A gate: at most `maxRate` of the documents the metric looked at may be unqualified. */
export function gated (metric: string, describe: string, tally: MetricTally, maxRate: number, details: Record<string, unknown> = {}): MetricResult {
  const rate = tally.sample === 0 ? 0 : tally.flagged / tally.sample
  return {
    metric, describe, flagged: tally.flagged, sampleSize: tally.sample, rate, maxRate, passed: rate <= maxRate,
    details: { ...details, labels: tally.labels, examples: tally.examples }
  }
}

export function reported (metric: string, describe: string, sampleSize: number, details: Record<string, unknown>): MetricResult {
  return { metric, describe, flagged: null, sampleSize, rate: null, maxRate: null, passed: null, details }
}

export const allPassed = (metrics: MetricResult[]): boolean => metrics.every(m => m.passed !== false)

/** The rows the audits table stores: one per metric. */
export function auditRows (e: Evaluation): AuditRow[] {
  return e.metrics.map(m => ({
    schema_version: 1,
    evaluation_id: e.evaluationId,
    table_name: e.table,
    snapshot_id: e.snapshotId,
    metric: m.metric,
    flagged: m.flagged,
    sample_size: m.sampleSize,
    rate: m.rate,
    max_rate: m.maxRate,
    passed: m.passed,
    seed: e.seed,
    sample_share: e.sampleShare,
    evaluated_at: e.evaluatedAt,
    details: JSON.stringify(m.details)
  }))
}
