import { DEAD_LETTER_RAW_BYTES, type DeadLetter } from '../../schemas/deadletter.ts'
import type { ErrorCode } from '../../schemas/errors.ts'
import { filePosition } from '../../schemas/provenance.ts'
import type { ReadItem } from './types.ts'

/** Builds the dead-letter item for bad bytes at `offset` of `file`; keeps at most 64 KiB of them. */
export function deadLetterAt (
  file: string, offset: number, length: number, code: ErrorCode, message: string, raw: Uint8Array | null, stage = 'ingest'
): ReadItem {
  const kept = raw === null ? null : raw.subarray(0, DEAD_LETTER_RAW_BYTES)
  const letter: DeadLetter = {
    schema_version: 1,
    stage,
    code,
    message: `${file}@${offset}: ${message}`,
    at: new Date().toISOString(),
    provenance: filePosition(file, offset, length),
    raw: kept === null ? null : new Uint8Array(kept),
    raw_truncated: raw !== null && raw.byteLength > DEAD_LETTER_RAW_BYTES
  }
  return { kind: 'deadletter', letter, end: offset + length }
}
