import type { IcebergSchema } from './schema.ts'

/** Iceberg v2 table metadata (spec "Table Metadata"), only the parts Sluice writes. */
export interface PartitionField { name: string, transform: 'identity' | 'day', 'source-id': number, 'field-id': number }
export interface PartitionSpec { 'spec-id': number, fields: PartitionField[] }

export interface Snapshot {
  'snapshot-id': number
  'parent-snapshot-id'?: number
  'sequence-number': number
  'timestamp-ms': number
  'manifest-list': string
  summary: Record<string, string> & { operation: 'append' | 'replace' | 'overwrite' | 'delete' }
  'schema-id': number
}

export interface TableMetadata {
  'format-version': 2
  'table-uuid': string
  location: string
  'last-sequence-number': number
  'last-updated-ms': number
  'last-column-id': number
  'current-schema-id': number
  schemas: IcebergSchema[]
  'default-spec-id': number
  'partition-specs': PartitionSpec[]
  'last-partition-id': number
  'default-sort-order-id': number
  'sort-orders': Array<{ 'order-id': number, fields: unknown[] }>
  properties: Record<string, string>
  'current-snapshot-id': number
  refs: Record<string, { 'snapshot-id': number, type: 'branch' | 'tag' }>
  snapshots: Snapshot[]
  'snapshot-log': Array<{ 'timestamp-ms': number, 'snapshot-id': number }>
  'metadata-log': Array<{ 'timestamp-ms': number, 'metadata-file': string }>
}

export function currentSnapshot (m: TableMetadata): Snapshot | undefined {
  return m.snapshots.find(s => s['snapshot-id'] === m['current-snapshot-id'])
}
