import fs from 'node:fs'
import zlib from 'node:zlib'
import { expect, test } from 'vitest'
import { ingestConfigSchema } from '../../../schemas/config.ts'
import { rawRecordSchema } from '../../../schemas/raw-record.ts'
import { readJsonl } from '../../../streams/readers/jsonl.ts'
import { collect, deadLetters, randomChunks, readOptions, records, SHARED } from '../../helpers/readers.ts'

const mapping = ingestConfigSchema.parse({}).jsonl

async function * once (b: Uint8Array) { yield b }

test('reads real C4 lines with url, text, timestamp and keeps unknown fields in meta', async () => {
  const bytes = zlib.gunzipSync(fs.readFileSync(`${SHARED}/web/en/olmo-c4-sample.01.json.gz`))
  const items = await collect(readJsonl(mapping)(once(bytes), readOptions('c4.json')))
  const recs = records(items)
  const lines = bytes.toString('utf8').split('\n').filter(l => l.trim() !== '')
  expect(recs).toHaveLength(lines.length)
  const first = JSON.parse(lines[0]!)
  expect(recs[0]!.text).toBe(first.text)
  expect(recs[0]!.url).toBe(first.url)
  expect(recs[0]!.fetched_at).toBe(new Date(first.date).toISOString())
  for (const r of recs) expect(rawRecordSchema.check(r)).toMatchObject({ ok: true })
  // offsets point at the line starts
  for (const r of recs) expect(bytes[r.provenance.offset! - 1] ?? 0x0a).toBe(0x0a)
})

test('maps ChineseWebText raw_content and keeps its other fields', async () => {
  const bytes = fs.readFileSync(`${SHARED}/web/zh/chinesewebtext-cc2021-43-cleared1.jsonl`)
  const recs = records(await collect(readJsonl(mapping)(once(bytes), readOptions('cwt.jsonl'))))
  expect(recs.length).toBe(67)
  expect(recs[0]!.text!.length).toBeGreaterThan(10)
  expect(recs[0]!.meta).toHaveProperty('title')
  expect(recs[0]!.meta).not.toHaveProperty('raw_content')
})

test('gives the same items whatever the chunk boundaries', async () => {
  const bytes = fs.readFileSync(`${SHARED}/web/zh/chinesewebtext-cc2021-43-cleared1.jsonl`)
  const whole = await collect(readJsonl(mapping)(once(bytes), readOptions('f')))
  const split = await collect(readJsonl(mapping)(randomChunks(bytes, 300), readOptions('f')))
  expect(split).toEqual(whole)
})

test('dead-letters each kind of bad line with its offset and goes on', async () => {
  const lines = [
    '{"text": "good one", "url": "http://a.example/1"}',
    '{"text": broken',
    '[1,2,3]',
    '{"url": "http://a.example/no-text"}',
    '{"text": "   "}',
    '{"text": 42}',
    '{"text": "' + 'x'.repeat(300) + '"}',
    '{"text": "last good", "extra": {"k": 1}}'
  ]
  const bytes = Buffer.concat([Buffer.from(lines.slice(0, 2).join('\n') + '\n'), Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a]), Buffer.from(lines.slice(2).join('\n'))])
  const items = await collect(readJsonl(mapping)(randomChunks(bytes, 17), readOptions('bad.jsonl', { maxDocBytes: 200 })))
  expect(records(items).map(r => r.text)).toEqual(['good one', 'last good'])
  expect(records(items)[1]!.meta).toEqual({ extra: { k: 1 } })
  expect(deadLetters(items).map(d => d.code)).toEqual(['bad_json', 'bad_utf8', 'bad_json', 'missing_field', 'empty_text', 'bad_schema', 'oversize'])
  const second = deadLetters(items)[0]!
  expect(second.provenance.offset).toBe(lines[0]!.length + 1)
  expect(second.message).toMatch(/^bad\.jsonl@\d+: /)
  expect(deadLetters(items)[1]!.message).toContain('invalid UTF-8 at byte 2')
  // the last item ends at the end of input, so a checkpoint there resumes after everything
  expect(items.at(-1)!.end).toBe(bytes.length)
})

test('resuming at an item end yields exactly the remaining items', async () => {
  const bytes = fs.readFileSync(`${SHARED}/web/zh/chinesewebtext-cc2021-43-cleared1.jsonl`)
  const all = await collect(readJsonl(mapping)(once(bytes), readOptions('f')))
  const cut = all[20]!.end
  const rest = await collect(readJsonl(mapping)(once(bytes.subarray(cut)), readOptions('f', { baseOffset: cut })))
  expect(rest).toEqual(all.slice(21))
})
