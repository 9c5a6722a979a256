import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { expect, test } from 'vitest'
import { IcebergTable } from '../../lake/iceberg/table.ts'
import { DOCUMENTS_SCHEMA, DOCUMENTS_SPEC, openDocumentsTable } from '../../lake/documents-table.ts'
import { appendDocs, docs, pyiceberg } from '../helpers/lake.ts'
import { SHARED } from '../helpers/readers.ts'

test('pyiceberg and DuckDB read exactly the rows Sluice wrote, for the current and an older snapshot', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-iceberg-'))
  const table = openDocumentsTable(dir)
  const en = docs(`${SHARED}/web/en/olmo-c4-sample.02.json.gz`, 'en', 'text')
  const zh = docs(`${SHARED}/web/zh/zhwiki_sampled.txt.gz`, 'zh', '')
  await appendDocs(table, en, 'en')
  const first = table.metadata['current-snapshot-id']
  await appendDocs(table, zh, 'zh')

  const now = pyiceberg(table.metadataFile)
  expect(now.count).toBe(en.length + zh.length)
  expect(now.ids).toEqual([...en, ...zh].map(d => d.id).sort())
  const before = pyiceberg(table.metadataFile, first)
  expect(before.ids).toEqual(en.map(d => d.id).sort())

  const files = table.dataFiles()
  expect(files).toHaveLength(2)
  const db = await DuckDBInstance.create(':memory:')
  const c = await db.connect()
  const rows = await c.runAndReadAll(`SELECT count(*)::INTEGER AS n, count(DISTINCT id)::INTEGER AS ids FROM read_parquet([${files.map(f => `'${f.path}'`).join(',')}])`)
  expect(rows.getRowObjects()[0]).toEqual({ n: en.length + zh.length, ids: en.length + zh.length })
  const text = await c.runAndReadAll(`SELECT text FROM read_parquet('${files.find(f => f.partition.lang === 'zh')!.path}') ORDER BY id LIMIT 1`)
  expect(zh.map(d => d.text)).toContain(text.getRowObjects()[0]!.text)
  c.closeSync()
  db.closeSync()
  expect(table.metadata.snapshots.at(-1)!.summary).toMatchObject({ operation: 'append', 'total-records': String(en.length + zh.length), 'sluice.test': 'zh' })
})

test('two processes committing at once never lose a commit', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-cas-'))
  const tableDir = path.join(dir, 't')
  IcebergTable.create(tableDir, DOCUMENTS_SCHEMA, DOCUMENTS_SPEC)
  const script = path.join(dir, 'writer.ts')
  fs.writeFileSync(script, `
import { IcebergTable } from ${JSON.stringify(path.resolve('lake/iceberg/table.ts'))}
const t = IcebergTable.load(process.argv[2]!)
for (let i = 0; i < 15; i++) t.append([{ path: '/nowhere/' + process.argv[3] + '-' + i + '.parquet', recordCount: 1, fileSizeInBytes: 1, partition: { lang: 'en', ingested_at_day: 0 } }])
`)
  const run = (name: string) => new Promise<number>(resolve => {
    spawn(process.execPath, ['--import', 'tsx', script, tableDir, name], { stdio: 'inherit' }).on('close', code => resolve(code ?? 1))
  })
  expect(await Promise.all([run('a'), run('b')])).toEqual([0, 0])
  const table = IcebergTable.load(tableDir)
  expect(table.metadata.snapshots).toHaveLength(30)
  expect(table.metadata.snapshots.at(-1)!.summary['total-records']).toBe('30')
  expect(table.dataFiles().map(f => f.path).sort()).toHaveLength(30)
})
