import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { readAvroFile } from '../avro/decode.ts'
import { writeAvroFile } from '../avro/encode.ts'
import type { ColumnStats } from './column-stats.ts'
import { manifestEntrySchema, MANIFEST_LIST_SCHEMA, type ManifestEntry, type ManifestListEntry } from './manifests.ts'
import { currentSnapshot, type PartitionSpec, type Snapshot, type TableMetadata } from './metadata.ts'
import { lastColumnId, type IcebergSchema } from './schema.ts'

export interface DataFileEntry {
  path: string
  recordCount: number
  fileSizeInBytes: number
  /** Partition values by partition field name (day transforms as days since 1970-01-01). */
  partition: Record<string, string | number | null>
  stats?: ColumnStats
}

/** A data file as a snapshot holds it: with the snapshot that added it and its data sequence number. */
export interface LiveDataFile extends DataFileEntry {
  addedSnapshotId: number
  sequenceNumber: number
}

export interface CommitRequest {
  add: DataFileEntry[]
  /** Paths of live files this commit removes (compaction); empty for an append. */
  remove?: string[]
  /** The added files hold the removed files' rows changed (a rescore: `overwrite`), not merely moved (compaction: `replace`). */
  rewritesRows?: boolean
  /** Extra summary entries, computed against the snapshot the commit lands on (it may be rebased). */
  summary?: (parent: Snapshot | undefined) => Record<string, string>
}

const toMap = <V>(m: Map<number, V> | undefined) => m === undefined ? null : [...m].map(([key, value]) => ({ key, value }))
const fromMap = <V>(a: Array<{ key: number, value: V }> | null) => a === null ? undefined : new Map(a.map(e => [e.key, e.value]))

function dataFileRecord (f: DataFileEntry): ManifestEntry['data_file'] {
  return {
    content: 0,
    file_path: f.path,
    file_format: 'PARQUET',
    partition: f.partition,
    record_count: f.recordCount,
    file_size_in_bytes: f.fileSizeInBytes,
    value_counts: toMap(f.stats?.valueCounts),
    null_value_counts: toMap(f.stats?.nullCounts),
    lower_bounds: toMap(f.stats?.lowerBounds),
    upper_bounds: toMap(f.stats?.upperBounds)
  }
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
  dataFiles (snapshot: Snapshot | undefined = currentSnapshot(this.meta)): LiveDataFile[] {
    if (snapshot === undefined) return []
    const files: LiveDataFile[] = []
    for (const m of this.manifests(snapshot)) {
      for (const e of readAvroFile(fs.readFileSync(m.manifest_path)).records as ManifestEntry[]) {
        if (e.status === 2) continue
        const d = e.data_file
        const stats = d.value_counts === null
          ? undefined
          : {
              valueCounts: fromMap(d.value_counts.map(v => ({ key: v.key, value: Number(v.value) })))!,
              nullCounts: fromMap(d.null_value_counts?.map(v => ({ key: v.key, value: Number(v.value) })) ?? []) ?? new Map(),
              lowerBounds: fromMap(d.lower_bounds) ?? new Map(),
              upperBounds: fromMap(d.upper_bounds) ?? new Map()
            }
        files.push({
          path: d.file_path,
          recordCount: Number(d.record_count),
          fileSizeInBytes: Number(d.file_size_in_bytes),
          partition: d.partition,
          ...(stats === undefined ? {} : { stats }),
          // null means "inherited from the manifest", which is how an added entry is written
          addedSnapshotId: Number(e.snapshot_id ?? m.added_snapshot_id),
          sequenceNumber: Number(e.sequence_number ?? m.sequence_number)
        })
      }
    }
    return files
  }

  /** The manifests a snapshot's manifest list names. */
  manifests (snapshot: Snapshot): ManifestListEntry[] {
    return readAvroFile(fs.readFileSync(snapshot['manifest-list'])).records as ManifestListEntry[]
  }

  /** Appends data files in one new snapshot; `summary` adds to its summary (e.g. Kafka offsets). */
  append (files: DataFileEntry[], summary: Record<string, string> = {}): Snapshot {
    return this.commit({ add: files, summary: () => summary })
  }

  /**
   * Commits one new snapshot that adds `add` and removes `remove` (an `append` when nothing is
   * removed, a `replace` otherwise). A writer that loses the compare-and-swap reloads the winner's
   * metadata and stages again on top of it, so concurrent commits are never lost; a removed file
   * that another writer removed first makes the commit fail instead.
   */
  commit (request: CommitRequest): Snapshot {
    for (;;) {
      this.reload()
      const written: string[] = []
      const snapshot = this.stage(request, written)
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

  /**
   * Drops the snapshots committed before `cutoffMs` (never the current or a tagged one) from the metadata,
   * then deletes the manifest lists, manifests and data files that only they referenced.
   * Returns what was removed.
   */
  expire (cutoffMs: number): { snapshots: number, files: string[] } {
    for (;;) {
      this.reload()
      // the current snapshot and tagged ones (published snapshots a trainer may pin) always stay
      const pinned = new Set([this.meta['current-snapshot-id'], ...Object.values(this.meta.refs).map(r => r['snapshot-id'])])
      const expired = this.meta.snapshots.filter(s => s['timestamp-ms'] < cutoffMs && !pinned.has(s['snapshot-id']))
      if (expired.length === 0) return { snapshots: 0, files: [] }
      const gone = new Set(expired.map(s => s['snapshot-id']))
      const kept = this.meta.snapshots.filter(s => !gone.has(s['snapshot-id']))
      const next: TableMetadata = {
        ...this.meta,
        'last-updated-ms': Date.now(),
        snapshots: kept,
        'snapshot-log': this.meta['snapshot-log'].filter(e => !gone.has(e['snapshot-id'])),
        'metadata-log': [...this.meta['metadata-log'], { 'timestamp-ms': this.meta['last-updated-ms'], 'metadata-file': this.metadataFile }]
      }
      const reachable = (snapshots: Snapshot[]) => {
        const files = new Set<string>()
        for (const s of snapshots) {
          files.add(s['manifest-list'])
          for (const m of this.manifests(s)) files.add(m.manifest_path)
          for (const f of this.dataFiles(s)) files.add(f.path)
        }
        return files
      }
      const stillUsed = reachable(kept)
      const candidates = [...reachable(expired)].filter(f => !stillUsed.has(f))
      if (!this.publish(next, this.version + 1)) continue
      this.meta = next
      this.version++
      for (const f of candidates) fs.rmSync(f, { force: true })
      return { snapshots: expired.length, files: candidates }
    }
  }

  /**
   * Points a tag (a named, immutable reference, spec "Snapshot References") at a snapshot, e.g. to
   * mark it published. The tag lives in the metadata, so readers such as pyiceberg see it too.
   */
  tag (name: string, snapshotId: number, properties: Record<string, string> = {}): void {
    for (;;) {
      this.reload()
      if (!this.meta.snapshots.some(s => s['snapshot-id'] === snapshotId)) throw new Error(`no snapshot ${snapshotId} in ${this.dir}`)
      const next: TableMetadata = {
        ...this.meta,
        'last-updated-ms': Date.now(),
        refs: { ...this.meta.refs, [name]: { 'snapshot-id': snapshotId, type: 'tag' } },
        properties: { ...this.meta.properties, ...properties },
        'metadata-log': [...this.meta['metadata-log'], { 'timestamp-ms': this.meta['last-updated-ms'], 'metadata-file': this.metadataFile }]
      }
      if (this.publish(next, this.version + 1)) {
        this.meta = next
        this.version++
        return
      }
    }
  }

  private reload (): void {
    const fresh = IcebergTable.load(this.dir)
    this.meta = fresh.meta
    this.version = fresh.version
  }

  private stage (request: CommitRequest, written: string[]): Snapshot {
    const spec = this.meta['partition-specs'].find(s => s['spec-id'] === this.meta['default-spec-id'])!
    const schema = this.meta.schemas.find(s => s['schema-id'] === this.meta['current-schema-id'])!
    const parent = currentSnapshot(this.meta)
    const snapshotId = newSnapshotId()
    const sequence = this.meta['last-sequence-number'] + 1
    const remove = new Set(request.remove ?? [])
    const entries: ManifestEntry[] = request.add.map(f => ({ status: 1, snapshot_id: snapshotId, sequence_number: null, file_sequence_number: null, data_file: dataFileRecord(f) }))
    let carried: ManifestListEntry[] = []
    let existingFiles = 0
    let existingRows = 0
    const removed: LiveDataFile[] = []
    if (remove.size === 0) {
      // an append leaves earlier manifests as they are and only adds one
      carried = parent === undefined ? [] : this.manifests(parent)
    } else {
      // a replace rewrites the whole file list into one manifest: what stays is "existing" with
      // its original snapshot and sequence number, what goes is "deleted"
      for (const f of this.dataFiles(parent)) {
        const gone = remove.delete(f.path)
        if (gone) removed.push(f)
        else { existingFiles++; existingRows += f.recordCount }
        entries.push({ status: gone ? 2 : 0, snapshot_id: gone ? snapshotId : f.addedSnapshotId, sequence_number: f.sequenceNumber, file_sequence_number: f.sequenceNumber, data_file: dataFileRecord(f) })
      }
      if (remove.size > 0) throw new Error(`cannot remove files the table no longer has: ${[...remove].slice(0, 3).join(', ')}`)
    }
    const manifestPath = path.join(this.metadataDir, `${crypto.randomUUID()}-m0.avro`)
    const manifest = writeAvroFile(manifestEntrySchema(spec, schema), entries, {
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
    const addedRows = request.add.reduce((n, f) => n + f.recordCount, 0)
    const removedRows = removed.reduce((n, f) => n + f.recordCount, 0)
    const list: ManifestListEntry[] = [{
      manifest_path: manifestPath,
      manifest_length: manifest.length,
      partition_spec_id: spec['spec-id'],
      content: 0,
      sequence_number: sequence,
      min_sequence_number: Math.min(sequence, ...entries.filter(e => e.status === 0).map(e => Number(e.sequence_number))),
      added_snapshot_id: snapshotId,
      added_files_count: request.add.length,
      existing_files_count: existingFiles,
      deleted_files_count: removed.length,
      added_rows_count: addedRows,
      existing_rows_count: existingRows,
      deleted_rows_count: removedRows
    }, ...carried]
    const listPath = path.join(this.metadataDir, `snap-${snapshotId}-1-${crypto.randomUUID()}.avro`)
    fs.writeFileSync(listPath, writeAvroFile(MANIFEST_LIST_SCHEMA, list, {
      metadata: {
        'snapshot-id': String(snapshotId),
        'parent-snapshot-id': parent === undefined ? 'null' : String(parent['snapshot-id']),
        'sequence-number': String(sequence),
        'format-version': '2'
      },
      codec: 'deflate'
    }))
    written.push(listPath)
    const totalRecords = Number(parent?.summary['total-records'] ?? 0) + addedRows - removedRows
    const totalFiles = Number(parent?.summary['total-data-files'] ?? 0) + request.add.length - removed.length
    return {
      'snapshot-id': snapshotId,
      ...(parent === undefined ? {} : { 'parent-snapshot-id': parent['snapshot-id'] }),
      'sequence-number': sequence,
      'timestamp-ms': Date.now(),
      'manifest-list': listPath,
      summary: {
        operation: removed.length === 0 ? 'append' : request.rewritesRows === true ? 'overwrite' : 'replace',
        'added-data-files': String(request.add.length),
        'added-records': String(addedRows),
        ...(removed.length === 0 ? {} : { 'deleted-data-files': String(removed.length), 'deleted-records': String(removedRows) }),
        'total-data-files': String(totalFiles),
        'total-records': String(totalRecords),
        ...request.summary?.(parent)
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
