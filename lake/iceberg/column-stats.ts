import type { DuckDBConnection } from '@duckdb/node-api'
import type { IcebergField, IcebergSchema } from './schema.ts'

/** Per-column metrics of one data file, by Iceberg field id, as manifests carry them. */
export interface ColumnStats {
  valueCounts: Map<number, number>
  nullCounts: Map<number, number>
  lowerBounds: Map<number, Uint8Array>
  upperBounds: Map<number, Uint8Array>
}

// Longer string bounds would bloat manifests with document text; readers treat a missing bound as "unknown".
const MAX_STRING_BOUND_BYTES = 32

/** Leaf fields by their Parquet column path ("provenance, file"), the way parquet_metadata names them. */
function leaves (fields: IcebergField[], prefix = ''): Map<string, IcebergField> {
  const out = new Map<string, IcebergField>()
  for (const f of fields) {
    const p = prefix === '' ? f.name : `${prefix}, ${f.name}`
    if (typeof f.type === 'string') out.set(p, f)
    else for (const [k, v] of leaves(f.type.fields, p)) out.set(k, v)
  }
  return out
}

/** DuckDB prints timestamptz statistics as `2026-11-28 12:04:49.798908+00`; Iceberg wants microseconds. */
function timestampMicros (text: string): bigint | null {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?\+00$/.exec(text)
  if (m === null) return null
  const seconds = BigInt(Date.parse(`${m[1]}T${m[2]}Z`) / 1000)
  return seconds * 1_000_000n + BigInt((m[3] ?? '').padEnd(6, '0'))
}

/** Iceberg's single-value binary serialization (spec appendix D) for the types Sluice bounds. */
function serialize (type: string, text: string): Uint8Array | null {
  switch (type) {
    case 'long': { const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(text)); return b }
    case 'int': { const b = Buffer.alloc(4); b.writeInt32LE(Number(text)); return b }
    case 'boolean': return Buffer.from([text === 'true' ? 1 : 0])
    case 'timestamptz': {
      const micros = timestampMicros(text)
      if (micros === null) return null
      const b = Buffer.alloc(8)
      b.writeBigInt64LE(micros)
      return b
    }
    case 'string': {
      const b = Buffer.from(text, 'utf8')
      return b.length <= MAX_STRING_BOUND_BYTES ? b : null
    }
    default: return null
  }
}

/** Orders serialized bounds as values: little-endian numbers by value, strings by their bytes. */
function compare (type: string, a: Uint8Array, b: Uint8Array): number {
  if (type === 'long' || type === 'timestamptz') {
    const x = Buffer.from(a).readBigInt64LE()
    const y = Buffer.from(b).readBigInt64LE()
    return x < y ? -1 : x > y ? 1 : 0
  }
  if (type === 'int') return Buffer.from(a).readInt32LE() - Buffer.from(b).readInt32LE()
  return Buffer.compare(a, b)
}

/**
 * Value and null counts of every leaf column, and lower/upper bounds where every row group has
 * exact, small ones, read from the footer DuckDB just wrote (no second scan of the data).
 */
export async function columnStats (connection: DuckDBConnection, file: string, schema: IcebergSchema): Promise<ColumnStats> {
  const byPath = leaves(schema.fields)
  const stats: ColumnStats = { valueCounts: new Map(), nullCounts: new Map(), lowerBounds: new Map(), upperBounds: new Map() }
  const unbounded = new Set<number>()
  const result = await connection.runAndReadAll(
    'SELECT path_in_schema AS path, num_values AS n, stats_null_count AS nulls, stats_min_value AS lo, stats_max_value AS hi, ' +
    'min_is_exact AS lo_exact, max_is_exact AS hi_exact, row_group_num_rows AS rows FROM parquet_metadata($file)', { file })
  for (const row of result.getRowObjectsJS()) {
    const field = byPath.get(String(row.path))
    if (field === undefined || typeof field.type !== 'string') continue
    const id = field.id
    stats.valueCounts.set(id, (stats.valueCounts.get(id) ?? 0) + Number(row.n))
    if (row.nulls !== null) stats.nullCounts.set(id, (stats.nullCounts.get(id) ?? 0) + Number(row.nulls))
    // a row group of nulls only has no bounds and constrains nothing
    if (row.nulls !== null && Number(row.nulls) === Number(row.rows)) continue
    const lo = row.lo === null || row.lo_exact !== true ? null : serialize(field.type, String(row.lo))
    const hi = row.hi === null || row.hi_exact !== true ? null : serialize(field.type, String(row.hi))
    if (lo === null || hi === null) { unbounded.add(id); continue }
    const lower = stats.lowerBounds.get(id)
    if (lower === undefined || compare(field.type, lo, lower) < 0) stats.lowerBounds.set(id, lo)
    const upper = stats.upperBounds.get(id)
    if (upper === undefined || compare(field.type, hi, upper) > 0) stats.upperBounds.set(id, hi)
  }
  // a bound that holds for some row groups only would let readers skip rows that match
  for (const id of unbounded) { stats.lowerBounds.delete(id); stats.upperBounds.delete(id) }
  return stats
}
