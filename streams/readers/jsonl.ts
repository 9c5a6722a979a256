import { isUtf8 } from 'node:buffer'
import type { FieldMapping } from './field-mapping.ts'
import { mapObject } from './field-mapping.ts'
import { deadLetterAt } from './dead-letter.ts'
import type { FormatReader, ReadItem, ReadOptions } from './types.ts'

const NEWLINE = 0x0a

/**
 * JSON lines (NDJSON): one object per line. A line longer than `maxDocBytes` is skipped without
 * being buffered; blank lines are not records.
 */
export function readJsonl (mapping: FieldMapping): FormatReader {
  return async function * (chunks, opts) {
    let pending: Buffer[] = []
    let pendingBytes = 0
    let lineStart = opts.baseOffset
    let oversize = false
    let position = opts.baseOffset
    for await (const chunk of chunks) {
      const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
      let from = 0
      while (from < buf.length) {
        const nl = buf.indexOf(NEWLINE, from)
        const stop = nl === -1 ? buf.length : nl
        if (!oversize) {
          pending.push(buf.subarray(from, stop))
          pendingBytes += stop - from
          if (pendingBytes > opts.maxDocBytes) oversize = true
        }
        if (nl === -1) { position += stop - from; break }
        position += stop - from + 1
        const line = oversize ? pending[0]! : (pending.length === 1 ? pending[0]! : Buffer.concat(pending))
        const item = lineItem(line, oversize, lineStart, position - lineStart, mapping, opts)
        if (item !== null) yield item
        pending = []
        pendingBytes = 0
        oversize = false
        lineStart = position
        from = nl + 1
      }
    }
    if (pendingBytes > 0 || oversize) {
      const line = oversize ? pending[0]! : Buffer.concat(pending)
      const item = lineItem(line, oversize, lineStart, position - lineStart, mapping, opts)
      if (item !== null) yield item
    }
  }
}

function lineItem (line: Buffer, oversize: boolean, offset: number, length: number, mapping: FieldMapping, opts: ReadOptions): ReadItem | null {
  if (oversize) {
    return deadLetterAt(opts.file, offset, length, 'oversize', `line of ${length} bytes is over --max-doc-bytes ${opts.maxDocBytes}`, line)
  }
  // the native check plus toString is several times faster than a fatal TextDecoder per line
  if (!isUtf8(line)) {
    const bad = firstInvalidUtf8(line)
    return deadLetterAt(opts.file, offset, length, 'bad_utf8', `invalid UTF-8 at byte ${bad} of the line`, line)
  }
  const text = line.toString('utf8')
  if (text.trim() === '') return null
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
}

/** Index of the first byte where UTF-8 decoding fails, for an error message a person can act on. */
function firstInvalidUtf8 (bytes: Buffer): number {
  let lo = 0
  let hi = bytes.length
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid), { stream: true })
      lo = mid
    } catch {
      hi = mid
    }
  }
  return lo
}
