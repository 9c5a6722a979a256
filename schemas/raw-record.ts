import { z } from 'zod'
import { col, defineSchema, type Infer } from './define.ts'
import { provenanceColumn } from './provenance.ts'
import { SluiceError } from './errors.ts'

/**
 * The raw crawl record on `docs.raw`: one fetched document before any processing. HTML keeps its
 * bytes (`body`) because charset detection belongs to the normalizer; inputs that are already
 * text (WET, JSONL, .txt) carry `text`.
 */
export const rawRecordSchema = defineSchema('raw_record', 1, {
  schema_version: col.literal(1, 'schema version of this record'),
  id: col.string('stable id: xxh64 of the normalized URL, or of the content when there is no URL'),
  url: col.nullable(col.string('target URL as crawled')),
  source: col.string('name of the source (e.g. the input format or a --source label)'),
  crawl_id: col.nullable(col.string('crawl the record belongs to (WARC warcinfo isPartOf, or the file name)')),
  fetched_at: col.nullable(col.timestamp('fetch time (WARC-Date, or a mapped JSON field)')),
  record_type: col.enumOf(['response', 'resource', 'conversion', 'jsonl', 'parquet', 'file', 'line'], 'kind of input record'),
  content_type: col.nullable(col.string('MIME type of the payload, with its parameters')),
  http_status: col.nullable(col.int('HTTP status of a WARC response')),
  http_headers: col.nullable(col.json(z.record(z.string(), z.string()), 'HTTP response headers (last value wins)')),
  text: col.nullable(col.string('payload when the input is already text')),
  body: col.nullable(col.bytes('payload bytes when the input is markup (transfer encoding removed)')),
  meta: col.nullable(col.json(z.record(z.string(), z.unknown()), 'input fields that map to nothing above, kept as given')),
  provenance: provenanceColumn
})

export type RawRecord = Infer<typeof rawRecordSchema.shape>

/** Payload size that counts against `--max-doc-bytes`. */
export function payloadBytes (r: RawRecord): number {
  return (r.body?.byteLength ?? 0) + (r.text === null ? 0 : Buffer.byteLength(r.text))
}

// Kafka value layout: 'SR' magic, version byte, u32 header length, header JSON (the record with
// `body` replaced by its byte length), body bytes. The body travels as raw bytes because base64
// inside JSON would cost a third more on the wire.
const MAGIC0 = 0x53
const MAGIC1 = 0x52
const PREFIX = 7

export function encodeRawRecord (r: RawRecord): Buffer {
  const body = r.body
  // text records (most of them) are stringified as they are, without a copy of the object
  const head = JSON.stringify(body === null ? r : { ...r, body: body.byteLength })
  const headBytes = Buffer.byteLength(head)
  const out = Buffer.allocUnsafe(PREFIX + headBytes + (body?.byteLength ?? 0))
  out[0] = MAGIC0
  out[1] = MAGIC1
  out[2] = r.schema_version
  out.writeUInt32BE(headBytes, 3)
  out.write(head, PREFIX)
  if (body !== null) out.set(body, PREFIX + headBytes)
  return out
}

export function decodeRawRecord (buf: Uint8Array): RawRecord {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
  if (b.length < PREFIX || b[0] !== MAGIC0 || b[1] !== MAGIC1) {
    throw new SluiceError('bad_schema', 'not a Sluice raw record (bad magic)', { retryable: false })
  }
  const headLen = b.readUInt32BE(3)
  const header = JSON.parse(b.subarray(PREFIX, PREFIX + headLen).toString('utf8'))
  const bodyBytes: number | null = header.body
  header.body = bodyBytes === null ? null : new Uint8Array(b.subarray(PREFIX + headLen, PREFIX + headLen + bodyBytes))
  return rawRecordSchema.parse(header)
}
