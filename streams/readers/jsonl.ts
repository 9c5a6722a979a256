import type { FieldMapping } from './field-mapping.ts'
import { mapObject } from './field-mapping.ts'
import { deadLetterAt } from './dead-letter.ts'
import { readLines } from './lines.ts'
import type { FormatReader } from './types.ts'

/** JSON lines (NDJSON): one object per line, fields mapped to a record. */
export function readJsonl (mapping: FieldMapping): FormatReader {
  return readLines((text, line, offset, length, opts) => {
    let obj: unknown
    try {
      obj = JSON.parse(text)
    } catch (err) {
      return deadLetterAt(opts.file, offset, length, 'bad_json', (err as Error).message, line)
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      return deadLetterAt(opts.file, offset, length, 'bad_json', `line is JSON ${Array.isArray(obj) ? 'array' : typeof obj}, not an object`, line)
    }
    const mapped = mapObject(obj as Record<string, unknown>, mapping, {
      file: opts.file, offset, length, source: opts.source, crawlId: opts.crawlId, recordType: 'jsonl'
    })
    if (!mapped.ok) return deadLetterAt(opts.file, offset, length, mapped.code, mapped.message, line)
    return { kind: 'record', record: mapped.record, end: offset + length }
  })
}
