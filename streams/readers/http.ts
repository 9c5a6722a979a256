import zlib from 'node:zlib'
import type { ErrorCode } from '../../schemas/errors.ts'

/** The HTTP response stored in a WARC `response` record, with its body decoded to what the server meant. */
export interface HttpResponse {
  status: number
  /** Lower-cased names; the last value wins. */
  headers: Record<string, string>
  body: Uint8Array<ArrayBuffer>
  /** Set when the body claimed `Transfer-Encoding: chunked` but is not (the body is then kept as stored). */
  transferDecodingError: string | null
}

export type HttpParse = { ok: true, response: HttpResponse } | { ok: false, code: ErrorCode, message: string }

const CRLFCRLF = Buffer.from('\r\n\r\n')
const LFLF = Buffer.from('\n\n')
const CRLF = Buffer.from('\r\n')
const STATUS_LINE = /^HTTP\/\d+(?:\.\d+)?[ \t]+(\d{3})(?:[ \t].*)?$/
// warcio reads a chunk-size line of at most 64 bytes; anything longer is not chunk framing.
const MAX_CHUNK_LINE = 64

/**
 * Parses `Name: value` lines (RFC 822 style, as in WARC headers, warcinfo blocks and HTTP headers).
 * Continuation lines are folded into the previous value; lines without a name are ignored,
 * as real crawls contain them and they carry nothing we could use.
 */
export function parseFields (text: string): Map<string, string> {
  const fields = new Map<string, string>()
  let last: string | null = null
  // indexOf over the text rather than split + per-line strings: headers are parsed once per record
  for (let pos = 0; pos < text.length;) {
    const newline = text.indexOf('\n', pos)
    const eol = newline === -1 ? text.length : newline
    const first = text.charCodeAt(pos)
    if (first === 0x20 || first === 0x09) {
      if (last !== null) fields.set(last, `${fields.get(last) ?? ''} ${text.slice(pos, eol).trim()}`.trim())
    } else {
      const colon = text.indexOf(':', pos)
      if (colon > pos && colon < eol) {
        last = text.slice(pos, colon).trim().toLowerCase()
        fields.set(last, text.slice(colon + 1, eol).trim())
      }
    }
    pos = eol + 1
  }
  return fields
}

/** Parses an HTTP response message; the body comes back with transfer and content encodings removed. */
export function parseHttpResponse (message: Buffer<ArrayBuffer>, maxBodyBytes: number): HttpParse {
  const { headEnd, bodyStart } = splitHead(message)
  // latin1 maps every byte to one char, as Node's own HTTP parser does for header values
  const head = message.toString('latin1', 0, headEnd)
  const newline = head.indexOf('\n')
  const lineEnd = newline === -1 ? head.length : newline
  const statusLine = head.slice(0, lineEnd).replace(/\r$/, '')
  const status = STATUS_LINE.exec(statusLine)
  if (status === null) return { ok: false, code: 'bad_http', message: `status line ${JSON.stringify(statusLine.slice(0, 100))} is not HTTP/x NNN` }
  const fields = parseFields(head.slice(lineEnd + 1))
  let body: Uint8Array<ArrayBuffer> = message.subarray(bodyStart)
  let transferDecodingError: string | null = null
  if (lastToken(fields.get('transfer-encoding')) === 'chunked') {
    const dechunked = dechunk(message.subarray(bodyStart))
    body = dechunked.body
    transferDecodingError = dechunked.error
  }
  if (body.byteLength > 0) {
    const decoded = decodeContent(body, fields.get('content-encoding'), maxBodyBytes)
    if (!decoded.ok) return decoded
    body = decoded.body
  }
  return { ok: true, response: { status: Number(status[1]), headers: Object.fromEntries(fields), body, transferDecodingError } }
}

/** Header block end: the first blank line, CRLF or (from sloppy servers) bare LF; no blank line means no body. */
function splitHead (message: Buffer): { headEnd: number, bodyStart: number } {
  const crlf = message.indexOf(CRLFCRLF)
  const lf = (crlf === -1 ? message : message.subarray(0, crlf)).indexOf(LFLF)
  if (lf !== -1) return { headEnd: lf, bodyStart: lf + 2 }
  if (crlf !== -1) return { headEnd: crlf, bodyStart: crlf + 4 }
  return { headEnd: message.length, bodyStart: message.length }
}

function lastToken (value: string | undefined): string {
  return value?.split(',').pop()?.trim().toLowerCase() ?? ''
}

/**
 * Removes chunked framing the way warcio does: when framing breaks, the chunks decoded so far are
 * kept and the rest is taken as stored, because servers do send unchunked bodies under this header.
 */
function dechunk (raw: Buffer<ArrayBuffer>): { body: Buffer<ArrayBuffer>, error: string | null } {
  const parts: Buffer[] = []
  let pos = 0
  const fallBack = (error: string) => ({ body: Buffer.concat([...parts, raw.subarray(pos)]), error })
  while (pos < raw.length) {
    const eol = raw.indexOf(CRLF, pos)
    if (eol === -1 || eol - pos > MAX_CHUNK_LINE) return fallBack(`no chunk-size line at body byte ${pos}`)
    const sizeText = raw.toString('latin1', pos, eol).split(';')[0]?.trim() ?? ''
    if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) return fallBack(`bad chunk size ${JSON.stringify(sizeText.slice(0, 20))} at body byte ${pos}`)
    const size = parseInt(sizeText, 16)
    if (size === 0) break
    const start = eol + 2
    if (start + size > raw.length) {
      // a capture cut inside the last chunk: keep what arrived, as warcio does
      parts.push(raw.subarray(start))
      return { body: Buffer.concat(parts), error: `last chunk declares ${size} bytes, ${raw.length - start} present` }
    }
    if (raw[start + size] !== 0x0d || raw[start + size + 1] !== 0x0a) return fallBack(`chunk at body byte ${pos} is not followed by CRLF`)
    parts.push(raw.subarray(start, start + size))
    pos = start + size + 2
  }
  return { body: Buffer.concat(parts), error: null }
}

type Decoded = { ok: true, body: Uint8Array<ArrayBuffer> } | { ok: false, code: ErrorCode, message: string }

/** Undoes `Content-Encoding`, last applied first; output beyond maxBytes is refused rather than allocated. */
function decodeContent (body: Uint8Array<ArrayBuffer>, encoding: string | undefined, maxBytes: number): Decoded {
  const codings = (encoding ?? '').split(',').map(c => c.trim().toLowerCase()).filter(c => c !== '' && c !== 'identity')
  let out = body
  for (const coding of codings.reverse()) {
    const decode = DECODERS.get(coding)
    if (decode === undefined) return { ok: false, code: 'bad_http', message: `unsupported Content-Encoding ${JSON.stringify(coding)}` }
    try {
      out = decode(out, { maxOutputLength: Math.max(1, maxBytes) })
    } catch (err) {
      return decodeFailure(coding, out.byteLength, err)
    }
  }
  return { ok: true, body: out }
}

function decodeFailure (coding: string, inputBytes: number, err: unknown): Decoded {
  const code = (err as { code?: string }).code
  const what = `${coding} Content-Encoding of ${inputBytes} bytes`
  if (code === 'ERR_BUFFER_TOO_LARGE') return { ok: false, code: 'oversize', message: `${what} decodes to more than the maximum document size` }
  if (code === 'Z_BUF_ERROR' || code === TRUNCATED) return { ok: false, code: 'truncated', message: `${what} ends before its compressed stream does` }
  return { ok: false, code: 'bad_gzip', message: `${what} does not decode: ${(err as Error).message}` }
}

const TRUNCATED = 'TRUNCATED_GZIP'
const GZIP_TRAILER = 8

/**
 * gzip through raw inflate, so that bytes after the member (servers append newlines) are ignored
 * instead of being parsed as a broken second member, while a missing trailer still counts as truncated.
 */
function gunzip (data: Uint8Array<ArrayBuffer>, opts: zlib.ZlibOptions): Buffer<ArrayBuffer> {
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  if (b[0] !== 0x1f || b[1] !== 0x8b || b[2] !== 8) throw new Error('not a gzip stream')
  const flags = b[3] ?? 0
  let pos = 10
  if ((flags & 4) !== 0) pos += 2 + (b.length >= pos + 2 ? b.readUInt16LE(pos) : 0)
  if ((flags & 8) !== 0) pos = b.indexOf(0, pos) + 1 || b.length + 1
  if ((flags & 16) !== 0) pos = b.indexOf(0, pos) + 1 || b.length + 1
  if ((flags & 2) !== 0) pos += 2
  if (pos > b.length) throw Object.assign(new Error('gzip header cut short'), { code: TRUNCATED })
  const { buffer, engine } = zlib.inflateRawSync(b.subarray(pos), { ...opts, info: true }) as unknown as { buffer: Buffer<ArrayBuffer>, engine: zlib.InflateRaw }
  if (b.length - pos - engine.bytesWritten < GZIP_TRAILER) throw Object.assign(new Error('gzip trailer missing'), { code: TRUNCATED })
  return buffer
}

// RFC 9110 says deflate means the zlib format, but many servers send raw deflate; the zlib header tells them apart.
function inflate (data: Uint8Array<ArrayBuffer>, opts: zlib.ZlibOptions): Buffer<ArrayBuffer> {
  const zlibWrapped = data.byteLength >= 2 && ((data[0] as number) & 0x0f) === 8 && (((data[0] as number) << 8) | (data[1] as number)) % 31 === 0
  return zlibWrapped ? zlib.inflateSync(data, opts) : zlib.inflateRawSync(data, opts)
}

const DECODERS = new Map<string, (data: Uint8Array<ArrayBuffer>, opts: zlib.ZlibOptions) => Buffer<ArrayBuffer>>([
  ['gzip', gunzip],
  ['x-gzip', gunzip],
  ['deflate', inflate],
  ['br', (data, opts) => zlib.brotliDecompressSync(data, opts as zlib.BrotliOptions)]
])
