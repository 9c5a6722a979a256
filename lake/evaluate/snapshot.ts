import path from 'node:path'
import { SluiceError } from '../../schemas/errors.ts'
import type { Snapshot } from '../iceberg/metadata.ts'
import { IcebergTable } from '../iceberg/table.ts'

/** The documents table and the snapshot to evaluate (the current one by default), or a config error saying what to do. */
export function documentsSnapshot (lakeDir: string, snapshotId?: number): { table: IcebergTable, snapshot: Snapshot } {
  const table = IcebergTable.tryLoad(path.join(lakeDir, 'documents'))
  if (table === null) throw new SluiceError('config', `no documents table in ${lakeDir} (pass --lake <dir>, or fill it with sluice run / sluice lake sink)`, { retryable: false })
  const id = snapshotId ?? table.metadata['current-snapshot-id']
  const snapshot = table.metadata.snapshots.find(s => s['snapshot-id'] === id)
  if (snapshot === undefined) {
    throw new SluiceError('config', snapshotId === undefined
      ? `the documents table in ${lakeDir} has no snapshot yet`
      : `--snapshot ${snapshotId}: documents has no such snapshot (see sluice lake log documents)`, { retryable: false })
  }
  return { table, snapshot }
}
