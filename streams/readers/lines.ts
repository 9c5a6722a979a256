import { isUtf8 } from 'node:buffer'
import fs from 'node:fs'
import { documentId } from '../../schemas/ids.ts'
import { deadLetterAt } from './dead-letter.ts'
import type { FormatReader, ReadItem, ReadOptions } from './types.ts'
import { fileRecord } from './whole-file.ts'

const NEWLINE = 0x0a

/** Turns one non-blank, valid UTF-8 line into a record or a dead letter. */
export type LineParser = (text: string, line: Buffer, offset: number, length: number, opts: ReadOptions) => ReadItem

/**
 * A reader of line-oriented input: a line longer than `maxDocBytes` is dead-lettered without being
 * buffered, invalid UTF-8 is dead-lettered with the byte where it breaks, blank lines are not records.
 */
export function readLines (parse: LineParser): FormatReader {
  return async function * (chunks, opts) {
    let pending: Buffer[] = []
    let pendingBytes = 0
    let lineStart = opts.baseOffset
    let oversize = false
    let position = opts.baseOffset
    const item = (): ReadItem | null => {
      const line = oversize || pending.length === 1 ? pending[0]! : Buffer.concat(pending)
      return lineItem(line, oversize, lineStart, position - lineStart, parse, opts)
    }
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
        const next = item()
        if (next !== null) yield next
        pending = []
        pendingBytes = 0
        oversize = false
        lineStart = position
        from = nl + 1
      }
    }
    if (pendingBytes > 0 || oversize) {
      const last = item()
      if (last !== null) yield last
    }
  }
}

function lineItem (line: Buffer, oversize: boolean, offset: number, length: number, parse: LineParser, opts: ReadOptions): ReadItem | null {
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
  return parse(text, line, offset, length, opts)
}

/**
 * Plain text with a document a line (`--format lines`): how sentence and article dumps such as
 * Wikipedia and CLUECorpus samples are shipped. A line's id is the hash of its bytes.
 */
export function readTextLines (): FormatReader {
  const modified = new Map<string, string | null>()
  return readLines((text, line, offset, length, opts) => {
    if (!modified.has(opts.file)) modified.set(opts.file, fileModified(opts.file))
    return {
      kind: 'record',
      end: offset + length,
      record: fileRecord(opts, { id: documentId(null, line), text: text.replace(/\r$/, ''), body: null, offset, length, recordType: 'line', contentType: 'text/plain', fetchedAt: modified.get(opts.file)! })
    }
  })
}

function fileModified (file: string): string | null {
  try {
    return fs.statSync(file).mtime.toISOString()
  } catch {
    return null
  }
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
