import crypto from 'node:crypto'
import path from 'node:path'
import { rewriteParquet } from './iceberg/parquet.ts'
import type { DataFileEntry, IcebergTable, LiveDataFile } from './iceberg/table.ts'
import { carryOffsets } from './offsets.ts'
import { acquireLock, COMPACT_FILE, removeOwnOrphans } from './own-files.ts'

export interface CompactOptions {
  /** Size a rewritten file aims at. */
  targetBytes: number
  /** Files below this size are "small" and worth rewriting (default: three quarters of the target). */
  smallBytes?: number
  log?: (line: string) => void
}

export interface CompactResult {
  /** The new snapshot, or null when no partition had two or more small files. */
  snapshotId: number | null
  filesRemoved: number
  filesAdded: number
  rows: number
}

/** Groups a partition's small files, oldest first, into bins of about the target size; a bin of one file is left alone. */
function bins (files: LiveDataFile[], targetBytes: number): LiveDataFile[][] {
  const out: LiveDataFile[][] = []
  let bin: LiveDataFile[] = []
  let size = 0
  for (const f of [...files].sort((a, b) => a.sequenceNumber - b.sequenceNumber)) {
    if (bin.length > 0 && size + f.fileSizeInBytes > targetBytes) {
      out.push(bin)
      bin = []
      size = 0
    }
    bin.push(f)
    size += f.fileSizeInBytes
  }
  out.push(bin)
  return out.filter(b => b.length > 1)
}

/**
 * Rewrites the small files of each partition into files of about `targetBytes`, in one `replace`
 * snapshot that keeps the Kafka offsets of its parent (the sink resumes from them). Rows keep
 * their input order. Older snapshots still list the small files, so time travel keeps working
 * until `expire` drops those snapshots and, with them, the files.
 */
export async function compactTable (table: IcebergTable, opts: CompactOptions): Promise<CompactResult> {
  const release = acquireLock(path.join(table.dir, '.compact.lock'), 'compaction')
  try {
    const leftovers = removeOwnOrphans(table, COMPACT_FILE)
    if (leftovers > 0) opts.log?.(`removed ${leftovers} files an interrupted compaction wrote but never committed`)
    const small = opts.smallBytes ?? Math.floor(opts.targetBytes * 0.75)
    const byPartition = new Map<string, LiveDataFile[]>()
    for (const f of table.dataFiles()) {
      if (f.fileSizeInBytes >= small) continue
      const key = JSON.stringify(f.partition)
      byPartition.set(key, [...(byPartition.get(key) ?? []), f])
    }
    const schema = table.metadata.schemas.find(s => s['schema-id'] === table.metadata['current-schema-id'])!
    const added: DataFileEntry[] = []
    const removed: LiveDataFile[] = []
    for (const files of byPartition.values()) {
      for (const bin of bins(files, opts.targetBytes)) {
        const target = path.join(path.dirname(bin[0]!.path), `compact-${crypto.randomUUID()}.parquet`)
        const written = await rewriteParquet(schema, bin.map(f => f.path), target)
        const expected = bin.reduce((n, f) => n + f.recordCount, 0)
        if (written.recordCount !== expected) throw new Error(`compaction of ${bin.length} files wrote ${written.recordCount} rows, expected ${expected}`)
        added.push({ ...written, partition: bin[0]!.partition })
        removed.push(...bin)
        opts.log?.(`rewrote ${bin.length} files (${expected} rows) into ${path.relative(table.dir, target)}`)
      }
    }
    if (added.length === 0) return { snapshotId: null, filesRemoved: 0, filesAdded: 0, rows: 0 }
    const snapshot = table.commit({
      add: added,
      remove: removed.map(f => f.path),
      summary: parent => ({ ...carryOffsets(parent), 'sluice.operation': 'compact', 'sluice.message': `compact: ${removed.length} small files rewritten into ${added.length} of about ${opts.targetBytes} bytes` })
    })
    return { snapshotId: snapshot['snapshot-id'], filesRemoved: removed.length, filesAdded: added.length, rows: removed.reduce((n, f) => n + f.recordCount, 0) }
  } finally {
    release()
  }
}
