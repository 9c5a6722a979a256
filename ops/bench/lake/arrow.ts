import { Field, Int32, Int64, RecordBatch, Schema, Struct, Table, TimestampMicrosecond, Utf8, vectorFromArray, type DataType } from 'apache-arrow'
import type { Document } from '../../../schemas/document.ts'
import { documentRow, DOCUMENTS_SCHEMA } from '../../../lake/documents-table.ts'
import type { IcebergField } from '../../../lake/iceberg/schema.ts'

/** The arrow-rs and Arrow C++ Parquet writers read a field's Iceberg id from this metadata key. */
const FIELD_ID = 'PARQUET:field_id'

const ARROW_TYPES: Record<string, () => DataType> = {
  string: () => new Utf8(), int: () => new Int32(), long: () => new Int64(), timestamptz: () => new TimestampMicrosecond('UTC')
}

function arrowField (f: IcebergField): Field {
  const type = typeof f.type === 'string' ? ARROW_TYPES[f.type]!() : new Struct(f.type.fields.map(arrowField))
  return new Field(f.name, type, !f.required, new Map([[FIELD_ID, String(f.id)]]))
}

/** The documents schema as Arrow, with Iceberg field ids and the types DuckDB writes (timestamps in µs, UTC). */
export const DOCUMENTS_ARROW = new Schema(DOCUMENTS_SCHEMA.fields.map(arrowField))

function arrowValue (f: IcebergField, v: unknown): unknown {
  if (v === null || v === undefined) return null
  if (typeof f.type !== 'string') return Object.fromEntries(f.type.fields.map(c => [c.name, arrowValue(c, (v as Record<string, unknown>)[c.name])]))
  if (f.type === 'timestamptz') return Date.parse(v as string)
  if (f.type === 'long') return BigInt(v as number)
  return v
}

export function documentsArrowTable (docs: readonly Document[]): Table {
  const rows = docs.map(documentRow)
  const columns = Object.fromEntries(DOCUMENTS_SCHEMA.fields.map((f, i) => [f.name, vectorFromArray(rows.map(r => arrowValue(f, r[f.name])), DOCUMENTS_ARROW.fields[i]!.type)]))
  // the column map loses field metadata: put the schema with the ids back on the batches
  const table = new Table(columns)
  return new Table(DOCUMENTS_ARROW, table.batches.map(b => new RecordBatch(DOCUMENTS_ARROW, b.data)))
}
