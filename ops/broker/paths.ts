import os from 'node:os'
import path from 'node:path'

/** Where Sluice keeps downloaded jars: outside the repository, shared by every checkout. */
export function cacheDir (): string {
  const base = process.env.SLUICE_CACHE ?? process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache')
  return process.env.SLUICE_CACHE ?? path.join(base, 'sluice')
}

/** Per-project state (broker data, logs, pid): `./.sluice` unless `--home` or SLUICE_HOME says otherwise. */
export function homeDir (given?: string): string {
  return path.resolve(given ?? process.env.SLUICE_HOME ?? '.sluice')
}
