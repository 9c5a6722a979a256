import fs from 'node:fs'
import path from 'node:path'
import crypto from 'node:crypto'
import { DuckDBInstance } from '@duckdb/node-api'
import { auditSchema, type AuditRow } from '../schemas/audit.ts'
import type { PartitionSpec } from './iceberg/metadata.ts'
import { quote, writeParquet } from './iceberg/parquet.ts'
import { partitionOf } from './iceberg/partition.ts'
import { icebergSchema } from './iceberg/schema.ts'
import { IcebergTable } from './iceberg/table.ts'

/** The `audits` table: data-evaluation results (`schemas/audit.ts`), partitioned by the evaluated table. */
export const AUDITS_SCHEMA = icebergSchema(auditSchema.arrowSchema())

export const AUDITS_SPEC: PartitionSpec = {
  'spec-id': 0,
  fields: [{ name: 'table_name', transform: 'identity', 'source-id': AUDITS_SCHEMA.fields.find(f => f.name === 'table_name')!.id, 'field-id': 1000 }]
}

export function openAuditsTable (lakeDir: string): IcebergTable {
  return IcebergTable.create(path.join(lakeDir, 'audits'), AUDITS_SCHEMA, AUDITS_SPEC)
}

/** Appends the rows of one evaluation (one evaluated table) as one file in one snapshot; returns the snapshot id. */
export async function appendAudits (lakeDir: string, rows: AuditRow[]): Promise<number> {
  const table = openAuditsTable(lakeDir)
  const { values, folder } = partitionOf(AUDITS_SPEC, AUDITS_SCHEMA, rows[0]!)
  if (rows.some(r => r.table_name !== rows[0]!.table_name)) throw new Error('appendAudits: the rows of one append evaluate one table')
  const dir = path.join(table.dataDir, folder)
  fs.mkdirSync(dir, { recursive: true })
  const written = await writeParquet(AUDITS_SCHEMA, rows.map(r => auditSchema.parse(r)), path.join(dir, `audit-${crypto.randomUUID()}.parquet`))
  const snapshot = table.append([{ ...written, partition: values }], { 'sluice.evaluation-id': rows[0]!.evaluation_id })
  return snapshot['snapshot-id']
}

/** Every audit row of a table's evaluations (oldest first); empty when the lake has no audits table. */
export async function readAudits (lakeDir: string, tableName: string): Promise<AuditRow[]> {
  const table = IcebergTable.tryLoad(path.join(lakeDir, 'audits'))
  const files = table?.dataFiles().map(f => f.path) ?? []
  if (files.length === 0) return []
  const db = await DuckDBInstance.create(':memory:')
  const connection = await db.connect()
  try {
    const result = await connection.runAndReadAll(
      `SELECT * REPLACE (epoch_ms(evaluated_at) AS evaluated_at) FROM read_parquet([${files.map(quote).join(', ')}], hive_partitioning = false)
       WHERE table_name = $table ORDER BY evaluated_at, evaluation_id, metric`, { table: tableName })
    return result.getRowObjectsJS().map(r => auditSchema.parse({
      ...Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])),
      evaluated_at: new Date(Number(r.evaluated_at)).toISOString()
    }))
  } finally {
    connection.closeSync()
    db.closeSync()
  }
}
