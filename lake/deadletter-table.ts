import path from 'node:path'
import { deadLetterSchema, type DeadLetter } from '../schemas/deadletter.ts'
import type { PartitionSpec } from './iceberg/metadata.ts'
import { icebergSchema } from './iceberg/schema.ts'
import { IcebergTable } from './iceberg/table.ts'

/** The `deadletter` table: every record a stage could not use, with its stage, code, message and where it came from. */
export const DEADLETTER_SCHEMA = icebergSchema(deadLetterSchema.arrowSchema())

const fieldId = (name: string) => DEADLETTER_SCHEMA.fields.find(f => f.name === name)!.id

export const DEADLETTER_SPEC: PartitionSpec = {
  'spec-id': 0,
  fields: [
    { name: 'stage', transform: 'identity', 'source-id': fieldId('stage'), 'field-id': 1000 },
    { name: 'at_day', transform: 'day', 'source-id': fieldId('at'), 'field-id': 1001 }
  ]
}

export function openDeadLetterTable (lakeDir: string): IcebergTable {
  return IcebergTable.create(path.join(lakeDir, 'deadletter'), DEADLETTER_SCHEMA, DEADLETTER_SPEC)
}

/** A dead letter as a Parquet row: the rejected bytes travel as base64 text, decoded by the writer. */
export function deadLetterRow (d: DeadLetter): Record<string, unknown> {
  return { ...d, raw: d.raw === null ? null : Buffer.from(d.raw).toString('base64') }
}
