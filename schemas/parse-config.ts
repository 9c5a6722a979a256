import type { z } from 'zod'
import { SluiceError } from './errors.ts'

/** "field: message" for each problem zod found, the field as a dotted path. */
export function describeIssues (error: z.ZodError): string {
  return error.issues.map(i => `${i.path.join('.') || '(options)'}: ${i.message}`).join('; ')
}

/** Parses a config once, before any data is read; a `config` error names `what` and every bad field. */
export function parseConfig<S extends z.ZodType> (schema: S, input: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(input ?? {})
  if (parsed.success) return parsed.data
  throw new SluiceError('config', `${what}: ${describeIssues(parsed.error)}`, { retryable: false, cause: parsed.error })
}
