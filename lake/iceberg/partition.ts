import type { PartitionSpec } from './metadata.ts'
import type { IcebergSchema } from './schema.ts'

export type PartitionValues = Record<string, string | number | null>

const DAY_MS = 86_400_000

/**
 * A row's partition under a spec: the values the manifest records (a day transform as days since
 * 1970-01-01) and the Hive-style folder the data file goes to (`lang=zh/ingested_at_day=2026-11-28`).
 */
export function partitionOf (spec: PartitionSpec, schema: IcebergSchema, row: Record<string, unknown>): { values: PartitionValues, folder: string } {
  const values: PartitionValues = {}
  const parts: string[] = []
  for (const f of spec.fields) {
    const source = schema.fields.find(s => s.id === f['source-id'])!
    const raw = row[source.name]
    if (f.transform === 'day') {
      const day = raw === null || raw === undefined ? null : Math.floor(Date.parse(String(raw)) / DAY_MS)
      values[f.name] = day
      parts.push(`${f.name}=${day === null ? '__null__' : new Date(day * DAY_MS).toISOString().slice(0, 10)}`)
    } else {
      const value = raw === null || raw === undefined ? null : String(raw)
      values[f.name] = value
      parts.push(`${f.name}=${value === null ? '__null__' : encodeURIComponent(value)}`)
    }
  }
  return { values, folder: parts.join('/') }
}
