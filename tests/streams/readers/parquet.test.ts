import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import { DuckDBInstance } from '@duckdb/node-api'
import { expect, test } from 'vitest'
import { ingestConfigSchema } from '../../../schemas/config.ts'
import { readInput } from '../../../streams/readers/index.ts'
import { collect, deadLetters, records, SHARED } from '../../helpers/readers.ts'

test('reads Parquet rows (written by DuckDB from the real C4 sample) with the same field mapping as JSONL', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-parquet-'))
  const jsonl = path.join(dir, 'c4.jsonl')
  const lines = zlib.gunzipSync(fs.readFileSync(`${SHARED}/web/en/olmo-c4-sample.02.json.gz`)).toString('utf8').trim().split('\n')
  fs.writeFileSync(jsonl, [...lines, '{"url": "http://no-text.example/"}'].join('\n') + '\n')
  const file = path.join(dir, 'c4.parquet')
  const db = await DuckDBInstance.create(':memory:')
  const connection = await db.connect()
  await connection.run(`COPY (SELECT * FROM read_json_auto('${jsonl}')) TO '${file}' (FORMAT parquet)`)
  connection.closeSync()
  db.closeSync()

  const config = ingestConfigSchema.parse({})
  const items = await collect(readInput(file, { config, startOffset: 0 }))
  const recs = records(items)
  expect(recs.map(r => r.text)).toEqual(lines.map(l => JSON.parse(l).text))
  expect(recs.map(r => r.url)).toEqual(lines.map(l => JSON.parse(l).url))
  expect(recs.every(r => r.record_type === 'parquet' && r.source === 'parquet')).toBe(true)
  expect(recs.map(r => r.provenance.offset)).toEqual(lines.map((_, i) => i))
  expect(deadLetters(items).map(d => [d.code, d.provenance.offset])).toEqual([['missing_field', lines.length]])

  const resumed = records(await collect(readInput(file, { config, startOffset: 4 })))
  expect(resumed).toEqual(recs.slice(4))
})
