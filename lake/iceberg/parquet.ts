import fs from 'node:fs'
import { DuckDBInstance } from '@duckdb/node-api'
import { columnStats, type ColumnStats } from './column-stats.ts'
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

export interface WrittenFile { path: string, recordCount: number, fileSizeInBytes: number, stats: ColumnStats }

/**
 * Writes rows (JSON-ready objects in the table's schema, nested JSON columns already text, binary
 * columns as base64 text) to one
 * zstd Parquet file with Iceberg field ids, through DuckDB: NDJSON in, `COPY` out, the fastest
 * byte-exact writer measured here (../shared/design/MEASURED.md). The NDJSON is a temporary file
 * next to the target, removed afterwards; hive partitioning is off because the target folder
 * names (`lang=en/`) would otherwise be read back as extra columns.
 */
export async function writeParquet (schema: IcebergSchema, rows: ReadonlyArray<Record<string, unknown>>, target: string): Promise<WrittenFile> {
  const ndjson = `${target}.ndjson`
  fs.writeFileSync(ndjson, rows.map(r => JSON.stringify(r)).join('\n') + '\n')
  // JSON has no bytes: binary columns arrive as base64 text and are decoded on the way out
  const columns = `{${schema.fields.map(f => `"${f.name}": ${quote(f.type === 'binary' ? 'VARCHAR' : duckType(f.type))}`).join(', ')}}`
  const select = schema.fields.map(f => f.type === 'binary' ? `from_base64("${f.name}") AS "${f.name}"` : `"${f.name}"`).join(', ')
  try {
    return await copyToParquet(schema, `SELECT ${select} FROM read_json(${quote(ndjson)}, format = 'newline_delimited', hive_partitioning = false, columns = ${columns})`, target)
  } finally {
    fs.rmSync(ndjson, { force: true })
  }
}

/** Rewrites Parquet files of a table into one file (compaction), rows in the order given. */
export async function rewriteParquet (schema: IcebergSchema, sources: string[], target: string): Promise<WrittenFile> {
  const columns = schema.fields.map(f => `"${f.name}"`).join(', ')
  return await copyToParquet(schema, `SELECT ${columns} FROM read_parquet([${sources.map(quote).join(', ')}], hive_partitioning = false)`, target)
}

async function copyToParquet (schema: IcebergSchema, query: string, target: string): Promise<WrittenFile> {
  const db = await DuckDBInstance.create(':memory:')
  const connection = await db.connect()
  try {
    const result = await connection.runAndReadAll(`COPY (${query}) TO ${quote(target)} (FORMAT parquet, COMPRESSION zstd, FIELD_IDS ${fieldIds(schema.fields)}, RETURN_STATS)`)
    const rows = Number(result.getRowObjectsJS()[0]?.count ?? 0)
    return { path: target, recordCount: rows, fileSizeInBytes: fs.statSync(target).size, stats: await columnStats(connection, target, schema) }
  } finally {
    connection.closeSync()
    db.closeSync()
  }
}
