import fs from 'node:fs'
import path from 'node:path'
import { SluiceError } from '../../schemas/errors.ts'

const STDIN = '-'

function globToRegExp (pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')
  return new RegExp(`^${body}$`)
}

function walk (dir: string): string[] {
  const out: string[] = []
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.')) continue
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) out.push(...walk(full))
    else if (entry.isFile()) out.push(full)
  }
  return out
}

/**
 * Expands the command-line inputs into absolute file paths, in a stable order: folders are
 * walked recursively (hidden files skipped), a `*`/`?` pattern in the last path segment is
 * matched against its folder (for shells that pass it through), `-` is standard input.
 */
export function expandInputs (inputs: readonly string[]): string[] {
  const files: string[] = []
  for (const input of inputs) {
    if (input === STDIN) { files.push(STDIN); continue }
    const abs = path.resolve(input)
    if (/[*?]/.test(path.basename(abs)) && !fs.existsSync(abs)) {
      const dir = path.dirname(abs)
      if (!fs.existsSync(dir)) throw new SluiceError('config', `no such folder: ${dir} (from ${input})`, { retryable: false })
      const re = globToRegExp(path.basename(abs))
      const matched = fs.readdirSync(dir).filter(n => re.test(n)).sort().map(n => path.join(dir, n))
      if (matched.length === 0) throw new SluiceError('config', `no files match ${input}`, { retryable: false })
      files.push(...matched)
      continue
    }
    let stat: fs.Stats
    try {
      stat = fs.statSync(abs)
    } catch {
      throw new SluiceError('config', `no such file or folder: ${input}`, { retryable: false })
    }
    files.push(...(stat.isDirectory() ? walk(abs) : [abs]))
  }
  return [...new Set(files)]
}

export function isStdin (file: string): boolean {
  return file === STDIN
}
