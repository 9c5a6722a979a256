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

export interface LinesOptions {
  /** Columns whose JSON values (objects, arrays) are stored as JSON text, e.g. a document's `signals`. */
  jsonColumns?: readonly string[]
}

/**
 * Writes NDJSON lines (one object per line in the table's schema; binary columns as base64 text)
 * to one zstd Parquet file with Iceberg field ids, through DuckDB: NDJSON in, `COPY` out, the
 * fastest byte-exact writer measured here (`npm run bench -- lake`). Taking lines rather than
 * objects lets the sink pass Kafka message bytes through without parsing them into objects and
 * back. The NDJSON is a temporary file next to the target, removed afterwards; hive partitioning
 * is off because the target folder names (`lang=en/`) would otherwise be read back as columns.
 */
export async function writeParquetLines (schema: IcebergSchema, lines: ReadonlyArray<string | Uint8Array>, target: string, opts: LinesOptions = {}): Promise<WrittenFile> {
  const ndjson = `${target}.ndjson`
  const newline = Buffer.from('\n')
  fs.writeFileSync(ndjson, Buffer.concat(lines.flatMap(l => [typeof l === 'string' ? Buffer.from(l) : l, newline])))
  const json = new Set(opts.jsonColumns ?? [])
  // JSON has no bytes: binary columns arrive as base64 text and are decoded on the way out
  const readAs = (f: IcebergField) => f.type === 'binary' ? 'VARCHAR' : json.has(f.name) ? 'JSON' : duckType(f.type)
  const columns = `{${schema.fields.map(f => `"${f.name}": ${quote(readAs(f))}`).join(', ')}}`
  const select = schema.fields.map(f => f.type === 'binary'
    ? `from_base64("${f.name}") AS "${f.name}"`
    : json.has(f.name) ? `"${f.name}"::VARCHAR AS "${f.name}"` : `"${f.name}"`).join(', ')
  try {
    const written = await copyToParquet(schema, `SELECT ${select} FROM read_json(${quote(ndjson)}, format = 'newline_delimited', hive_partitioning = false, columns = ${columns})`, target)
    if (written.recordCount !== lines.length) throw new Error(`${target}: wrote ${written.recordCount} rows of ${lines.length} lines`)
    return written
  } finally {
    fs.rmSync(ndjson, { force: true })
  }
}

/** `writeParquetLines` for rows as objects (JSON columns already text). */
export async function writeParquet (schema: IcebergSchema, rows: ReadonlyArray<Record<string, unknown>>, target: string): Promise<WrittenFile> {
  return await writeParquetLines(schema, rows.map(r => JSON.stringify(r)), target)
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
