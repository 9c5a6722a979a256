import { test, expect } from 'vitest'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { readWarc } from '../../../streams/readers/warc.ts'
import type { ReadItem, ReadOptions } from '../../../streams/readers/types.ts'
import { rawRecordSchema, type RawRecord } from '../../../schemas/raw-record.ts'
import { deadLetterSchema, type DeadLetter } from '../../../schemas/deadletter.ts'

const WARC_DIR = path.resolve('../shared/data/web/warc')

/** Per file: document records (response + resource + conversion in MANIFEST.md) and expected dead-letter codes. */
const FILES: Array<{ name: string, records: number, letters: string[] }> = [
  { name: 'dolma-sample-0000.warc.gz', records: 22 + 2, letters: [] },
  { name: 'resiliparse-warcfile.warc.gz', records: 16, letters: [] },
  { name: 'ccnet-sample.wet.txt', records: 3, letters: [] },
  { name: 'warcio-fixtures/example.warc.gz', records: 1, letters: [] },
  { name: 'warcio-fixtures/example.warc', records: 1, letters: [] },
  { name: 'warcio-fixtures/example-iana.org-chunked.warc', records: 1, letters: [] },
  // the response's Content-Length is 2 short: its gzip body loses its trailer, and 2 stray bytes precede the next record
  { name: 'warcio-fixtures/example-trunc.warc', records: 0, letters: ['truncated', 'bad_warc'] },
  { name: 'warcio-fixtures/example-wget-bad-target-uri.warc.gz', records: 1 + 2, letters: [] },
  { name: 'warcio-fixtures/example-bad-non-chunked.warc.gz', records: 1, letters: [] },
  { name: 'warcio-fixtures/example-wrong-chunks.warc.gz', records: 1, letters: [] },
  { name: 'warcio-fixtures/example-resource.warc.gz', records: 1, letters: [] },
  { name: 'warcio-fixtures/example-digest.warc', records: 0, letters: [] },
  { name: 'warcio-fixtures/post-test.warc.gz', records: 3, letters: [] }
]

function options (file: string, over: Partial<ReadOptions> = {}): ReadOptions {
  return { file, baseOffset: 0, maxDocBytes: 10 * 1024 * 1024, source: 'warc', crawlId: null, ...over }
}

/** The file as the caller hands it over: a read stream, gunzipped when it is .gz. */
function openStream (name: string): AsyncIterable<Uint8Array> {
  const stream = fs.createReadStream(path.join(WARC_DIR, name))
  return name.endsWith('.gz') ? stream.pipe(zlib.createGunzip()) : stream
}

const bytesCache = new Map<string, Buffer>()
async function fileBytes (name: string): Promise<Buffer> {
  let bytes = bytesCache.get(name)
  if (bytes === undefined) {
    const parts: Buffer[] = []
    for await (const chunk of openStream(name)) parts.push(Buffer.from(chunk))
    bytes = Buffer.concat(parts)
    bytesCache.set(name, bytes)
  }
  return bytes
}

/** Deterministic chunk sizes in [1, max], so that a failure replays. */
function randomSizes (seed: number, max: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return 1 + (((t ^ (t >>> 14)) >>> 0) % max)
  }
}

async function * split (bytes: Uint8Array, nextSize: () => number): AsyncIterable<Uint8Array> {
  for (let at = 0; at < bytes.length;) {
    const n = nextSize()
    yield bytes.subarray(at, at + n)
    at += n
  }
}

async function collect (chunks: AsyncIterable<Uint8Array>, opts: ReadOptions): Promise<ReadItem[]> {
  const items: ReadItem[] = []
  for await (const item of readWarc(chunks, opts)) items.push(item)
  return items
}

async function readBytes (bytes: Uint8Array, over: Partial<ReadOptions> = {}, chunk = 64 * 1024): Promise<ReadItem[]> {
  return await collect(split(bytes, () => chunk), options('/synthetic.warc', over))
}

const records = (items: ReadItem[]): RawRecord[] => items.flatMap(i => i.kind === 'record' ? [i.record] : [])
const letters = (items: ReadItem[]): DeadLetter[] => items.flatMap(i => i.kind === 'deadletter' ? [i.letter] : [])
const base64 = (b: Uint8Array | null) => b === null ? null : Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')
/** Items without the wall-clock time a dead letter carries, bytes as text (deep-equal on large byte arrays is slow). */
const comparable = (items: ReadItem[]) => items.map(i => i.kind === 'record'
  ? { ...i, record: { ...i.record, body: base64(i.record.body) } }
  : { ...i, letter: { ...i.letter, at: '', raw: base64(i.letter.raw) } })
const sha1 = (b: Uint8Array) => crypto.createHash('sha1').update(b).digest('hex')

test.each(FILES)('$name: documents, dead letters, schema and exact offsets', async ({ name, records: expected, letters: codes }) => {
  const file = path.join(WARC_DIR, name)
  const items = await collect(openStream(name), options(file))
  const bytes = await fileBytes(name)
  expect(records(items)).toHaveLength(expected)
  expect(letters(items).map(l => l.code)).toEqual(codes)
  let previousEnd = 0
  for (const item of items) {
    const check = item.kind === 'record' ? rawRecordSchema.check(item.record) : deadLetterSchema.check(item.letter)
    expect(check).toMatchObject({ ok: true })
    const p = item.kind === 'record' ? item.record.provenance : item.letter.provenance
    expect(p.file).toBe(file)
    expect((p.offset ?? -1) + (p.length ?? -1)).toBe(item.end)
    expect(p.offset).toBeGreaterThanOrEqual(previousEnd)
    previousEnd = item.end
    if (item.kind === 'record') {
      expect(bytes.toString('latin1', p.offset ?? 0, (p.offset ?? 0) + 7)).toBe('WARC/1.')
      // the record ends at the next record or at the end of the file, blank lines aside
      expect(bytes.subarray(item.end).toString('latin1', 0, 9).replace(/^[\r\n]*/, '')).toMatch(/^(WARC\/1\.|$)/)
    }
  }
})

test.each(FILES)('$name: random 1–700 byte chunks give the same items', async ({ name }) => {
  const bytes = await fileBytes(name)
  const file = path.join(WARC_DIR, name)
  const whole = await collect(openStream(name), options(file))
  for (const seed of [1, 2, 3]) {
    const pieces = await collect(split(bytes, randomSizes(seed, 700)), options(file))
    expect(comparable(pieces)).toEqual(comparable(whole))
  }
})

test.each(FILES.filter(f => f.records + f.letters.length > 1))('$name: resuming at an item end yields exactly the rest', async ({ name }) => {
  const bytes = await fileBytes(name)
  const file = path.join(WARC_DIR, name)
  // a resumed reader never sees the warcinfo record, so the crawl id must come from the caller
  const opts = options(file, { crawlId: 'crawl' })
  const whole = await collect(split(bytes, () => 65536), opts)
  for (let k = 0; k < whole.length - 1; k += Math.max(1, Math.floor(whole.length / 5))) {
    const baseOffset = (whole[k] as ReadItem).end
    const rest = await collect(split(bytes.subarray(baseOffset), randomSizes(k, 700)), { ...opts, baseOffset })
    expect(comparable(rest)).toEqual(comparable(whole.slice(k + 1)))
  }
})

test('dolma sample: URLs, statuses, content types and chunked bodies match the file', async () => {
  const docs = records(await collect(openStream('dolma-sample-0000.warc.gz'), options('dolma')))
  const first = docs[0] as RawRecord
  expect(first).toMatchObject({
    record_type: 'response',
    url: 'https://www.semanticscholar.org/research/research-team',
    http_status: 200,
    content_type: 'text/html; charset=utf-8',
    fetched_at: '2024-04-25T16:24:44.000Z',
    crawl_id: null,
    source: 'warc',
    text: null,
    provenance: { offset: 1167, length: 89834 - 1167 }
  })
  expect(first.http_headers?.['content-type']).toBe('text/html; charset=utf-8')
  expect(first.meta).toEqual({ warc_record_id: '<urn:uuid:283E41D7-F686-4C3E-B7DA-E8D248A100C1>' })
  // both chunked responses, checked against warcio's content_stream()
  const weld = docs.find(d => d.url === 'https://www.cs.washington.edu/people/faculty/weld') as RawRecord
  expect(weld.http_headers?.['transfer-encoding']).toBe('chunked')
  expect(sha1(weld.body as Uint8Array)).toBe('637a186f32761b0de5995bec19cf508a80f86c80')
  const amy = docs.find(d => d.url === 'https://amyxzhang.wordpress.com/') as RawRecord
  expect(amy.body?.byteLength).toBe(202463)
  expect(sha1(amy.body as Uint8Array)).toBe('350ad05d5f1c15188b100d561041100bdc90e8d5')
  expect(amy.meta?.transfer_decoding_error).toBeUndefined()
  const log = docs.at(-1) as RawRecord
  expect(log).toMatchObject({ record_type: 'resource', url: 'metadata://gnu.org/software/wget/warc/wget.log', content_type: 'text/plain', http_status: null })
  expect(Buffer.from(log.body as Uint8Array).toString('utf8')).toContain('semanticscholar.org')
  expect(new Set(docs.map(d => d.id)).size).toBe(docs.length)
})

test('Common Crawl sample: crawl id from warcinfo, non-UTF-8 pages kept as bytes', async () => {
  const docs = records(await collect(openStream('resiliparse-warcfile.warc.gz'), options('cc')))
  expect(new Set(docs.map(d => d.crawl_id))).toEqual(new Set(['CC-MAIN-2020-34']))
  const spb = docs.find(d => d.url === 'http://01spb.ru/company/') as RawRecord
  expect(spb.content_type).toBe('text/html; charset=windows-1251')
  expect(sha1(spb.body as Uint8Array)).toBe('a04b5719876a5451684e65e9f9b215044c2ce46a')
  expect(spb.meta).toMatchObject({ warc_identified_payload_type: 'text/html' })
  const overridden = records(await collect(openStream('resiliparse-warcfile.warc.gz'), options('cc', { crawlId: 'mine', source: 'cc' })))
  expect(overridden.every(d => d.crawl_id === 'mine' && d.source === 'cc')).toBe(true)
})

test('chunked fixture decodes to the real HTML', async () => {
  const [doc] = records(await collect(openStream('warcio-fixtures/example-iana.org-chunked.warc'), options('iana')))
  const html = Buffer.from(doc?.body as Uint8Array).toString('utf8')
  expect(html.startsWith('<!doctype html>\n<html>\n<head>\n\t<title>Internet Assigned Numbers Authority')).toBe(true)
  expect(html.endsWith('</html>\n')).toBe(true)
  expect(html).not.toMatch(/^[0-9a-f]+\r$/m)
  expect(sha1(doc?.body as Uint8Array)).toBe('8846f23ce943a3b70089f86345626778cd93f11e')
})

test('gzip Content-Encoding is removed; <>-wrapped target URIs are unwrapped', async () => {
  const [gz] = records(await collect(openStream('warcio-fixtures/example.warc.gz'), options('ex')))
  expect(gz).toMatchObject({ url: 'http://example.com/', http_status: 200, content_type: 'text/html', crawl_id: 'Temporary%20Collection/Recording%20Session' })
  expect(Buffer.from(gz?.body as Uint8Array).toString('utf8')).toContain('<title>Example Domain</title>')
  const wget = records(await collect(openStream('warcio-fixtures/example-wget-bad-target-uri.warc.gz'), options('wget')))
  expect(wget.map(d => d.url)).toEqual([
    'http://example.com/',
    'metadata://gnu.org/software/wget/warc/wget_arguments.txt',
    'metadata://gnu.org/software/wget/warc/wget.log'
  ])
})

test('example-trunc: the cut gzip body is a truncated dead letter, the stray bytes a bad_warc one', async () => {
  const items = await collect(openStream('warcio-fixtures/example-trunc.warc'), options('trunc'))
  const [cut, stray] = letters(items)
  expect(cut).toMatchObject({ code: 'truncated', provenance: { offset: 1197 } })
  expect(cut?.message).toContain('http://example.com/')
  expect(stray).toMatchObject({ code: 'bad_warc', provenance: { offset: 2560, length: 6 } })
  expect(Buffer.from(stray?.raw as Uint8Array)).toEqual(Buffer.from('\0\0\r\n\r\n', 'latin1'))
})

test('ccnet WET: three conversion documents with UTF-8 text', async () => {
  const docs = records(await collect(openStream('ccnet-sample.wet.txt'), options('wet')))
  expect(docs.map(d => [d.record_type, d.url, d.content_type, d.crawl_id])).toEqual([
    ['conversion', 'http://sample_english.com', 'text/plain', 'CC-MAIN-2019-13'],
    ['conversion', 'http://sample_chinese.zh', 'text/plain', 'CC-MAIN-2019-13'],
    ['conversion', 'http://sample_russian.ru', 'text/plain', 'CC-MAIN-2019-13']
  ])
  expect(docs[0]?.text?.startsWith('Famous Mark Twain Quotes\n')).toBe(true)
  expect(docs[0]?.text?.endsWith("Truth isn't.")).toBe(true)
  expect(docs[1]?.text).toContain('。')
  expect(docs.every(d => d.body === null && d.http_status === null)).toBe(true)
})

test('a consumer that stops early closes the input stream', async () => {
  const stream = openStream('dolma-sample-0000.warc.gz') as fs.ReadStream
  for await (const item of readWarc(stream, options('dolma'))) {
    expect(item.kind).toBe('record')
    break
  }
  expect(stream.destroyed).toBe(true)
})

// ---- synthetic records ----

function warc (type: string, block: string | Uint8Array, fields: Record<string, string> = {}): Buffer {
  const body = typeof block === 'string' ? Buffer.from(block) : Buffer.from(block)
  const all: Record<string, string> = {
    'WARC-Type': type,
    'WARC-Target-URI': 'http://example.org/page',
    'WARC-Date': '2024-01-02T03:04:05Z',
    'WARC-Record-ID': '<urn:uuid:00000000-0000-0000-0000-000000000000>',
    'Content-Type': type === 'response' ? 'application/http; msgtype=response' : 'text/html',
    'Content-Length': String(body.length),
    ...fields
  }
  const head = ['WARC/1.0', ...Object.entries(all).map(([k, v]) => `${k}: ${v}`)].join('\r\n')
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`), body, Buffer.from('\r\n\r\n')])
}

function http (status: string, headers: Record<string, string>, body: string | Uint8Array): Buffer {
  const head = [`HTTP/1.1 ${status}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n')
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`), typeof body === 'string' ? Buffer.from(body) : body])
}

const page = '<html><body>hello</body></html>'

test('a record over maxDocBytes is skipped as oversize and reading continues', async () => {
  const big = warc('resource', Buffer.alloc(200_000, 0x61))
  const input = Buffer.concat([warc('resource', page), big, warc('resource', page)])
  for (const chunk of [64 * 1024, 1000, 7]) {
    const items = await readBytes(input, { maxDocBytes: 1000 }, chunk)
    expect(items.map(i => i.kind === 'record' ? 'record' : i.letter.code)).toEqual(['record', 'oversize', 'record'])
    const letter = letters(items)[0] as DeadLetter
    const start = warc('resource', page).length
    expect(letter.provenance).toMatchObject({ offset: start, length: big.length })
    expect(letter.raw?.byteLength).toBe(64 * 1024)
    expect(letter.raw_truncated).toBe(true)
    expect(Buffer.from(letter.raw as Uint8Array).toString('latin1', 0, 8)).toBe('WARC/1.0')
    expect(items[1]?.end).toBe(start + big.length)
  }
})

test('garbage between records is one bad_warc dead letter; the next record is still read', async () => {
  const garbage = Buffer.from('this is not a WARC header\r\nWARC-Type: response\r\n\r\nnor is this WARC/1.0 in a line\r\n')
  const first = warc('resource', page)
  const input = Buffer.concat([first, garbage, warc('resource', page, { 'WARC-Target-URI': 'http://example.org/second' })])
  for (const chunk of [65536, 3]) {
    const items = await readBytes(input, {}, chunk)
    expect(items.map(i => i.kind === 'record' ? i.record.url : i.letter.code)).toEqual(['http://example.org/page', 'bad_warc', 'http://example.org/second'])
    expect(letters(items)[0]).toMatchObject({ provenance: { offset: first.length, length: garbage.length }, raw_truncated: false })
    expect(Buffer.from(letters(items)[0]?.raw as Uint8Array)).toEqual(garbage)
  }
})

test('a header without a numeric Content-Length is bad_warc and reading resynchronises', async () => {
  const noLength = Buffer.from('WARC/1.0\r\nWARC-Type: resource\r\n\r\nbody\r\n\r\n')
  const badLength = Buffer.from('WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: 12abc\r\n\r\nbody\r\n\r\n')
  const items = await readBytes(Buffer.concat([noLength, badLength, warc('resource', page)]))
  expect(letters(items).map(l => [l.code, l.provenance.offset, l.provenance.length])).toEqual([
    ['bad_warc', 0, noLength.length],
    ['bad_warc', noLength.length, badLength.length]
  ])
  expect(letters(items)[1]?.message).toContain('"12abc" is not a number')
  expect(records(items)).toHaveLength(1)
})

test('input that ends inside a record yields truncated with the byte counts, then stops', async () => {
  const bytes = await fileBytes('dolma-sample-0000.warc.gz')
  const items = await readBytes(bytes.subarray(0, 50_000), {}, 4096)
  expect(items).toHaveLength(1)
  const letter = letters(items)[0] as DeadLetter
  expect(letter.code).toBe('truncated')
  expect(letter.message).toContain('declares Content-Length 88099')
  expect(letter.message).toMatch(/ends after \d+ bytes/)
  expect(letter.provenance).toMatchObject({ offset: 1167, length: 50_000 - 1167 })
  const cutHeader = await readBytes(bytes.subarray(0, 1200))
  expect(letters(cutHeader).map(l => [l.code, l.message.split(': ')[1]])).toEqual([['truncated', 'input ends inside a WARC header']])
})

test('responses without a body are empty_text naming the HTTP status', async () => {
  const redirect = http('301 Moved Permanently', { Location: 'http://example.org/' }, '')
  const notModified = http('304 Not Modified', { 'Content-Encoding': 'gzip' }, '')
  const items = await readBytes(Buffer.concat([warc('response', redirect), warc('response', notModified)]))
  expect(letters(items).map(l => l.code)).toEqual(['empty_text', 'empty_text'])
  expect(letters(items)[0]?.message).toContain('HTTP 301')
  expect(letters(items)[1]?.message).toContain('HTTP 304')
})

test('chunked bodies: decoded when well framed, kept as stored (like warcio) when not', async () => {
  const good = http('200 OK', { 'Transfer-Encoding': 'chunked', 'Content-Type': 'text/html' }, '5;ext=1\r\n<html\r\n3\r\n>hi\r\n0\r\n\r\n')
  const notChunked = http('200 OK', { 'Transfer-Encoding': 'chunked' }, page)
  const brokenLater = http('200 OK', { 'Transfer-Encoding': 'chunked' }, '3\r\nabc\r\nzz\r\ndef')
  const gzipped = zlib.gzipSync(page)
  const gzipChunked = http('200 OK', { 'Transfer-Encoding': 'chunked', 'Content-Encoding': 'gzip' },
    Buffer.concat([Buffer.from(`${(10).toString(16)}\r\n`), gzipped.subarray(0, 10), Buffer.from(`\r\n${(gzipped.length - 10).toString(16)}\r\n`), gzipped.subarray(10), Buffer.from('\r\n0\r\n\r\n')]))
  const docs = records(await readBytes(Buffer.concat([good, notChunked, brokenLater, gzipChunked].map(m => warc('response', m)))))
  expect(docs.map(d => Buffer.from(d.body as Uint8Array).toString())).toEqual(['<html>hi', page, 'abczz\r\ndef', page])
  expect(docs.map(d => d.meta?.transfer_decoding_error === undefined)).toEqual([true, false, false, true])
  expect(String(docs[1]?.meta?.transfer_decoding_error)).toContain('no chunk-size line at body byte 0')
  expect(String(docs[2]?.meta?.transfer_decoding_error)).toContain('bad chunk size "zz"')
})

test('content encodings: gzip, deflate (zlib and raw), br; failures get their own codes', async () => {
  const messages = [
    http('200 OK', { 'Content-Encoding': 'gzip' }, Buffer.concat([zlib.gzipSync(page), Buffer.from('\r\n')])),
    http('200 OK', { 'Content-Encoding': 'deflate' }, zlib.deflateSync(page)),
    http('200 OK', { 'Content-Encoding': 'deflate' }, zlib.deflateRawSync(page)),
    http('200 OK', { 'Content-Encoding': 'br' }, zlib.brotliCompressSync(page)),
    http('200 OK', { 'Content-Encoding': 'gzip, br' }, zlib.brotliCompressSync(zlib.gzipSync(page))),
    http('200 OK', { 'Content-Encoding': 'zstd' }, page),
    http('200 OK', { 'Content-Encoding': 'gzip' }, page),
    http('200 OK', { 'Content-Encoding': 'gzip' }, zlib.gzipSync(page).subarray(0, 20)),
    http('200 OK', { 'Content-Encoding': 'gzip' }, zlib.gzipSync(Buffer.alloc(50_000)))
  ]
  const items = await readBytes(Buffer.concat(messages.map(m => warc('response', m))), { maxDocBytes: 10_000 })
  expect(items.map(i => i.kind === 'record' ? Buffer.from(i.record.body as Uint8Array).toString() : i.letter.code)).toEqual([
    page, page, page, page, page, 'bad_http', 'bad_gzip', 'truncated', 'oversize'
  ])
})

test('malformed HTTP is bad_http; invalid UTF-8 in a conversion record is bad_utf8', async () => {
  const input = Buffer.concat([
    warc('response', 'FOO 200 OK\r\n\r\nbody'),
    warc('conversion', Buffer.from([0x68, 0x69, 0xff, 0xfe]), { 'Content-Type': 'text/plain' }),
    warc('conversion', 'fine text', { 'Content-Type': 'text/plain' })
  ])
  const items = await readBytes(input)
  expect(items.map(i => i.kind === 'record' ? i.record.text : i.letter.code)).toEqual(['bad_http', 'bad_utf8', 'fine text'])
  expect(letters(items)[0]?.message).toContain('"FOO 200 OK"')
})

test('WARC 1.1 details: <>-wrapped URI, fractional and zone-less dates, non-HTTP responses, skipped types', async () => {
  const input = Buffer.concat([
    warc('request', 'GET / HTTP/1.1\r\n\r\n'),
    warc('metadata', 'a: b'),
    warc('revisit', ''),
    warc('resource', page, { 'WARC-Target-URI': '<http://example.org/a>', 'WARC-Date': '2024-01-02T03:04:05.123456Z' }),
    warc('resource', page, { 'WARC-Date': '2024-01-02T03:04:05' }),
    warc('resource', page, { 'WARC-Date': 'yesterday' }),
    warc('response', 'dns answer', { 'Content-Type': 'text/dns', 'WARC-Target-URI': 'dns:example.org' }),
    warc('unknown-type', 'x')
  ]).toString('latin1').replace(/^WARC\/1\.0/gm, 'WARC/1.1')
  const docs = records(await readBytes(Buffer.from(input, 'latin1')))
  expect(docs.map(d => [d.url, d.fetched_at, d.record_type])).toEqual([
    ['http://example.org/a', '2024-01-02T03:04:05.123Z', 'resource'],
    ['http://example.org/page', '2024-01-02T03:04:05.000Z', 'resource'],
    ['http://example.org/page', null, 'resource'],
    ['dns:example.org', '2024-01-02T03:04:05.000Z', 'response']
  ])
  expect(docs[3]).toMatchObject({ content_type: 'text/dns', http_status: null, http_headers: null })
  for (const d of docs) expect(rawRecordSchema.check(d)).toMatchObject({ ok: true })
})
