import type { IcebergSchema } from './schema.ts'
import type { PartitionSpec } from './metadata.ts'

// Avro schemas of the Iceberg v2 manifest and manifest list (spec "Manifests"). The field ids are
// fixed by the spec; readers (pyiceberg, Spark, Trino) find fields by them.

const optional = (name: string, id: number, type: unknown) => ({ name, type: ['null', type], default: null, 'field-id': id })

function partitionRecord (spec: PartitionSpec, schema: IcebergSchema): unknown {
  return {
    type: 'record',
    name: 'r102',
    fields: spec.fields.map(f => {
      const source = schema.fields.find(s => s.id === f['source-id'])
      const type = f.transform === 'day' ? { type: 'int', logicalType: 'date' } : source?.type === 'long' ? 'long' : source?.type === 'int' ? 'int' : 'string'
      return optional(f.name, f['field-id'], type)
    })
  }
}

// Iceberg writes maps with int keys as arrays of key/value records (spec: "Avro" appendix)
const columnMap = (name: string, id: number, keyId: number, valueId: number, valueType: 'long' | 'bytes') =>
  optional(name, id, { type: 'array', logicalType: 'map', items: { type: 'record', name: `k${keyId}_v${valueId}`, fields: [{ name: 'key', type: 'int', 'field-id': keyId }, { name: 'value', type: valueType, 'field-id': valueId }] } })

export function manifestEntrySchema (spec: PartitionSpec, schema: IcebergSchema): unknown {
  return {
    type: 'record',
    name: 'manifest_entry',
    fields: [
      { name: 'status', type: 'int', 'field-id': 0 },
      optional('snapshot_id', 1, 'long'),
      optional('sequence_number', 3, 'long'),
      optional('file_sequence_number', 4, 'long'),
      {
        name: 'data_file',
        'field-id': 2,
        type: {
          type: 'record',
          name: 'r2',
          fields: [
            { name: 'content', type: 'int', 'field-id': 134 },
            { name: 'file_path', type: 'string', 'field-id': 100 },
            { name: 'file_format', type: 'string', 'field-id': 101 },
            { name: 'partition', type: partitionRecord(spec, schema), 'field-id': 102 },
            { name: 'record_count', type: 'long', 'field-id': 103 },
            { name: 'file_size_in_bytes', type: 'long', 'field-id': 104 },
            columnMap('value_counts', 109, 119, 120, 'long'),
            columnMap('null_value_counts', 110, 121, 122, 'long'),
            columnMap('lower_bounds', 125, 126, 127, 'bytes'),
            columnMap('upper_bounds', 128, 129, 130, 'bytes')
          ]
        }
      }
    ]
  }
}

export const MANIFEST_LIST_SCHEMA = {
  type: 'record',
  name: 'manifest_file',
  fields: [
    { name: 'manifest_path', type: 'string', 'field-id': 500 },
    { name: 'manifest_length', type: 'long', 'field-id': 501 },
    { name: 'partition_spec_id', type: 'int', 'field-id': 502 },
    { name: 'content', type: 'int', 'field-id': 517 },
    { name: 'sequence_number', type: 'long', 'field-id': 515 },
    { name: 'min_sequence_number', type: 'long', 'field-id': 516 },
    { name: 'added_snapshot_id', type: 'long', 'field-id': 503 },
    { name: 'added_files_count', type: 'int', 'field-id': 504 },
    { name: 'existing_files_count', type: 'int', 'field-id': 505 },
    { name: 'deleted_files_count', type: 'int', 'field-id': 506 },
    { name: 'added_rows_count', type: 'long', 'field-id': 512 },
    { name: 'existing_rows_count', type: 'long', 'field-id': 513 },
    { name: 'deleted_rows_count', type: 'long', 'field-id': 514 },
    optional('partitions', 507, {
      type: 'array',
      'element-id': 508,
      items: {
        type: 'record',
        name: 'r508',
        fields: [
          { name: 'contains_null', type: 'boolean', 'field-id': 509 },
          optional('contains_nan', 518, 'boolean'),
          optional('lower_bound', 510, 'bytes'),
          optional('upper_bound', 511, 'bytes')
        ]
      }
    })
  ]
}

export interface ManifestListEntry {
  manifest_path: string
  manifest_length: number
  partition_spec_id: number
  content: number
  sequence_number: number
  min_sequence_number: number
  added_snapshot_id: number | bigint
  added_files_count: number
  existing_files_count: number
  deleted_files_count: number
  added_rows_count: number
  existing_rows_count: number
  deleted_rows_count: number
}

/** A manifest entry as Sluice writes and reads it (spec "Manifests": status 0 existing, 1 added, 2 deleted). */
export interface ManifestEntry {
  status: 0 | 1 | 2
  snapshot_id: number | bigint | null
  sequence_number: number | bigint | null
  file_sequence_number: number | bigint | null
  data_file: {
    content: number
    file_path: string
    file_format: string
    partition: Record<string, string | number | null>
    record_count: number | bigint
    file_size_in_bytes: number | bigint
    value_counts: Array<{ key: number, value: number | bigint }> | null
    null_value_counts: Array<{ key: number, value: number | bigint }> | null
    lower_bounds: Array<{ key: number, value: Uint8Array }> | null
    upper_bounds: Array<{ key: number, value: Uint8Array }> | null
  }
}
