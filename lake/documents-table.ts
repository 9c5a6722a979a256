import path from 'node:path'
import { documentSchema, type Document } from '../schemas/document.ts'
import type { PartitionSpec } from './iceberg/metadata.ts'
import { icebergSchema } from './iceberg/schema.ts'
import { IcebergTable } from './iceberg/table.ts'

/** The `documents` table: schema v1 of `schemas/document.ts`, partitioned by language and ingest day. */
export const DOCUMENTS_SCHEMA = icebergSchema(documentSchema.arrowSchema())

const fieldId = (name: string) => DOCUMENTS_SCHEMA.fields.find(f => f.name === name)!.id

export const DOCUMENTS_SPEC: PartitionSpec = {
  'spec-id': 0,
  fields: [
    { name: 'lang', transform: 'identity', 'source-id': fieldId('lang'), 'field-id': 1000 },
    { name: 'ingested_at_day', transform: 'day', 'source-id': fieldId('ingested_at'), 'field-id': 1001 }
  ]
}

export function openDocumentsTable (lakeDir: string): IcebergTable {
  return IcebergTable.create(path.join(lakeDir, 'documents'), DOCUMENTS_SCHEMA, DOCUMENTS_SPEC)
}

/** The open-ended columns: JSON in a document, JSON text in the table. */
export const DOCUMENT_JSON_COLUMNS = ['signals', 'meta'] as const

/** A document as a Parquet row: the open-ended JSON columns travel as JSON text. */
export function documentRow (d: Document): Record<string, unknown> {
  return { ...d, signals: JSON.stringify(d.signals), meta: d.meta === null ? null : JSON.stringify(d.meta) }
}
