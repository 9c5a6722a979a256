import { col, defineSchema, type Infer } from './define.ts'
import { provenanceColumn } from './provenance.ts'
import { ERROR_CODES, type ErrorCode } from './errors.ts'

const codes = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]

/** A record that could not become a document, with why and where, on `docs.deadletter`. */
export const deadLetterSchema = defineSchema('deadletter', 1, {
  schema_version: col.literal(1, 'schema version of this record'),
  stage: col.string('the stage that rejected it (ingest, normalize, ...)'),
  code: col.enumOf(codes, 'error code'),
  message: col.string('what was wrong, in words'),
  at: col.timestamp('when it was rejected'),
  provenance: provenanceColumn,
  raw: col.nullable(col.bytes('the rejected bytes, cut at the dead-letter size limit')),
  raw_truncated: col.bool('whether raw was cut')
})

export type DeadLetter = Infer<typeof deadLetterSchema.shape>

/** Cap on the bytes kept with a dead letter: enough to debug, small enough for any topic limit. */
export const DEAD_LETTER_RAW_BYTES = 64 * 1024

export function encodeDeadLetter (d: DeadLetter): Buffer {
  return Buffer.from(JSON.stringify({ ...d, raw: d.raw === null ? null : Buffer.from(d.raw).toString('base64') }))
}

/** A dead letter's JSON form (raw as base64) with its bytes restored, not yet validated. */
export function deadLetterFromJson (json: unknown): unknown {
  if (typeof json !== 'object' || json === null) return json
  const raw = (json as { raw?: unknown }).raw
  return { ...json, raw: typeof raw === 'string' ? new Uint8Array(Buffer.from(raw, 'base64')) : raw }
}

export function decodeDeadLetter (buf: Uint8Array): DeadLetter {
  return deadLetterSchema.parse(deadLetterFromJson(JSON.parse(Buffer.from(buf).toString('utf8'))))
}

export function deadLetterKey (d: DeadLetter): string {
  const p = d.provenance
  return p.file !== null ? `${p.file}@${p.offset ?? 0}` : `${p.topic}/${p.partition}@${p.kafka_offset}`
}
