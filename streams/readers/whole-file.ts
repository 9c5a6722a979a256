import fs from 'node:fs'
import path from 'node:path'
import { documentId } from '../../schemas/ids.ts'
import { filePosition } from '../../schemas/provenance.ts'
import { deadLetterAt } from './dead-letter.ts'
import type { RawRecord } from '../../schemas/raw-record.ts'
import type { ReadItem, ReadOptions } from './types.ts'

const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * A file that is one document (a page saved as .html, an article as .txt). HTML keeps its bytes
 * for the normalizer's charset detection; text must be UTF-8.
 */
export async function * readWholeFile (bytes: AsyncIterable<Uint8Array>, kind: 'text' | 'html', opts: ReadOptions): AsyncIterable<ReadItem> {
  if (opts.baseOffset > 0) return
  const parts: Uint8Array[] = []
  let size = 0
  for await (const chunk of bytes) {
    size += chunk.byteLength
    if (size <= opts.maxDocBytes) parts.push(chunk)
  }
  const body = Buffer.concat(parts)
  if (size > opts.maxDocBytes) {
    yield deadLetterAt(opts.file, 0, size, 'oversize', `file of ${size} bytes is over --max-doc-bytes ${opts.maxDocBytes}`, body)
    return
  }
  if (body.toString('utf8').trim() === '') {
    yield deadLetterAt(opts.file, 0, size, 'empty_text', 'file is empty', body)
    return
  }
  let text: string | null = null
  if (kind === 'text') {
    try {
      text = utf8.decode(body)
    } catch {
      yield deadLetterAt(opts.file, 0, size, 'bad_utf8', 'text file is not valid UTF-8', body)
      return
    }
  }
  const stat = await fs.promises.stat(opts.file).catch(() => null)
  yield {
    kind: 'record',
    end: size,
    record: fileRecord(opts, {
      id: documentId(null, body),
      text,
      body: text === null ? new Uint8Array(body) : null,
      offset: 0,
      length: size,
      recordType: 'file',
      contentType: kind === 'html' ? 'text/html' : 'text/plain',
      fetchedAt: stat === null ? null : stat.mtime.toISOString()
    })
  }
}

export interface FileRecordFields {
  id: string
  text: string | null
  body: Uint8Array<ArrayBuffer> | null
  offset: number
  length: number
  recordType: 'file' | 'line'
  contentType: string
  /** The file's modification time: the closest thing to a fetch time a local file has. */
  fetchedAt: string | null
}

/** A record read from a local file (no URL, no HTTP), placed by its byte span in the file. */
export function fileRecord (opts: ReadOptions, f: FileRecordFields): RawRecord {
  return {
    schema_version: 1,
    id: f.id,
    url: null,
    source: opts.source,
    crawl_id: opts.crawlId,
    fetched_at: f.fetchedAt,
    record_type: f.recordType,
    content_type: f.contentType,
    http_status: null,
    http_headers: null,
    text: f.text,
    body: f.body,
    meta: { file_name: path.basename(opts.file) },
    provenance: filePosition(opts.file, f.offset, f.length)
  }
}
