import crypto from 'node:crypto'
import path from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import type { Document } from '../schemas/document.ts'
import { SluiceError } from '../schemas/errors.ts'
import { DOCUMENT_JSON_COLUMNS, openDocumentsTable } from './documents-table.ts'
import { currentSnapshot } from './iceberg/metadata.ts'
import { quote, writeParquet } from './iceberg/parquet.ts'
import type { DataFileEntry } from './iceberg/table.ts'
import { carryOffsets } from './offsets.ts'
import { acquireLock, removeOwnOrphans } from './own-files.ts'

const RESCORE_FILE = /^rescore-[0-9a-f-]{36}\.parquet(\.ndjson)?$/

export interface RescoreResult { snapshotId: number, from: number, files: number, rows: number, changed: number }

/** Reads one data file's rows as objects in the documents schema (JSON columns parsed). */
async function readRows (file: string): Promise<Array<Record<string, unknown>>> {
  const db = await DuckDBInstance.create(':memory:')
  const connection = await db.connect()
  try {
    const result = await connection.runAndReadAll(`SELECT to_json(t)::VARCHAR AS row FROM read_parquet(${quote(file)}, hive_partitioning = false) t`)
    return result.getRowObjectsJS().map(r => {
      const row = JSON.parse(String(r.row)) as Record<string, unknown>
      for (const c of DOCUMENT_JSON_COLUMNS) if (typeof row[c] === 'string') row[c] = JSON.parse(row[c] as string)
      return row
    })
  } finally {
    connection.closeSync()
  }
}

/**
 * Re-scores the documents of a lake snapshot into a new `overwrite` snapshot of the documents
 * table: each data file of the snapshot is read, its rows go through `rescore` in order (which may
 * change signals and decisions, never ids or partitions), and the rewritten file takes its place.
 * Nothing is re-ingested; older snapshots still show the old scores (time travel, `lake log`).
 * Files the snapshot shares with later ones are rewritten too; a file that is no longer live
 * (compacted or replaced since) makes it fail: rescore the current snapshot instead.
 */
export async function rescoreSnapshot (lakeDir: string, snapshotId: number | undefined, rescore: (docs: Document[]) => Promise<Document[]>, message: string, log: (line: string) => void = () => {}): Promise<RescoreResult> {
  const table = openDocumentsTable(lakeDir)
  const release = acquireLock(path.join(table.dir, '.rescore.lock'), 'rescore')
  try {
    removeOwnOrphans(table, RESCORE_FILE)
    const snapshot = snapshotId === undefined ? currentSnapshot(table.metadata) : table.metadata.snapshots.find(s => s['snapshot-id'] === snapshotId)
    if (snapshot === undefined) throw new SluiceError('config', snapshotId === undefined ? 'the documents table has no snapshot yet' : `no snapshot ${snapshotId} in the documents table (see sluice lake log documents)`, { retryable: false })
    const files = table.dataFiles(snapshot)
    const live = new Set(table.dataFiles().map(f => f.path))
    const gone = files.filter(f => !live.has(f.path))
    if (gone.length > 0) throw new SluiceError('config', `snapshot ${snapshot['snapshot-id']}: ${gone.length} of its files are no longer live (compacted or replaced since), e.g. ${gone[0]!.path}; rescore the current snapshot`, { retryable: false })
    const schema = table.metadata.schemas.find(s => s['schema-id'] === table.metadata['current-schema-id'])!
    const added: DataFileEntry[] = []
    let rows = 0
    let changed = 0
    for (const [i, file] of files.entries()) {
      const before = await readRows(file.path)
      const after = await rescore(before as unknown as Document[])
      if (after.length !== before.length) throw new Error(`rescore of ${file.path} returned ${after.length} rows for ${before.length}`)
      for (let k = 0; k < after.length; k++) if (JSON.stringify(after[k]) !== JSON.stringify(before[k])) changed++
      const target = path.join(path.dirname(file.path), `rescore-${crypto.randomUUID()}.parquet`)
      const out = after.map(d => {
        const row: Record<string, unknown> = { ...d }
        for (const c of DOCUMENT_JSON_COLUMNS) row[c] = row[c] === null ? null : JSON.stringify(row[c])
        return row
      })
      added.push({ ...await writeParquet(schema, out, target), partition: file.partition })
      rows += after.length
      log(`rescored ${i + 1}/${files.length} files (${rows} rows)`)
    }
    const committed = table.commit({
      add: added,
      remove: files.map(f => f.path),
      rewritesRows: true,
      summary: parent => ({ ...carryOffsets(parent), 'sluice.operation': 'rescore', 'sluice.rescored-snapshot': String(snapshot['snapshot-id']), 'sluice.message': message })
    })
    return { snapshotId: committed['snapshot-id'], from: snapshot['snapshot-id'], files: files.length, rows, changed }
  } finally {
    release()
  }
}
