import fs from 'node:fs'
import zlib from 'node:zlib'
import { expect, test } from 'vitest'
import { ingestConfigSchema } from '../../../schemas/config.ts'
import { rawRecordSchema } from '../../../schemas/raw-record.ts'
import { readInput } from '../../../streams/readers/index.ts'
import { readTextLines } from '../../../streams/readers/lines.ts'
import { collect, deadLetters, randomChunks, readOptions, records, SHARED } from '../../helpers/readers.ts'

const config = ingestConfigSchema.parse({})

test('--format lines reads the zh-Wikipedia sample as a document a line, each placed by its bytes', async () => {
  const file = `${SHARED}/web/zh/zhwiki_sampled.txt.gz`
  const text = zlib.gunzipSync(fs.readFileSync(file))
  const expected = text.toString('utf8').split('\n').filter(l => l.trim() !== '')
  const docs = records(await collect(readInput(file, { config, startOffset: 0, format: 'lines' })))
  expect(docs.map(d => d.text)).toEqual(expected)
  expect(new Set(docs.map(d => d.id)).size).toBe(docs.length)
  for (const d of docs.slice(0, 50)) {
    expect(rawRecordSchema.check(d)).toMatchObject({ ok: true })
    expect(d.record_type).toBe('line')
    const { offset, length } = d.provenance as { offset: number, length: number }
    expect(text.subarray(offset, offset + length).toString('utf8').trimEnd()).toBe(d.text)
  }
  // without --format a text file stays one document
  expect(records(await collect(readInput(file, { config, startOffset: 0 })))).toHaveLength(1)
})

test('bad lines are dead-lettered where they are; chunking does not change what is read', async () => {
  const bytes = Buffer.concat([Buffer.from('first line\r\n\n   \n'), Buffer.from([0x61, 0xff, 0x0a]), Buffer.from('y'.repeat(300) + '\nlast line')])
  const read = async (chunks: AsyncIterable<Uint8Array>) => await collect(readTextLines()(chunks, readOptions('dump.txt', { maxDocBytes: 200 })))
  const items = await read(randomChunks(bytes, 7))
  expect(records(items).map(r => r.text)).toEqual(['first line', 'last line'])
  expect(deadLetters(items).map(d => [d.code, d.provenance.offset])).toEqual([['bad_utf8', 17], ['oversize', 20]])
  expect(items.at(-1)!.end).toBe(bytes.length)
  const whole = await read(randomChunks(bytes, 1000))
  // an oversize line keeps only a prefix of its bytes, and that prefix depends on the chunks
  const placed = (xs: typeof items) => xs.map(i => i.kind === 'record' ? i : [i.end, i.letter.code, i.letter.message])
  expect(placed(whole)).toEqual(placed(items))
})
