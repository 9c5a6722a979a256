import fs from 'node:fs'
import { DuckDBInstance } from '@duckdb/node-api'
import type { IcebergField, IcebergSchema, IcebergType } from './schema.ts'

const DUCK_TYPES: Record<string, string> = {
  string: 'VARCHAR', boolean: 'BOOLEAN', binary: 'BLOB', double: 'DOUBLE', timestamptz: 'TIMESTAMPTZ', long: 'BIGINT', int: 'INTEGER'
}

export function duckType (t: IcebergType): string {
  if (typeof t === 'string') return DUCK_TYPES[t]!
  return `STRUCT(${t.fields.map(f => `"${f.name}" ${duckType(f.type)}`).join(', ')})`
}

/** DuckDB's FIELD_IDS option: Iceberg readers match Parquet columns by these ids, not by name. */
function fieldIds (fields: IcebergField[]): string {
  return `{${fields.map(f => typeof f.type === 'string'
    ? `"${f.name}": ${f.id}`
    : `"${f.name}": {__duckdb_field_id: ${f.id}, ${fieldIds(f.type.fields).slice(1, -1)}}`).join(', ')}}`
}

export const quote = (s: string) => `'${s.replace(/'/g, "''")}'`

export interface WrittenFile { path: string, recordCount: number, fileSizeInBytes: number }

/**
 * Writes rows (JSON-ready objects in the table's schema, nested JSON columns already text) to one
 * zstd Parquet file with Iceberg field ids, through DuckDB: NDJSON in, `COPY` out, the fastest
 * byte-exact writer measured here (../shared/design/MEASURED.md). The NDJSON is a temporary file
 * next to the target, removed afterwards; hive partitioning is off because the target folder
 * names (`lang=en/`) would otherwise be read back as extra columns.
 */
export async function writeParquet (schema: IcebergSchema, rows: ReadonlyArray<Record<string, unknown>>, target: string): Promise<WrittenFile> {
  const ndjson = `${target}.ndjson`
  fs.writeFileSync(ndjson, rows.map(r => JSON.stringify(r)).join('\n') + '\n')
  const columns = `{${schema.fields.map(f => `"${f.name}": ${quote(duckType(f.type))}`).join(', ')}}`
  const db = await DuckDBInstance.create(':memory:')
  const connection = await db.connect()
  try {
    await connection.run(
      `COPY (SELECT * FROM read_json(${quote(ndjson)}, format = 'newline_delimited', hive_partitioning = false, columns = ${columns})) ` +
      `TO ${quote(target)} (FORMAT parquet, COMPRESSION zstd, FIELD_IDS ${fieldIds(schema.fields)})`
    )
  } finally {
    connection.closeSync()
    db.closeSync()
    fs.rmSync(ndjson, { force: true })
  }
  return { path: target, recordCount: rows.length, fileSizeInBytes: fs.statSync(target).size }
}
