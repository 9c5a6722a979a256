import fs from 'node:fs'
import path from 'node:path'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { SluiceError } from '../schemas/errors.ts'
import { duckType, quote } from './iceberg/parquet.ts'
import type { Snapshot } from './iceberg/metadata.ts'
import { IcebergTable } from './iceberg/table.ts'

export interface TravelOptions {
  /** A snapshot id of one of the tables; the others are read at their current snapshot. */
  snapshotId?: number
  /** Every table as it was at this time: its last snapshot committed at or before it. */
  asOf?: Date
}

export interface LakeSession {
  connection: DuckDBConnection
  /** Table name -> the snapshot its view reads (undefined: the table has no snapshot yet). */
  tables: Map<string, Snapshot | undefined>
  close: () => void
}

function chooseSnapshot (table: IcebergTable, travel: TravelOptions): Snapshot | undefined {
  const snapshots = table.metadata.snapshots
  if (travel.snapshotId !== undefined) {
    const named = snapshots.find(s => s['snapshot-id'] === travel.snapshotId)
    if (named !== undefined) return named
  }
  if (travel.asOf !== undefined) {
    return snapshots.filter(s => s['timestamp-ms'] <= travel.asOf!.getTime()).at(-1)
  }
  return snapshots.find(s => s['snapshot-id'] === table.metadata['current-snapshot-id'])
}

/**
 * An in-memory DuckDB with one view per lake table over the data files of the chosen snapshot.
 * A table without data gets an empty view with its columns, so queries still plan.
 */
export async function openLake (lakeDir: string, travel: TravelOptions = {}): Promise<LakeSession> {
  const instance = await DuckDBInstance.create(':memory:')
  const connection = await instance.connect()
  const tables = new Map<string, Snapshot | undefined>()
  const names = fs.existsSync(lakeDir) ? fs.readdirSync(lakeDir).filter(n => fs.existsSync(path.join(lakeDir, n, 'metadata'))) : []
  for (const name of names.sort()) {
    const table = IcebergTable.load(path.join(lakeDir, name))
    const snapshot = chooseSnapshot(table, travel)
    const files = snapshot === undefined ? [] : table.dataFiles(snapshot).map(f => f.path)
    const schema = table.metadata.schemas.find(s => s['schema-id'] === table.metadata['current-schema-id'])!
    const body = files.length > 0
      ? `SELECT * FROM read_parquet([${files.map(quote).join(', ')}], hive_partitioning = false)`
      : `SELECT ${schema.fields.map(f => `NULL::${duckType(f.type)} AS "${f.name}"`).join(', ')} WHERE false`
    await connection.run(`CREATE VIEW "${name}" AS ${body}`)
    tables.set(name, snapshot)
  }
  if (travel.snapshotId !== undefined && ![...tables.values()].some(s => s?.['snapshot-id'] === travel.snapshotId)) {
    connection.closeSync()
    instance.closeSync()
    throw new SluiceError('config', `--snapshot ${travel.snapshotId}: no table in ${lakeDir} has that snapshot (see sluice lake log <table>)`, { retryable: false })
  }
  return { connection, tables, close: () => { connection.closeSync(); instance.closeSync() } }
}
