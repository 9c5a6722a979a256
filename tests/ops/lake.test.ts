import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { expect, test } from 'vitest'
import { runCli } from '../helpers/cli.ts'
import { openDocumentsTable } from '../../lake/documents-table.ts'
import { appendDocs, docs } from '../helpers/lake.ts'
import { SHARED } from '../helpers/readers.ts'

test('sluice sql queries the current snapshot, travels by --snapshot and --as-of, binds --param, and writes csv/json/parquet', async () => {
  const lake = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-lake-'))
  const table = openDocumentsTable(lake)
  const en = docs(`${SHARED}/web/en/olmo-c4-sample.01.json.gz`, 'en', 'text')
  const zh = docs(`${SHARED}/web/zh/CLUECorpusSmall_sampled.txt.gz`, 'zh', '')
  await appendDocs(table, en, 'en')
  const first = table.metadata['current-snapshot-id']
  await sleep(20)
  const between = new Date().toISOString()
  await sleep(20)
  await appendDocs(table, zh, 'zh')
  const sql = (...args: string[]) => runCli(['sql', ...args, '--lake', lake])

  const counts = await sql('select lang, count(*) as n from documents group by lang order by lang', '--format', 'json')
  expect(counts.code, counts.stderr).toBe(0)
  expect(counts.stdout.trim().split('\n').map(l => JSON.parse(l))).toEqual([{ lang: 'en', n: String(en.length) }, { lang: 'zh', n: String(zh.length) }])

  expect((await sql('select count(*) as n from documents', '--snapshot', String(first), '--format', 'csv')).stdout).toBe(`n\n${en.length}\n`)
  expect((await sql('select count(*) as n from documents', '--as-of', between, '--format', 'csv')).stdout).toBe(`n\n${en.length}\n`)

  const target = zh[3]!
  const byId = await sql('select id, text from documents where id = $id', '--param', `id=${target.id}`, '--format', 'json')
  expect(JSON.parse(byId.stdout)).toEqual({ id: target.id, text: target.text })
  // a value that looks like SQL stays a value
  const injected = await sql('select count(*) as n from documents where id = $id', '--param', "id=x' or '1'='1", '--format', 'csv')
  expect(injected.stdout).toBe('n\n0\n')

  const table1 = await sql('select lang, count(*) as n from documents group by lang order by lang')
  expect(table1.stdout.split('\n')[0]).toMatch(/^lang \| n$/)
  expect(table1.stdout).toContain(`zh   | ${zh.length}`)

  const out = path.join(lake, 'zh.parquet')
  expect((await sql("select id from documents where lang = 'zh'", '--format', 'parquet', '--out', out)).code).toBe(0)
  expect((await sql(`select count(*) as n from read_parquet('${out}')`, '--format', 'csv')).stdout).toBe(`n\n${zh.length}\n`)

  const missing = await sql('select 1', '--snapshot', '12345')
  expect(missing.code).toBe(2)
  expect(missing.stderr).toContain('no table')
  const bad = await sql('select nope from documents')
  expect(bad.code).toBe(2)
  expect(bad.stderr).toMatch(/query failed: .*nope/)
})

test('an empty table still has its columns', async () => {
  const lake = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-lake-empty-'))
  openDocumentsTable(lake)
  const r = await runCli(['sql', 'select count(*) as n, count(text) as t from documents', '--lake', lake, '--format', 'csv'])
  expect(r.stdout).toBe('n,t\n0,0\n')
})

test('sluice lake log and describe show snapshots, summaries, schema, partitioning and files', async () => {
  const lake = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-lake-log-'))
  const table = openDocumentsTable(lake)
  const en = docs(`${SHARED}/web/en/olmo-c4-sample.02.json.gz`, 'en', 'text')
  await appendDocs(table, en, 'en')
  await appendDocs(table, en.slice(0, 3).map(d => ({ ...d, id: `${d.id}-again` })), 'en')
  const log = await runCli(['lake', 'log', 'documents', '--lake', lake, '--json'])
  expect(log.code, log.stderr).toBe(0)
  const entries = log.stdout.trim().split('\n').map(l => JSON.parse(l))
  expect(entries.map(e => e.summary['added-records'])).toEqual(['3', String(en.length)])
  expect(entries[0].summary).toMatchObject({ 'total-records': String(en.length + 3), 'sluice.test': 'en' })
  expect(entries[0].parent_id).toBe(entries[1].snapshot_id)
  const describe = await runCli(['lake', 'describe', 'documents', '--lake', lake])
  expect(describe.stdout).toContain('partitioned by: identity(lang), day(ingested_at)')
  expect(describe.stdout).toContain(`data files: 2, rows: ${en.length + 3}`)
  expect(describe.stdout).toMatch(/\s2 id\s+string not null/)
  const missing = await runCli(['lake', 'describe', 'nope', '--lake', lake])
  expect(missing.code).toBe(2)
  expect(missing.stderr).toContain('no table nope')
})
