import { col, defineSchema, type Infer } from './define.ts'

/**
 * One result of a data evaluation (`sluice evaluate`): one row per metric per evaluation, so a
 * snapshot's audit history is a plain query. Gated metrics have `max_rate` and `passed`; reported
 * ones (language and length distributions, perplexity when no document carries it) leave them null
 * and keep what they found in `details`.
 */
export const auditSchema = defineSchema('audit', 1, {
  schema_version: col.literal(1, 'schema version of this record'),
  evaluation_id: col.string('id shared by the rows of one evaluation'),
  table_name: col.string('the evaluated table (not `table`: a reserved word in SQL)'),
  snapshot_id: col.long('the evaluated snapshot of that table'),
  metric: col.string('privacy, toxic, ads, html, unreadable, perplexity, language, length, human_*'),
  flagged: col.nullable(col.long('sampled documents the metric flagged; null for a distribution')),
  sample_size: col.long('documents the metric looked at'),
  rate: col.nullable(col.float('flagged / sample_size')),
  max_rate: col.nullable(col.float('the highest rate that passes (not `limit`: a reserved word); null when the metric is not gated')),
  passed: col.nullable(col.bool('rate <= max_rate; null when the metric is not gated')),
  seed: col.long('seed of the deterministic sample'),
  sample_share: col.nullable(col.float('share of kept documents sampled; null for a human review of a fixed number')),
  evaluated_at: col.timestamp('when the evaluation ran'),
  details: col.string('JSON text: example ids, distributions, label counts')
})

export type AuditRow = Infer<typeof auditSchema.shape>
