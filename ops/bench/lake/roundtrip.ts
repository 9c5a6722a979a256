import { DuckDBBlobValue, DuckDBInstance } from '@duckdb/node-api'
import type { Document } from '../../../schemas/document.ts'
import { documentRow, DOCUMENTS_SCHEMA } from '../../../lake/documents-table.ts'
import { duckType, quote } from '../../../lake/iceberg/parquet.ts'
import type { IcebergField } from '../../../lake/iceberg/schema.ts'

export interface RoundTrip {
  rows: number
  /** String values (top-level and nested) that did not come back byte for byte, with the first few named. */
  mismatches: number
  examples: string[]
  /** Columns whose DuckDB type differs from what the documents table declares. */
  typeDiffs: string[]
  /** Every column carries its Iceberg field id. */
  fieldIds: boolean
}

/** Paths of every string column, nested ones as `provenance.file`. */
function stringColumns (fields: IcebergField[], prefix = ''): string[][] {
  return fields.flatMap(f => typeof f.type === 'string'
    ? (f.type === 'string' ? [[...(prefix === '' ? [] : [prefix]), f.name]] : [])
    : stringColumns(f.type.fields, f.name))
}

const bytes = (v: unknown): Buffer | null => {
  if (v === null || v === undefined) return null
  if (v instanceof DuckDBBlobValue) return Buffer.from(v.bytes)
  return Buffer.from(String(v), 'utf8')
}

function expectedValue (row: Record<string, unknown>, path: string[]): unknown {
  let v: unknown = row
  for (const p of path) v = v === null || v === undefined ? null : (v as Record<string, unknown>)[p]
  return v
}

/**
 * Reads a written file back with DuckDB in file order and compares every string value with the
 * input as UTF-8 bytes (null and empty kept apart); also reports column types and field ids.
 */
export async function roundTrip (file: string, docs: readonly Document[]): Promise<RoundTrip> {
  const db = await DuckDBInstance.create(':memory:')
  const connection = await db.connect()
  try {
    const source = `read_parquet(${quote(file)}, file_row_number = true)`
    const described = (await connection.runAndReadAll(`DESCRIBE SELECT * EXCLUDE (file_row_number) FROM ${source}`)).getRowObjects()
    const typeDiffs = DOCUMENTS_SCHEMA.fields.flatMap(f => {
      const got = described.find(d => d.column_name === f.name)?.column_type
      const want = duckType(f.type).replace(/"/g, '').replace(/TIMESTAMPTZ/g, 'TIMESTAMP WITH TIME ZONE')
      return String(got).replace(/"/g, '') === want ? [] : [`${f.name}: ${String(got ?? 'missing')}`]
    })
    // the first schema element is the root, which has no field id in any writer
    const ids = (await connection.runAndReadAll(`SELECT count(*) FILTER (WHERE field_id IS NULL AND n > 1) AS missing FROM (SELECT field_id, row_number() OVER () AS n FROM parquet_schema(${quote(file)}))`)).getRowObjects()
    const paths = stringColumns(DOCUMENTS_SCHEMA.fields)
    // as bytes: node-api drops a leading U+FEFF when it turns a VARCHAR into a JS string
    const reader = await connection.runAndReadAll(`SELECT ${paths.map(p => `encode(${p.map(s => `"${s}"`).join('.')})`).join(', ')} FROM ${source} ORDER BY file_row_number`)
    const columns = reader.getColumns()
    const rows = docs.map(documentRow)
    let mismatches = 0
    const examples: string[] = []
    const count = columns[0]?.length ?? 0
    if (count !== rows.length) examples.push(`${count} rows read, ${rows.length} written`)
    for (let c = 0; c < paths.length; c++) {
      for (let i = 0; i < Math.min(count, rows.length); i++) {
        const want = bytes(expectedValue(rows[i]!, paths[c]!))
        const got = bytes(columns[c]![i])
        if (want === null ? got === null : got !== null && want.equals(got)) continue
        mismatches++
        if (examples.length < 3) examples.push(`row ${i} ${paths[c]!.join('.')}: wrote ${JSON.stringify(want?.toString('utf8').slice(0, 40) ?? null)}, read ${JSON.stringify(got?.toString('utf8').slice(0, 40) ?? null)}`)
      }
    }
    return { rows: count, mismatches: mismatches + Math.abs(count - rows.length), examples, typeDiffs, fieldIds: Number(ids[0]?.missing) === 0 }
  } finally {
    connection.closeSync()
    db.closeSync()
  }
}
