import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { SluiceError } from '../../schemas/errors.ts'

/**
 * Model files are named by their content: `<kind>-<first 12 hex of sha256>.<ext>`, and that name
 * without the extension is the model id every scored document carries. Retraining on the same
 * data with the same options gives the same id; anything else gives a new one.
 */
export function modelId (kind: string, bytes: Uint8Array): string {
  return `${kind}-${crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 12)}`
}

/** Roles a model plays in the score stage; `current.json` in the models folder names the file of each. */
export type ModelRole = 'lm.zh' | 'lm.en' | 'classifier'

const CURRENT = 'current.json'

/** Writes a model under its content name (atomically) and makes it the current one for `role`; returns its path. */
export function saveModel (dir: string, role: ModelRole, id: string, ext: string, bytes: Uint8Array): string {
  fs.mkdirSync(dir, { recursive: true })
  const file = path.join(dir, `${id}.${ext}`)
  if (!fs.existsSync(file)) {
    const tmp = `${file}.tmp-${process.pid}`
    fs.writeFileSync(tmp, bytes)
    fs.renameSync(tmp, file)
  }
  const current = readCurrentModels(dir)
  current[role] = path.basename(file)
  const tmp = path.join(dir, `${CURRENT}.tmp-${process.pid}`)
  fs.writeFileSync(tmp, JSON.stringify(current, null, 2) + '\n')
  fs.renameSync(tmp, path.join(dir, CURRENT))
  return file
}

/** Role → file name (relative to `dir`) of the current models; empty when none was trained. */
export function readCurrentModels (dir: string): Partial<Record<ModelRole, string>> {
  const file = path.join(dir, CURRENT)
  if (!fs.existsSync(file)) return {}
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch (err) {
    throw new SluiceError('config', `${file}: ${(err as Error).message}`, { retryable: false, cause: err })
  }
}
