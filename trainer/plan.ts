import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { parse as parseYaml } from 'yaml'
import { SluiceError } from '../schemas/errors.ts'
import { parseConfig } from '../schemas/parse-config.ts'
import { planSchema, type Plan } from '../schemas/plan.ts'

/**
 * A training plan from YAML or JSON (`.json` is JSON, anything else YAML, which JSON also is),
 * validated with messages that name the field; files it names must exist. Without a file: Ziya2's
 * three stages on the defaults.
 *
 * @example
 * const plan = loadPlan('plan.yaml') // throws SluiceError('config', 'plan plan.yaml: stages.1.tokens: ...')
 */
export function loadPlan (file?: string): Plan {
  if (file === undefined) return checkFiles(parseConfig(planSchema, {}, 'default plan'), 'default plan')
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    throw new SluiceError('config', `plan ${file}: ${(err as Error).message}`, { retryable: false, cause: err })
  }
  let input: unknown
  try {
    input = path.extname(file) === '.json' ? JSON.parse(text) : parseYaml(text)
  } catch (err) {
    throw new SluiceError('config', `plan ${file}: not valid ${path.extname(file) === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message}`, { retryable: false, cause: err })
  }
  return checkFiles(parseConfig(planSchema, input, `plan ${file}`), `plan ${file}`)
}

function checkFiles (plan: Plan, what: string): Plan {
  const missing: string[] = []
  if (!fs.existsSync(plan.tokenizer)) missing.push(`tokenizer: no such file ${plan.tokenizer}`)
  for (const [i, stage] of plan.stages.entries()) {
    for (const [k, source] of stage.sources.entries()) {
      for (const [f, file] of (source.files ?? []).entries()) {
        if (!fs.existsSync(file)) missing.push(`stages.${i}.sources.${k}.files.${f}: no such file ${file}`)
      }
    }
  }
  if (missing.length > 0) throw new SluiceError('config', `${what}: ${missing.join('; ')}`, { retryable: false })
  return plan
}

/** Names the plan in handshakes and lineage: the same settings give the same id, whatever the file's layout. */
export function planId (plan: Plan): string {
  return `plan-${crypto.createHash('sha256').update(canonicalJson(plan)).digest('hex').slice(0, 12)}`
}

function canonicalJson (value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map(k => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`
  }
  return JSON.stringify(value)
}
