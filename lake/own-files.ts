import fs from 'node:fs'
import path from 'node:path'
import { SluiceError } from '../schemas/errors.ts'
import type { IcebergTable } from './iceberg/table.ts'

// Sluice names the data files it writes by writer, so it can tell its own leftovers from anything
// else in a table folder: only these are ever deleted, and only when provably uncommitted.
export const SINK_FILE = /^sink-[0-9a-f-]{36}\.parquet(\.ndjson)?$/
export const COMPACT_FILE = /^compact-[0-9a-f-]{36}\.parquet$/

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * An exclusive lock file holding the owner's pid (one sink per lake, one compaction per table).
 * A lock whose process is gone (a SIGKILLed writer) is taken over. Returns the release function.
 */
export function acquireLock (lock: string, what: string): () => void {
  fs.mkdirSync(path.dirname(lock), { recursive: true })
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' })
      return () => fs.rmSync(lock, { force: true })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    const owner = Number(fs.readFileSync(lock, 'utf8'))
    if (Number.isInteger(owner) && owner > 0 && alive(owner)) {
      throw new SluiceError('config', `another ${what} (pid ${owner}) holds ${lock}; stop it first, or remove the file if that process is not a Sluice ${what}`, { retryable: false })
    }
    // the owner died without releasing: only a crash does that, so its lock is ours to take
    fs.rmSync(lock, { force: true })
  }
}

/** Every data file any snapshot of the table references. */
export function referencedFiles (table: IcebergTable): Set<string> {
  return new Set(table.metadata.snapshots.flatMap(s => table.dataFiles(s).map(f => f.path)))
}

/**
 * Removes files of one writer (named by `pattern`) that no snapshot references: what a crash
 * between writing a file and committing it leaves. Only safe while holding that writer's lock.
 */
export function removeOwnOrphans (table: IcebergTable, pattern: RegExp): number {
  const live = referencedFiles(table)
  let removed = 0
  const walk = (dir: string) => {
    for (const e of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
      const full = path.join(dir, e.name)
      if (e.isDirectory()) walk(full)
      else if (pattern.test(e.name) && !live.has(full)) { fs.rmSync(full); removed++ }
    }
  }
  walk(table.dataDir)
  return removed
}
