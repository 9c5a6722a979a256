import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import { expect, test } from 'vitest'
import { ingestConfigSchema } from '../../../schemas/config.ts'
import { rawRecordSchema } from '../../../schemas/raw-record.ts'
import { expandInputs, readInput } from '../../../streams/readers/index.ts'
import { collect, deadLetters, records, SHARED } from '../../helpers/readers.ts'

const config = ingestConfigSchema.parse({})

test('a folder of gzipped HTML pages (the AEB benchmark) gives one document per page with its bytes', async () => {
  const folder = `${SHARED}/web/en/aeb/html`
  const files = expandInputs([folder])
  expect(files).toHaveLength(fs.readdirSync(folder).filter(n => !n.startsWith('.')).length)
  const first = files[0]!
  const items = await collect(readInput(first, { config, startOffset: 0 }))
  const [doc] = records(items)
  expect(doc!.record_type).toBe('file')
  expect(doc!.content_type).toBe('text/html')
  expect(Buffer.from(doc!.body!).equals(zlib.gunzipSync(fs.readFileSync(first)))).toBe(true)
  expect(rawRecordSchema.check(doc)).toMatchObject({ ok: true })
  let count = 0
  for (const file of files) count += records(await collect(readInput(file, { config, startOffset: 0 }))).length
  expect(count).toBe(files.length)
})

test('text files must be UTF-8 and not empty; oversize files are dead-lettered', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-files-'))
  const article = zlib.gunzipSync(fs.readFileSync(`${SHARED}/web/zh/zhwiki_sampled.txt.gz`)).toString('utf8').split('\n')[3]!
  fs.writeFileSync(path.join(dir, 'a.txt'), article)
  fs.writeFileSync(path.join(dir, 'b.txt'), Buffer.from([0x61, 0xc3, 0x28]))
  fs.writeFileSync(path.join(dir, 'c.txt'), '\n\n')
  fs.writeFileSync(path.join(dir, 'd.txt'), 'x'.repeat(5000))
  const small = { ...config, maxDocBytes: 4096 }
  const items = []
  for (const file of expandInputs([dir])) items.push(...await collect(readInput(file, { config: small, startOffset: 0 })))
  expect(records(items).map(r => r.text)).toEqual([article])
  expect(deadLetters(items).map(d => [path.basename(d.provenance.file!), d.code])).toEqual([['b.txt', 'bad_utf8'], ['c.txt', 'empty_text'], ['d.txt', 'oversize']])
})
