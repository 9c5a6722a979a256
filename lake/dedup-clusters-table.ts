import path from 'node:path'
import { dedupClusterSchema, type DedupCluster } from '../schemas/dedup-cluster.ts'
import type { Document } from '../schemas/document.ts'
import type { PartitionSpec } from './iceberg/metadata.ts'
import { icebergSchema } from './iceberg/schema.ts'
import { IcebergTable } from './iceberg/table.ts'

/** The `dedup_clusters` table: one row per document removed as a duplicate (`schemas/dedup-cluster.ts`), partitioned by ingest day like `documents`. */
export const DEDUP_CLUSTERS_SCHEMA = icebergSchema(dedupClusterSchema.arrowSchema())

export const DEDUP_CLUSTERS_SPEC: PartitionSpec = {
  'spec-id': 0,
  fields: [{ name: 'ingested_at_day', transform: 'day', 'source-id': DEDUP_CLUSTERS_SCHEMA.fields.find(f => f.name === 'ingested_at')!.id, 'field-id': 1000 }]
}

export function openDedupClustersTable (lakeDir: string): IcebergTable {
  return IcebergTable.create(path.join(lakeDir, 'dedup_clusters'), DEDUP_CLUSTERS_SCHEMA, DEDUP_CLUSTERS_SPEC)
}

const DEDUP = 'dedup:'

/**
 * The `dedup_clusters` row of a document from docs.curated, or null when it is no duplicate (no
 * `dup_of` and no `dedup:` reason). `at` is where the sink read it; the file range stays the document's.
 */
export function dedupClusterRow (doc: Document, at: { topic: string, partition: number, offset: number }): DedupCluster | null {
  const dedup = doc.reason?.startsWith(DEDUP) === true
  if (doc.dup_of === null && !dedup) return null
  const reason = dedup ? doc.reason!.slice(DEDUP.length) : doc.reason
  const near = doc.signals.dedup_similarity
  const seen = doc.signals.dedup_url_seen === true || doc.signals.dedup_exact_seen === true
  return {
    schema_version: 1,
    cluster_id: doc.cluster_id ?? doc.dup_of,
    document_id: doc.id,
    representative_id: doc.dup_of,
    reason,
    similarity: typeof near === 'number' ? near : seen || reason === 'url' || reason === 'exact' ? 1 : null,
    url: doc.url,
    source: doc.source,
    lang: doc.lang,
    ingested_at: doc.ingested_at,
    provenance: { file: doc.provenance.file, offset: doc.provenance.offset, length: doc.provenance.length, topic: at.topic, partition: at.partition, kafka_offset: at.offset }
  }
}
