import { tableToIPC, tableFromIPC } from 'apache-arrow'
import { expect, test } from 'vitest'
import { documentSchema } from '../../schemas/document.ts'
import { documentId } from '../../schemas/ids.ts'
import { filePosition } from '../../schemas/provenance.ts'
import { decodeRawRecord, encodeRawRecord, rawRecordSchema, type RawRecord } from '../../schemas/raw-record.ts'
import { rawToDocument } from '../../streams/operators/to-document.ts'

const record: RawRecord = {
  schema_version: 1,
  id: documentId('HTTP://Example.COM:80/a#frag', ''),
  url: 'http://example.com/a',
  source: 'warc',
  crawl_id: 'CC-MAIN-2019-13',
  fetched_at: '2019-03-18T00:00:00.000Z',
  record_type: 'response',
  content_type: 'text/html; charset=gbk',
  http_status: 200,
  http_headers: { 'content-type': 'text/html; charset=gbk' },
  text: null,
  body: new Uint8Array([0xc4, 0xe3, 0xba, 0xc3, 0x00, 0xff]),
  meta: null,
  provenance: filePosition('/data/x.warc.gz', 1234, 99)
}

test('ids are stable under URL case, default port and fragment, and differ by content when there is no URL', () => {
  expect(record.id).toBe(documentId('http://example.com/a', 'other content'))
  expect(documentId(null, 'a')).not.toBe(documentId(null, 'b'))
  expect(documentId(null, 'a')).toBe(documentId('', 'a'))
  expect(documentId(null, 'a')).toMatch(/^c[0-9a-f]{15}$/)
})

test('the Kafka codec round-trips bytes exactly, including non-UTF-8 bodies', () => {
  const back = decodeRawRecord(encodeRawRecord(record))
  expect(back).toEqual(record)
  expect(Buffer.from(back.body!).equals(Buffer.from(record.body!))).toBe(true)
})

test('validation names the bad field', () => {
  const r = rawRecordSchema.check({ ...record, record_type: 'nope' })
  expect(r.ok).toBe(false)
  if (!r.ok) expect(r.message).toContain('record_type')
  const extra = rawRecordSchema.check({ ...record, surprise: 1 })
  expect(extra.ok).toBe(false)
  expect(() => decodeRawRecord(Buffer.from('not a record'))).toThrow(/magic/)
})

test('the Arrow schema is derived from the same definition and holds the rows', () => {
  const doc = rawToDocument(record, '2026-11-28T00:00:00.000Z')
  expect(documentSchema.check(doc)).toMatchObject({ ok: true })
  const schema = documentSchema.arrowSchema()
  expect(schema.fields.map(f => f.name)).toEqual(Object.keys(documentSchema.shape))
  expect(schema.metadata.get('sluice.schema')).toBe('document.v1')
  const table = tableFromIPC(tableToIPC(documentSchema.toArrowTable([doc, { ...doc, id: 'x', text: 'hello' }])))
  expect(table.numRows).toBe(2)
  expect(table.getChild('id')!.get(1)).toBe('x')
  expect(table.getChild('provenance')!.get(0)!.toJSON()).toMatchObject({ file: '/data/x.warc.gz', offset: 1234n })
  // the GBK body was decoded with the charset its header names
  expect(doc.html!.startsWith('你好')).toBe(true)
})
