import fs from 'node:fs'
import path from 'node:path'
import type { IcebergTable } from './iceberg/table.ts'
import { COMPACT_FILE, referencedFiles, SINK_FILE } from './own-files.ts'

export interface FileFinding {
  path: string
  kind: 'missing' | 'size_mismatch' | 'not_parquet' | 'uncommitted' | 'foreign'
  detail: string
}

const PARQUET_MAGIC = Buffer.from('PAR1')

function parquetMagicOk (file: string, size: number): boolean {
  if (size < 8) return false
  const fd = fs.openSync(file, 'r')
  try {
    const head = Buffer.alloc(4)
    const tail = Buffer.alloc(4)
    fs.readSync(fd, head, 0, 4, 0)
    fs.readSync(fd, tail, 0, 4, size - 4)
    return head.equals(PARQUET_MAGIC) && tail.equals(PARQUET_MAGIC)
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * What is wrong or strange in a table folder: data files of the current snapshot that are
 * missing, resized or not Parquet, and files under data/ that no snapshot references (Sluice's own
 * uncommitted writes, or foreign files). It only reports; nothing is deleted here.
 */
export function inspectTableFiles (table: IcebergTable): FileFinding[] {
  const findings: FileFinding[] = []
  for (const f of table.dataFiles()) {
    if (!fs.existsSync(f.path)) { findings.push({ path: f.path, kind: 'missing', detail: 'listed by the current snapshot but not on disk' }); continue }
    const size = fs.statSync(f.path).size
    if (size !== f.fileSizeInBytes) findings.push({ path: f.path, kind: 'size_mismatch', detail: `${size} bytes on disk, ${f.fileSizeInBytes} in the manifest` })
    else if (!parquetMagicOk(f.path, size)) findings.push({ path: f.path, kind: 'not_parquet', detail: 'no Parquet magic at its start or end (corrupt)' })
  }
  const live = referencedFiles(table)
  const walk = (dir: string) => {
    for (const e of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
      const full = path.join(dir, e.name)
      if (e.isDirectory()) { walk(full); continue }
      if (live.has(full)) continue
      if (SINK_FILE.test(e.name) || COMPACT_FILE.test(e.name)) {
        findings.push({ path: full, kind: 'uncommitted', detail: `written by a Sluice ${e.name.startsWith('sink-') ? 'sink' : 'compaction'} that stopped before committing; its next run removes it` })
      } else {
        findings.push({ path: full, kind: 'foreign', detail: 'not written by Sluice and not part of the table; left alone' })
      }
    }
  }
  walk(table.dataDir)
  return findings
}
