import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import { expect, test } from 'vitest'
import { freshPrefix } from '../helpers/kafka.ts'
import { expectedItems, ingestInto, positionOf, topicContents } from '../helpers/ingest.ts'
import { SHARED } from '../helpers/readers.ts'

const sortByPosition = <T extends { provenance: { file: string | null, offset: number | null } }>(xs: T[]) =>
  [...xs].sort((a, b) => positionOf(a).localeCompare(positionOf(b)))

test('ingests the real WARC, WET and JSONL samples into docs.raw, record for record', async () => {
  const inputs = [
    `${SHARED}/web/warc/dolma-sample-0000.warc.gz`,
    `${SHARED}/web/warc/resiliparse-warcfile.warc.gz`,
    `${SHARED}/web/warc/ccnet-sample.wet.txt`,
    `${SHARED}/web/warc/warcio-fixtures`,
    `${SHARED}/web/en/olmo-c4-sample.01.json.gz`,
    `${SHARED}/web/zh/chinesewebtext-cc2021-43-cleared1.jsonl`
  ]
  const prefix = freshPrefix('samples')
  const summary = await ingestInto(prefix, inputs)
  const expected = await expectedItems(inputs)
  const got = await topicContents(prefix)

  expect(summary.records).toBe(expected.records.length)
  expect(summary.deadLetters).toBe(expected.letters.length)
  expect(got.raw).toHaveLength(expected.records.length)
  expect(got.dead).toHaveLength(expected.letters.length)
  // the manifest's counts: 22 responses + 2 resources in dolma, 3 WET conversions, 10 C4 lines, 67 ChineseWebText lines
  const perFile = (name: string) => got.raw.filter(r => r.record.provenance.file!.endsWith(name)).length +
    got.dead.filter(d => d.letter.provenance.file!.endsWith(name)).length
  expect(perFile('dolma-sample-0000.warc.gz')).toBe(24)
  expect(perFile('ccnet-sample.wet.txt')).toBe(3)
  expect(perFile('olmo-c4-sample.01.json.gz')).toBe(10)
  expect(perFile('chinesewebtext-cc2021-43-cleared1.jsonl')).toBe(67)

  // same content, byte for byte, keyed by document id
  const byPosition = new Map(got.raw.map(r => [positionOf(r.record), r]))
  for (const want of expected.records) {
    const have = byPosition.get(positionOf(want))
    expect(have, positionOf(want)).toBeDefined()
    expect(have!.key).toBe(want.id)
    expect({ ...have!.record, body: null }).toEqual({ ...want, body: null })
    expect(Buffer.from(have!.record.body ?? []).equals(Buffer.from(want.body ?? []))).toBe(true)
  }
  expect(sortByPosition(got.dead.map(d => d.letter)).map(d => d.code)).toEqual(sortByPosition(expected.letters).map(d => d.code))
})

test('sends each kind of bad input to docs.deadletter with file, offset, code and message, and goes on', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bad-'))
  fs.writeFileSync(path.join(dir, 'bad.jsonl'), [
    '{"text": "fine", "url": "http://x.example/1"}',
    '{"text": "unterminated',
    '{"text": ""}',
    '{"text": "' + 'y'.repeat(1_100_000) + '"}',
    '{"text": "fine again", "url": "http://x.example/2"}'
  ].join('\n') + '\n')
  fs.writeFileSync(path.join(dir, 'latin1.jsonl'), Buffer.concat([Buffer.from('{"text": "caf'), Buffer.from([0xe9]), Buffer.from('"}\n')]))
  // a WARC cut in the middle of a record, as a crawler that died would leave it
  const warc = zlib.gunzipSync(fs.readFileSync(`${SHARED}/web/warc/dolma-sample-0000.warc.gz`))
  fs.writeFileSync(path.join(dir, 'cut.warc'), warc.subarray(0, Math.floor(warc.length / 2)))
  // a gzip whose end is missing
  const gz = fs.readFileSync(`${SHARED}/web/en/olmo-c4-sample.02.json.gz`)
  fs.writeFileSync(path.join(dir, 'cut.jsonl.gz'), gz.subarray(0, Math.floor(gz.length * 0.6)))
  fs.writeFileSync(path.join(dir, 'empty.txt'), '  \n')

  const prefix = freshPrefix('bad')
  const summary = await ingestInto(prefix, [dir], { maxDocBytes: 1_000_000 })
  const got = await topicContents(prefix)
  const codes = got.dead.map(d => `${path.basename(d.letter.provenance.file!)}:${d.letter.code}`).sort()
  expect(codes).toEqual([
    'bad.jsonl:bad_json', 'bad.jsonl:empty_text', 'bad.jsonl:oversize',
    'cut.jsonl.gz:truncated',
    'cut.warc:truncated',
    'empty.txt:empty_text',
    'latin1.jsonl:bad_utf8'
  ])
  for (const { key, letter } of got.dead) {
    expect(letter.message).toContain(`${letter.provenance.file}@${letter.provenance.offset}`)
    expect(key).toBe(`${letter.provenance.file}@${letter.provenance.offset}`)
    expect(letter.stage).toBe('ingest')
  }
  const badJson = got.dead.find(d => d.letter.code === 'bad_json' && d.letter.provenance.file!.endsWith('bad.jsonl'))!
  expect(badJson.letter.provenance.offset).toBe('{"text": "fine", "url": "http://x.example/1"}\n'.length)
  expect(Buffer.from(badJson.letter.raw!).toString()).toBe('{"text": "unterminated')
  // the good records around the bad ones all arrived
  expect(got.raw.filter(r => r.record.provenance.file!.endsWith('bad.jsonl')).map(r => r.record.text).sort()).toEqual(['fine', 'fine again'])
  expect(got.raw.filter(r => r.record.provenance.file!.endsWith('cut.warc')).length).toBeGreaterThan(5)
  expect(summary.deadLetters).toBe(got.dead.length)
})

test('a second run of the same job sends nothing twice; another job sends everything again', async () => {
  const input = `${SHARED}/web/warc/ccnet-sample.wet.txt`
  const prefix = freshPrefix('rerun')
  const first = await ingestInto(prefix, [input])
  const second = await ingestInto(prefix, [input])
  expect(first.records).toBe(3)
  expect(second.records).toBe(0)
  expect(second.filesSkipped).toBe(1)
  expect((await topicContents(prefix)).raw).toHaveLength(3)
  const other = await ingestInto(prefix, [input], { job: 'another' })
  expect(other.records).toBe(3)
  expect((await topicContents(prefix)).raw).toHaveLength(6)
})

test('a 9 MB document fits the topic limits and arrives intact', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-big-'))
  const text = '大'.repeat(3_000_000) + ' end'
  fs.writeFileSync(path.join(dir, 'big.jsonl'), JSON.stringify({ text, url: 'http://big.example/1' }) + '\n')
  const prefix = freshPrefix('big')
  const summary = await ingestInto(prefix, [dir])
  expect(summary.records).toBe(1)
  const got = await topicContents(prefix)
  expect(got.raw).toHaveLength(1)
  expect(got.raw[0]!.record.text).toBe(text)
})
