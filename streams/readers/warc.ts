import { DEAD_LETTER_RAW_BYTES } from '../../schemas/deadletter.ts'
import type { ErrorCode } from '../../schemas/errors.ts'
import { documentId } from '../../schemas/ids.ts'
import { filePosition } from '../../schemas/provenance.ts'
import type { RawRecord } from '../../schemas/raw-record.ts'
import { deadLetterAt } from './dead-letter.ts'
import { parseFields, parseHttpResponse } from './http.ts'
import type { FormatReader, ReadItem, ReadOptions } from './types.ts'

const SIGNATURE = Buffer.from('WARC/1.')
const NEXT_RECORD = Buffer.from('\nWARC/1.')
const LF = Buffer.from('\n')
const LFLF = Buffer.from('\n\n')
const CRLFCRLF = Buffer.from('\r\n\r\n')
const CR = 0x0d
const NL = 0x0a
const VERSION_LINE = /^WARC\/1\.\d+\r?$/
const WARC_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/
// Real headers stay under a few KiB: not finding the blank line within this means it is not a header.
const MAX_HEADER_BYTES = 64 * 1024
// One byte more than a dead letter keeps, so that the letter is marked raw_truncated.
const RAW_KEEP = DEAD_LETTER_RAW_BYTES + 1
const META_FIELDS: ReadonlyArray<[string, string]> = [
  ['warc-record-id', 'warc_record_id'],
  ['warc-refers-to', 'warc_refers_to'],
  ['warc-identified-payload-type', 'warc_identified_payload_type']
]
const UTF8 = new TextDecoder('utf-8', { fatal: true })

/**
 * Input bytes pulled on demand. Only unconsumed bytes are held, contiguously so that indexOf can
 * search them. Stored bytes are never written over (and chunks are not reused by their producer,
 * as Node streams never do), so views handed out stay valid after later reads.
 */
class ByteSource {
  private store: Buffer = Buffer.alloc(0)
  private start = 0
  private end = 0
  private done = false

  constructor (private readonly chunks: AsyncIterator<Uint8Array>, public offset: number) {}

  get available (): number { return this.end - this.start }
  get ended (): boolean { return this.done }
  view (): Buffer { return this.store.subarray(this.start, this.end) }

  consume (n: number): void {
    this.start += n
    this.offset += n
  }

  private async next (): Promise<Buffer | null> {
    while (!this.done) {
      const r = await this.chunks.next()
      if (r.done === true) this.done = true
      else if (r.value.byteLength > 0) return Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength)
    }
    return null
  }

  private adopt (chunk: Buffer, used: number): void {
    this.store = chunk
    this.start = used
    this.end = chunk.length
  }

  /** Appends one more chunk; false at the end of the input. */
  async fill (): Promise<boolean> {
    const chunk = await this.next()
    if (chunk === null) return false
    const kept = this.available
    if (kept === 0) {
      this.adopt(chunk, 0)
    } else if (this.end + chunk.length <= this.store.length) {
      chunk.copy(this.store, this.end)
      this.end += chunk.length
    } else {
      // doubling keeps repeated appends (a long header or WET block split in tiny chunks) linear
      const grown = Buffer.allocUnsafeSlow(Math.max(kept + chunk.length, 2 * kept))
      this.store.copy(grown, 0, this.start, this.end)
      chunk.copy(grown, kept)
      this.store = grown
      this.start = 0
      this.end = kept + chunk.length
    }
    return true
  }

  /** Makes n bytes available; false if the input ends first. */
  async ensure (n: number): Promise<boolean> {
    while (this.available < n) if (!(await this.fill())) return false
    return true
  }

  /** Index in view() of pattern at or after from; -1 if the input ends or `limit` bytes are held first. */
  async find (pattern: Buffer, from: number, limit: number): Promise<number> {
    let searchFrom = from
    while (true) {
      const at = this.view().indexOf(pattern, searchFrom)
      if (at !== -1) return at
      searchFrom = Math.max(from, this.available - pattern.length + 1)
      if (this.available >= limit || !(await this.fill())) return -1
    }
  }

  /** Removes the next n bytes into a buffer of their own (shorter at the end of input); each byte is copied once. */
  async take (n: number): Promise<Buffer<ArrayBuffer>> {
    const out = Buffer.allocUnsafeSlow(n)
    let got = Math.min(n, this.available)
    this.store.copy(out, 0, this.start, this.start + got)
    this.consume(got)
    while (got < n) {
      const chunk = await this.next()
      if (chunk === null) return out.subarray(0, got)
      const k = Math.min(n - got, chunk.length)
      chunk.copy(out, got, 0, k)
      got += k
      this.offset += k
      this.adopt(chunk, k)
    }
    return out
  }

  /** Drops the next n bytes without holding them; returns how many there were. */
  async skip (n: number): Promise<number> {
    let left = n
    while (true) {
      const k = Math.min(left, this.available)
      this.consume(k)
      left -= k
      if (left === 0 || !(await this.fill())) return n - left
    }
  }

  /** Drops CR and LF bytes, at most `max`; false if the input ends. */
  async skipLineBreaks (max = Infinity): Promise<boolean> {
    for (let i = 0; i < max; i++) {
      if (!(await this.ensure(1))) return false
      const b = this.store[this.start]
      if (b !== CR && b !== NL) return true
      this.consume(1)
    }
    return true
  }
}

type Head =
  | { kind: 'ok', length: number, fields: Map<string, string>, contentLength: number, lf: boolean }
  | { kind: 'bad', message: string }
  | { kind: 'truncated' }

/** Reads the header block at the current position without consuming it. */
async function readHeader (src: ByteSource): Promise<Head> {
  // fewer bytes only at the end of input, where a prefix of the signature is a cut header
  await src.ensure(SIGNATURE.length)
  const sig = src.view().subarray(0, SIGNATURE.length)
  if (!sig.equals(SIGNATURE.subarray(0, sig.length))) return { kind: 'bad', message: 'record does not start with a WARC/1.x line' }
  const lineEnd = await src.find(LF, 0, MAX_HEADER_BYTES)
  if (lineEnd === -1) return src.ended ? { kind: 'truncated' } : { kind: 'bad', message: 'WARC version line is too long' }
  const versionLine = src.view().toString('latin1', 0, lineEnd)
  if (!VERSION_LINE.test(versionLine)) return { kind: 'bad', message: `first line ${JSON.stringify(versionLine.slice(0, 40))} is not WARC/1.x` }
  // LF-only headers come from text tools (cc_net's WET samples); CRLF is the standard
  const lf = !versionLine.endsWith('\r')
  const blank = lf ? LFLF : CRLFCRLF
  const headEnd = await src.find(blank, lf ? lineEnd : lineEnd - 1, MAX_HEADER_BYTES)
  if (headEnd === -1) return src.ended ? { kind: 'truncated' } : { kind: 'bad', message: `no blank line ends the header within ${MAX_HEADER_BYTES} bytes` }
  const fields = parseFields(src.view().toString('utf8', lineEnd + 1, headEnd))
  const declared = fields.get('content-length')
  if (declared === undefined) return { kind: 'bad', message: 'header has no Content-Length' }
  if (!/^\d{1,15}$/.test(declared)) return { kind: 'bad', message: `Content-Length ${JSON.stringify(declared.slice(0, 40))} is not a number` }
  return { kind: 'ok', length: headEnd + blank.length, fields, contentLength: Number(declared), lf }
}

/** Drops bytes up to the next line that starts with `WARC/1.`, keeping the first ones for the dead letter. */
async function skipToNextRecord (src: ByteSource): Promise<{ length: number, raw: Buffer }> {
  const kept: Buffer[] = []
  let keptBytes = 0
  let length = 0
  while (true) {
    const view = src.view()
    const at = view.indexOf(NEXT_RECORD)
    // without a match, hold back a possible start of NEXT_RECORD until the next chunk arrives
    const drop = at !== -1 ? at + 1 : src.ended ? view.length : Math.max(0, view.length - NEXT_RECORD.length + 1)
    if (keptBytes < RAW_KEEP) {
      const part = view.subarray(0, Math.min(drop, RAW_KEEP - keptBytes))
      kept.push(part)
      keptBytes += part.length
    }
    src.consume(drop)
    length += drop
    if (at !== -1 || (src.ended && src.available === 0)) return { length, raw: Buffer.concat(kept) }
    await src.fill()
  }
}

type ValidHead = Extract<Head, { kind: 'ok' }>

type Block =
  | { kind: 'whole', header: Buffer, block: Buffer<ArrayBuffer> }
  | { kind: 'skipped', raw: Buffer }
  | { kind: 'truncated', raw: Buffer, present: number }

/**
 * Consumes the record after a valid header, trailing line breaks included. Blocks not wanted, or
 * larger than maxBytes, are skipped without being held; `raw` then has their first bytes.
 */
async function readBlock (src: ByteSource, head: ValidHead, want: boolean, maxBytes: number): Promise<Block> {
  if (head.lf) return await readLfBlock(src, head, want, maxBytes)
  const header = src.view().subarray(0, head.length)
  src.consume(head.length)
  const size = head.contentLength
  const keep = want && size <= maxBytes
  const first = await src.take(keep ? size : want ? Math.min(size, RAW_KEEP) : 0)
  const present = first.length + (keep ? 0 : await src.skip(size - first.length))
  if (present < size) return { kind: 'truncated', raw: Buffer.concat([header, first]), present }
  await src.skipLineBreaks(CRLFCRLF.length)
  return keep ? { kind: 'whole', header, block: first } : { kind: 'skipped', raw: Buffer.concat([header, first]) }
}

/**
 * LF-only records are delimited by the next WARC line, not by Content-Length: the files that have
 * them were edited as text after the lengths were computed (cc_net's sample counts CRLF line ends).
 */
async function readLfBlock (src: ByteSource, head: ValidHead, want: boolean, maxBytes: number): Promise<Block> {
  const limit = head.length + maxBytes + NEXT_RECORD.length
  const at = await src.find(NEXT_RECORD, head.length - 1, limit)
  if ((at === -1 && !src.ended) || at - head.length > maxBytes) return { kind: 'skipped', raw: (await skipToNextRecord(src)).raw }
  const recordLength = at === -1 ? src.available : at + 1
  if (!want) {
    src.consume(recordLength)
    return { kind: 'skipped', raw: Buffer.alloc(0) }
  }
  const whole = await src.take(recordLength)
  let blockEnd = whole.length
  while (blockEnd > head.length && (whole[blockEnd - 1] === NL || whole[blockEnd - 1] === CR)) blockEnd--
  return { kind: 'whole', header: whole.subarray(0, head.length), block: whole.subarray(head.length, blockEnd) }
}

/** Reads WARC 1.0/1.1 (and WET) records: response, resource and conversion records become documents. */
export const readWarc: FormatReader = async function * (chunks, opts) {
  const iterator = chunks[Symbol.asyncIterator]()
  try {
    yield * readRecords(new ByteSource(iterator, opts.baseOffset), opts)
  } finally {
    // a consumer that stops early must not leave the input (a file stream) open
    await iterator.return?.()
  }
}

async function * readRecords (src: ByteSource, opts: ReadOptions): AsyncGenerator<ReadItem> {
  let infoCrawlId: string | null = opts.resumeCrawlId ?? null
  while (await src.skipLineBreaks()) {
    const offset = src.offset
    const head = await readHeader(src)
    if (head.kind === 'truncated') {
      const rest = src.view()
      src.consume(rest.length)
      yield deadLetterAt(opts.file, offset, rest.length, 'truncated', 'input ends inside a WARC header', rest)
      return
    }
    if (head.kind === 'bad') {
      const region = await skipToNextRecord(src)
      yield deadLetterAt(opts.file, offset, region.length, 'bad_warc', `${head.message}; skipped ${region.length} bytes to the next WARC/1. line`, region.raw)
      continue
    }
    const type = head.fields.get('warc-type') ?? ''
    const isDocument = isDocumentType(type)
    const read = await readBlock(src, head, isDocument || type === 'warcinfo', opts.maxDocBytes)
    const length = src.offset - offset
    if (read.kind === 'truncated') {
      const message = `${type} record declares Content-Length ${head.contentLength} but the input ends after ${read.present} bytes of it`
      yield deadLetterAt(opts.file, offset, length, 'truncated', message, read.raw)
      return
    }
    if (read.kind === 'skipped') {
      if (isDocument) yield deadLetterAt(opts.file, offset, length, 'oversize', `${type} record is larger than ${opts.maxDocBytes} bytes`, read.raw)
    } else if (type === 'warcinfo') {
      infoCrawlId = parseFields(read.block.toString('utf8')).get('ispartof') ?? null
    } else if (isDocument) {
      yield documentItem(type, head.fields, read, { opts, offset, length, crawlId: opts.crawlId ?? infoCrawlId })
    }
  }
}

type DocumentType = 'response' | 'resource' | 'conversion'
const isDocumentType = (type: string): type is DocumentType => type === 'response' || type === 'resource' || type === 'conversion'
type Content = Pick<RawRecord, 'content_type' | 'http_status' | 'http_headers' | 'text' | 'body'>

interface Place { opts: ReadOptions, offset: number, length: number, crawlId: string | null }

function documentItem (type: DocumentType, fields: Map<string, string>, read: { header: Buffer, block: Buffer<ArrayBuffer> }, at: Place): ReadItem {
  const url = targetUri(fields)
  const meta: Record<string, unknown> = {}
  for (const [field, key] of META_FIELDS) {
    const value = fields.get(field)
    if (value !== undefined) meta[key] = value
  }
  const fail = (code: ErrorCode, message: string): ReadItem => deadLetterAt(
    at.opts.file, at.offset, at.length, code, `${type} record ${url ?? ''}: ${message}`,
    Buffer.concat([read.header, read.block.subarray(0, RAW_KEEP)])
  )
  let content: Content
  if (type === 'conversion') {
    let text: string
    try {
      text = UTF8.decode(read.block)
    } catch {
      return fail('bad_utf8', 'block is not valid UTF-8')
    }
    if (text.trim() === '') return fail('empty_text', 'block has no text')
    content = { content_type: fields.get('content-type') ?? null, http_status: null, http_headers: null, text, body: null }
  } else if (type === 'response' && carriesHttp(fields, url)) {
    const parsed = parseHttpResponse(read.block, at.opts.maxDocBytes)
    if (!parsed.ok) return fail(parsed.code, parsed.message)
    const { status, headers, body, transferDecodingError } = parsed.response
    if (body.byteLength === 0) return fail('empty_text', `HTTP ${status} response has no body`)
    if (transferDecodingError !== null) meta.transfer_decoding_error = transferDecodingError
    content = { content_type: headers['content-type'] ?? null, http_status: status, http_headers: headers, text: null, body }
  } else {
    if (read.block.length === 0) return fail('empty_text', 'block is empty')
    content = { content_type: fields.get('content-type') ?? null, http_status: null, http_headers: null, text: null, body: read.block }
  }
  const record: RawRecord = {
    schema_version: 1,
    id: documentId(url, content.text ?? content.body ?? ''),
    url,
    source: at.opts.source,
    crawl_id: at.crawlId,
    fetched_at: isoDate(fields.get('warc-date')),
    record_type: type,
    ...content,
    meta: Object.keys(meta).length === 0 ? null : meta,
    provenance: filePosition(at.opts.file, at.offset, at.length)
  }
  return { kind: 'record', record, end: at.offset + at.length }
}

// wget and some WARC 1.1 writers wrap the URI in <>, as the 1.1 spec's own examples did.
function targetUri (fields: Map<string, string>): string | null {
  const value = fields.get('warc-target-uri')?.trim().replace(/^<(.*)>$/, '$1').trim()
  return value === undefined || value === '' ? null : value
}

function carriesHttp (fields: Map<string, string>, url: string | null): boolean {
  const type = fields.get('content-type')
  return type === undefined ? /^https?:/i.test(url ?? '') : /^application\/http\b/i.test(type)
}

/** WARC-Date as ISO-8601 UTC; a date without a zone is UTC by the WARC spec (JS would read it as local time). */
function isoDate (value: string | undefined): string | null {
  const m = value === undefined ? null : WARC_DATE.exec(value.trim())
  if (m === null) return null
  const ms = Date.parse(m[1] === undefined ? `${m[0]}Z` : m[0])
  return Number.isNaN(ms) ? null : new Date(ms).toISOString()
}
