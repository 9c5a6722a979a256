import { col, defineSchema, type Infer } from './define.ts'
import { provenanceColumn } from './provenance.ts'

/**
 * One document the dedup stage removed, as a row of the lake's `dedup_clusters` table: which kept
 * document it duplicates, why, and how similar it is. A cluster is a representative and the rows
 * naming it; its size is their count plus one.
 */
export const dedupClusterSchema = defineSchema('dedup_cluster', 1, {
  schema_version: col.literal(1, 'schema version of this record'),
  cluster_id: col.nullable(col.string("the cluster: the document's cluster_id, else its dup_of (the representative id); null when the representative is no longer remembered")),
  document_id: col.string('the removed document'),
  representative_id: col.nullable(col.string('the kept document it duplicates (dup_of); null when no longer remembered')),
  reason: col.nullable(col.string('url, exact or near: the document reason without `dedup:` (another reason as given)')),
  similarity: col.nullable(col.float('1 for url and exact duplicates, the estimated Jaccard or 1 - Hamming/64 (signal dedup_similarity) for near ones')),
  url: col.nullable(col.string('URL of the removed document')),
  source: col.string('source of the removed document'),
  lang: col.nullable(col.string('language of the removed document')),
  ingested_at: col.timestamp('when Sluice first read the removed document'),
  provenance: provenanceColumn
})

export type DedupCluster = Infer<typeof dedupClusterSchema.shape>
