import path from 'node:path'
import type { Snapshot } from './iceberg/metadata.ts'
import { IcebergTable } from './iceberg/table.ts'

/**
 * A snapshot of `documents` is published once every gate of a data evaluation passed on it
 * (write, audit, publish): it then carries the Iceberg tag `published-<snapshot id>`, which
 * pyiceberg and Spark see too and which `expire` never removes.
 */
const PREFIX = 'published-'

export const publishedTag = (snapshotId: number): string => `${PREFIX}${snapshotId}`

/** The published snapshots of a table, newest (by commit time) first. */
export function publishedSnapshots (table: IcebergTable): Snapshot[] {
  const ids = new Set(Object.entries(table.metadata.refs)
    .filter(([name, ref]) => ref.type === 'tag' && name === publishedTag(ref['snapshot-id']))
    .map(([, ref]) => ref['snapshot-id']))
  return table.metadata.snapshots.filter(s => ids.has(s['snapshot-id'])).sort((a, b) => b['timestamp-ms'] - a['timestamp-ms'])
}

export function publishSnapshot (table: IcebergTable, snapshotId: number): void {
  table.tag(publishedTag(snapshotId), snapshotId)
}

/**
 * The newest published snapshot of `documents`, what a trainer reads by default; null when none
 * is published (or the lake has no documents table).
 *
 * @example
 * const snapshotId = latestPublishedSnapshot('./lake')
 * if (snapshotId !== null) lake = await openLake('./lake', { snapshotId })
 */
export function latestPublishedSnapshot (lakeDir: string): number | null {
  const table = IcebergTable.tryLoad(path.join(lakeDir, 'documents'))
  return table === null ? null : publishedSnapshots(table)[0]?.['snapshot-id'] ?? null
}
