import { z } from 'zod'
import { col, defineSchema, type Infer } from './define.ts'
import { provenanceColumn } from './provenance.ts'

const signalValue = z.union([z.number(), z.string(), z.boolean(), z.null(), z.array(z.union([z.number(), z.string()]))])

/**
 * Document schema v1: what flows from `docs.normalized` on and lands in the lake. Stages add
 * `signals` and may set the decision; nothing is deleted, a dropped document keeps its reason.
 */
export const documentSchema = defineSchema('document', 1, {
  schema_version: col.literal(1, 'schema version of this record'),
  id: col.string('stable id: xxh64 of the normalized URL, or of the content when there is no URL'),
  url: col.nullable(col.string('target URL')),
  source: col.string('name of the source'),
  crawl_id: col.nullable(col.string('crawl the document belongs to')),
  fetched_at: col.nullable(col.timestamp('fetch time')),
  ingested_at: col.timestamp('when Sluice first read the record'),
  lang: col.nullable(col.string('language code (zh, en, other) once identified')),
  text: col.nullable(col.string('main text; null until extracted from html')),
  html: col.nullable(col.string('raw markup when the input had it')),
  content_type: col.nullable(col.string('MIME type of the original payload')),
  signals: col.json(z.record(z.string(), signalValue), 'named values added by each stage'),
  decision: col.enumOf(['keep', 'drop'], 'keep or drop'),
  reason: col.nullable(col.string('why it was dropped (the first rule that dropped it)')),
  dup_of: col.nullable(col.string('id of the document this one duplicates')),
  cluster_id: col.nullable(col.string('near-duplicate cluster')),
  meta: col.nullable(col.json(z.record(z.string(), z.unknown()), 'input fields kept as given')),
  provenance: provenanceColumn
})

export type Document = Infer<typeof documentSchema.shape>
export type SignalValue = z.infer<typeof signalValue>
