import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { readAvroFile } from '../avro/decode.ts'
import { writeAvroFile } from '../avro/encode.ts'
import { manifestEntrySchema, MANIFEST_LIST_SCHEMA, type ManifestListEntry } from './manifests.ts'
import { currentSnapshot, type PartitionSpec, type Snapshot, type TableMetadata } from './metadata.ts'
import { lastColumnId, type IcebergSchema } from './schema.ts'

export interface DataFileEntry {
  path: string
  recordCount: number
  fileSizeInBytes: number
  /** Partition values by partition field name (day transforms as days since 1970-01-01). */
  partition: Record<string, string | number | null>
}

const METADATA_FILE = /^v(\d+)\.metadata\.json$/

/** The highest `vN.metadata.json`: the current version, since commits only ever add N+1. */
function latestVersion (metadataDir: string): number {
  let latest = 0
  for (const name of fs.existsSync(metadataDir) ? fs.readdirSync(metadataDir) : []) {
    const m = METADATA_FILE.exec(name)
    if (m !== null) latest = Math.max(latest, Number(m[1]))
  }
  return latest
}

// Snapshot ids are JSON numbers in the metadata; keeping them below 2^53 keeps them exact in JS.
const newSnapshotId = () => Number(crypto.randomBytes(8).readBigUInt64BE() % BigInt(Number.MAX_SAFE_INTEGER)) + 1

/**
 * An Iceberg v2 table in a folder: Parquet data files under `data/`, Avro manifests, manifest
 * lists and `vN.metadata.json` under `metadata/`. A commit writes everything new first and
 * publishes it last by creating `v(N+1).metadata.json` with a hard link, which fails if another
 * writer took N+1: that is the compare-and-swap, and the loser rebases on the winner and retries.
 */
export class IcebergTable {
  private constructor (readonly dir: string, private meta: TableMetadata, private version: number) {}

  static create (dir: string, schema: IcebergSchema, spec: PartitionSpec, properties: Record<string, string> = {}): IcebergTable {
    const existing = IcebergTable.tryLoad(dir)
    if (existing !== null) return existing
    const now = Date.now()
    const meta: TableMetadata = {
      'format-version': 2,
      'table-uuid': crypto.randomUUID(),
      location: path.resolve(dir),
      'last-sequence-number': 0,
      'last-updated-ms': now,
      'last-column-id': lastColumnId(schema),
      'current-schema-id': schema['schema-id'],
      schemas: [schema],
      'default-spec-id': spec['spec-id'],
      'partition-specs': [spec],
      'last-partition-id': Math.max(999, ...spec.fields.map(f => f['field-id'])),
      'default-sort-order-id': 0,
      'sort-orders': [{ 'order-id': 0, fields: [] }],
      properties,
      'current-snapshot-id': -1,
      refs: {},
      snapshots: [],
      'snapshot-log': [],
      'metadata-log': []
    }
    const table = new IcebergTable(path.resolve(dir), meta, 0)
    fs.mkdirSync(table.metadataDir, { recursive: true })
    // losing this race means another process created the table: load theirs
    table.publish(meta, 1)
    return IcebergTable.load(dir)
  }

  static tryLoad (dir: string): IcebergTable | null {
    const metadataDir = path.join(dir, 'metadata')
    const version = latestVersion(metadataDir)
    if (version === 0) return null
    const meta = JSON.parse(fs.readFileSync(path.join(metadataDir, `v${version}.metadata.json`), 'utf8')) as TableMetadata
    return new IcebergTable(path.resolve(dir), meta, version)
  }

  static load (dir: string): IcebergTable {
    const table = IcebergTable.tryLoad(dir)
    if (table === null) throw new Error(`no Iceberg table in ${dir}`)
    return table
  }

  get metadata (): TableMetadata { return this.meta }
  get metadataDir (): string { return path.join(this.dir, 'metadata') }
  get metadataFile (): string { return path.join(this.metadataDir, `v${this.version}.metadata.json`) }
  get dataDir (): string { return path.join(this.dir, 'data') }

  /** The live data files of a snapshot (the current one by default), read from its manifests. */
  dataFiles (snapshot: Snapshot | undefined = currentSnapshot(this.meta)): DataFileEntry[] {
    if (snapshot === undefined) return []
    const files: DataFileEntry[] = []
    for (const m of readAvroFile(fs.readFileSync(snapshot['manifest-list'])).records as ManifestListEntry[]) {
      for (const e of readAvroFile(fs.readFileSync(m.manifest_path)).records as Array<{ status: number, data_file: { file_path: string, record_count: number, file_size_in_bytes: number, partition: Record<string, string | number | null> } }>) {
        if (e.status === 2) continue
        files.push({ path: e.data_file.file_path, recordCount: Number(e.data_file.record_count), fileSizeInBytes: Number(e.data_file.file_size_in_bytes), partition: e.data_file.partition })
      }
    }
    return files
  }

  /** Appends data files in one new snapshot; `summary` adds to its summary (e.g. Kafka offsets). */
  append (files: DataFileEntry[], summary: Record<string, string> = {}): Snapshot {
    for (;;) {
      const fresh = IcebergTable.load(this.dir)
      this.meta = fresh.meta
      this.version = fresh.version
      const written: string[] = []
      const snapshot = this.stage(files, summary, written)
      const next: TableMetadata = {
        ...this.meta,
        'last-sequence-number': snapshot['sequence-number'],
        'last-updated-ms': snapshot['timestamp-ms'],
        'current-snapshot-id': snapshot['snapshot-id'],
        refs: { ...this.meta.refs, main: { 'snapshot-id': snapshot['snapshot-id'], type: 'branch' } },
        snapshots: [...this.meta.snapshots, snapshot],
        'snapshot-log': [...this.meta['snapshot-log'], { 'timestamp-ms': snapshot['timestamp-ms'], 'snapshot-id': snapshot['snapshot-id'] }],
        'metadata-log': [...this.meta['metadata-log'], { 'timestamp-ms': this.meta['last-updated-ms'], 'metadata-file': this.metadataFile }]
      }
      if (this.publish(next, this.version + 1)) {
        this.meta = next
        this.version++
        return snapshot
      }
      // another writer committed first: drop what we staged and rebase on its metadata
      for (const f of written) fs.rmSync(f, { force: true })
    }
  }

  private stage (files: DataFileEntry[], extra: Record<string, string>, written: string[]): Snapshot {
    const spec = this.meta['partition-specs'].find(s => s['spec-id'] === this.meta['default-spec-id'])!
    const schema = this.meta.schemas.find(s => s['schema-id'] === this.meta['current-schema-id'])!
    const parent = currentSnapshot(this.meta)
    const snapshotId = newSnapshotId()
    const sequence = this.meta['last-sequence-number'] + 1
    const now = Date.now()
    const manifestPath = path.join(this.metadataDir, `${crypto.randomUUID()}-m0.avro`)
    const manifest = writeAvroFile(manifestEntrySchema(spec, schema), files.map(f => ({
      status: 1,
      snapshot_id: snapshotId,
      sequence_number: null,
      file_sequence_number: null,
      data_file: {
        content: 0, file_path: f.path, file_format: 'PARQUET', partition: f.partition,
        record_count: f.recordCount, file_size_in_bytes: f.fileSizeInBytes, value_counts: null, null_value_counts: null
      }
    })), {
      metadata: {
        schema: JSON.stringify(schema),
        'schema-id': String(schema['schema-id']),
        'partition-spec': JSON.stringify(spec.fields),
        'partition-spec-id': String(spec['spec-id']),
        'format-version': '2',
        content: 'data'
      },
      codec: 'deflate'
    })
    fs.writeFileSync(manifestPath, manifest)
    written.push(manifestPath)
    const rows = files.reduce((s, f) => s + f.recordCount, 0)
    const previous = parent === undefined ? [] : readAvroFile(fs.readFileSync(parent['manifest-list'])).records as ManifestListEntry[]
    const entries: ManifestListEntry[] = [{
      manifest_path: manifestPath,
      manifest_length: manifest.length,
      partition_spec_id: spec['spec-id'],
      content: 0,
      sequence_number: sequence,
      min_sequence_number: sequence,
      added_snapshot_id: snapshotId,
      added_files_count: files.length,
      existing_files_count: 0,
      deleted_files_count: 0,
      added_rows_count: rows,
      existing_rows_count: 0,
      deleted_rows_count: 0
    }, ...previous]
    const listPath = path.join(this.metadataDir, `snap-${snapshotId}-1-${crypto.randomUUID()}.avro`)
    fs.writeFileSync(listPath, writeAvroFile(MANIFEST_LIST_SCHEMA, entries, {
      metadata: {
        'snapshot-id': String(snapshotId),
        'parent-snapshot-id': parent === undefined ? 'null' : String(parent['snapshot-id']),
        'sequence-number': String(sequence),
        'format-version': '2'
      },
      codec: 'deflate'
    }))
    written.push(listPath)
    const totalRecords = Number(parent?.summary['total-records'] ?? 0) + rows
    const totalFiles = Number(parent?.summary['total-data-files'] ?? 0) + files.length
    return {
      'snapshot-id': snapshotId,
      ...(parent === undefined ? {} : { 'parent-snapshot-id': parent['snapshot-id'] }),
      'sequence-number': sequence,
      'timestamp-ms': now,
      'manifest-list': listPath,
      summary: {
        operation: 'append',
        'added-data-files': String(files.length),
        'added-records': String(rows),
        'total-data-files': String(totalFiles),
        'total-records': String(totalRecords),
        ...extra
      },
      'schema-id': schema['schema-id']
    }
  }

  /** Creates `v<version>.metadata.json` unless it exists; false when another writer got there first. */
  private publish (meta: TableMetadata, version: number): boolean {
    const tmp = path.join(this.metadataDir, `.tmp-${crypto.randomUUID()}.json`)
    fs.writeFileSync(tmp, JSON.stringify(meta, null, 2))
    try {
      fs.linkSync(tmp, path.join(this.metadataDir, `v${version}.metadata.json`))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
      throw err
    } finally {
      fs.rmSync(tmp, { force: true })
    }
    const hint = path.join(this.metadataDir, `.version-hint-${crypto.randomUUID()}`)
    fs.writeFileSync(hint, String(version))
    fs.renameSync(hint, path.join(this.metadataDir, 'version-hint.text'))
    return true
  }
}
