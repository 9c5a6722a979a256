import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { expect, test } from 'vitest'
import { DOCUMENTS_SCHEMA, openDocumentsTable } from '../../lake/documents-table.ts'
import { IcebergTable } from '../../lake/iceberg/table.ts'
import { OFFSETS_KEY } from '../../lake/offsets.ts'
import { openLake } from '../../lake/sql.ts'
import { runCli } from '../helpers/cli.ts'
import { appendDocs, docs, pyiceberg } from '../helpers/lake.ts'
import { SHARED } from '../helpers/readers.ts'

const fieldId = (name: string) => DOCUMENTS_SCHEMA.fields.find(f => f.name === name)!.id

async function smallFilesLake () {
  const lake = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-maint-'))
  const table = openDocumentsTable(lake)
  const en = docs(`${SHARED}/web/en/olmo-c4-sample.01.json.gz`, 'en', 'text')
  const zh = docs(`${SHARED}/web/zh/zhwiki_sampled.txt.gz`, 'zh', '')
  // every third English document has a URL, so the url column has values and nulls
  const enWithUrls = en.map((d, i) => i % 3 === 0 ? { ...d, url: `https://example.org/${i}` } : d)
  for (let i = 0; i < enWithUrls.length; i += 8) await appendDocs(table, enWithUrls.slice(i, i + 8), 'en')
  for (let i = 0; i < zh.length; i += 10) await appendDocs(table, zh.slice(i, i + 10), 'zh')
  // the sink's offsets must survive compaction, or it would load everything again
  table.commit({ add: [], summary: () => ({ [OFFSETS_KEY]: JSON.stringify({ 'docs.curated': { 0: 123 } }) }) })
  return { lake, table: IcebergTable.load(table.dir), en: enWithUrls, zh }
}

test('manifests carry value and null counts and bounds that readers can prune by without losing rows', async () => {
  const { table, en, zh } = await smallFilesLake()
  const files = table.dataFiles()
  for (const f of files) {
    expect(f.stats!.valueCounts.get(fieldId('id'))).toBe(f.recordCount)
    expect(f.stats!.lowerBounds.has(fieldId('id'))).toBe(true)
    // long strings get no bounds (they would bloat the manifest); short ones may
    const upper = f.stats!.upperBounds.get(fieldId('text'))
    if (upper !== undefined) expect(upper.length).toBeLessThanOrEqual(32)
  }
  expect(files.some(f => !f.stats!.upperBounds.has(fieldId('text')))).toBe(true)
  const urlNulls = files.reduce((n, f) => n + (f.stats!.nullCounts.get(fieldId('url')) ?? 0), 0)
  expect(urlNulls).toBe([...en, ...zh].filter(d => d.url === null).length)
  expect(Buffer.from(files.find(f => f.partition.lang === 'zh')!.stats!.lowerBounds.get(fieldId('lang'))!).toString()).toBe('zh')

  // pyiceberg skips files by these bounds: every lookup must still find its one row
  for (const d of [en[0]!, en[7]!, zh[5]!, zh.at(-1)!]) {
    expect(pyiceberg(table.metadataFile, undefined, `id == '${d.id}'`).ids).toEqual([d.id])
  }
  expect(pyiceberg(table.metadataFile, undefined, "lang == 'zh'").count).toBe(zh.length)
  expect(pyiceberg(table.metadataFile, undefined, "url == 'https://example.org/3'").count).toBe(1)
})

test('compact rewrites small files into one snapshot, keeps rows, offsets and time travel; expire drops old snapshots and their files', async () => {
  const { lake, table, en, zh } = await smallFilesLake()
  const before = table.dataFiles()
  expect(before.length).toBe(Math.ceil(en.length / 8) + Math.ceil(zh.length / 10))
  const beforeSnapshot = table.metadata['current-snapshot-id']

  const compacted = await runCli(['lake', 'compact', 'documents', '--lake', lake, '--target-size', '64MiB'])
  expect(compacted.code, compacted.stderr).toBe(0)
  expect(JSON.parse(compacted.stdout)).toMatchObject({ filesRemoved: before.length, filesAdded: 2, rows: en.length + zh.length })
  const after = IcebergTable.load(table.dir)
  const current = after.metadata.snapshots.at(-1)!
  expect(current.summary).toMatchObject({ operation: 'replace', 'deleted-data-files': String(before.length), 'added-data-files': '2', 'total-records': String(en.length + zh.length) })
  expect(current.summary[OFFSETS_KEY]).toBe(JSON.stringify({ 'docs.curated': { 0: 123 } }))
  expect(after.dataFiles().map(f => f.partition.lang).sort()).toEqual(['en', 'zh'])

  const all = [...en, ...zh].map(d => d.id).sort()
  expect(pyiceberg(after.metadataFile).ids).toEqual(all)
  expect(pyiceberg(after.metadataFile, beforeSnapshot).ids).toEqual(all)
  const session = await openLake(lake)
  const texts = await session.connection.runAndReadAll("select id, text from documents where lang = 'zh' order by id")
  expect(texts.getRowObjects()).toEqual([...zh].sort((a, b) => a.id < b.id ? -1 : 1).map(d => ({ id: d.id, text: d.text })))
  session.close()

  // a second run finds nothing small enough to be worth it
  expect(JSON.parse((await runCli(['lake', 'compact', 'documents', '--lake', lake, '--target-size', '64MiB'])).stdout).snapshotId).toBeNull()

  await sleep(5)
  const expired = await runCli(['lake', 'expire', '--older-than', '0s', '--lake', lake])
  expect(expired.code, expired.stderr).toBe(0)
  expect(JSON.parse(expired.stdout).documents.snapshots).toBe(after.metadata.snapshots.length - 1)
  const final = IcebergTable.load(table.dir)
  expect(final.metadata.snapshots.map(s => s['snapshot-id'])).toEqual([current['snapshot-id']])
  for (const f of before) expect(fs.existsSync(f.path)).toBe(false)
  for (const f of final.dataFiles()) expect(fs.existsSync(f.path)).toBe(true)
  expect(pyiceberg(final.metadataFile).ids).toEqual(all)
  const gone = await runCli(['sql', 'select 1', '--lake', lake, '--snapshot', String(beforeSnapshot)])
  expect(gone.code).toBe(2)

  const badDuration = await runCli(['lake', 'expire', '--older-than', 'soon', '--lake', lake])
  expect(badDuration.code).toBe(2)
  expect(badDuration.stderr).toContain('--older-than soon')
})

test('describe reports foreign, uncommitted and corrupt files and deletes none of them', async () => {
  const { lake, table } = await smallFilesLake()
  const [victim] = table.dataFiles()
  fs.truncateSync(victim!.path, 100)
  const foreign = path.join(table.dataDir, 'lang=en', 'notes.txt')
  fs.writeFileSync(foreign, 'hello')
  const uncommitted = path.join(table.dataDir, 'lang=en', 'sink-00000000-0000-4000-8000-000000000000.parquet')
  fs.writeFileSync(uncommitted, 'PAR1')
  const r = await runCli(['lake', 'describe', 'documents', '--lake', lake])
  expect(r.code, r.stderr).toBe(0)
  expect(r.stdout).toContain('files needing attention (3)')
  expect(r.stdout).toMatch(/size_mismatch\s+data\/lang=\w+\/.*: 100 bytes on disk/)
  expect(r.stdout).toMatch(/foreign\s+data\/lang=en\/notes\.txt/)
  expect(r.stdout).toMatch(/uncommitted\s+data\/lang=en\/sink-0{8}/)
  for (const f of [victim!.path, foreign, uncommitted]) expect(fs.existsSync(f)).toBe(true)
})

test('a tagged snapshot survives expiry and stays readable, and the tag is in the metadata for other readers', async () => {
  const { table, en } = await smallFilesLake()
  const tagged = table.metadata.snapshots[0]!
  table.tag('published-1', tagged['snapshot-id'])
  await sleep(5)
  const r = IcebergTable.load(table.dir).expire(Date.now())
  const after = IcebergTable.load(table.dir)
  expect(after.metadata.snapshots.map(s => s['snapshot-id'])).toEqual([tagged['snapshot-id'], after.metadata['current-snapshot-id']])
  expect(r.snapshots).toBe(table.metadata.snapshots.length - 2)
  expect(after.metadata.refs['published-1']).toEqual({ 'snapshot-id': tagged['snapshot-id'], type: 'tag' })
  expect(pyiceberg(after.metadataFile, tagged['snapshot-id']).ids).toEqual(en.slice(0, 8).map(d => d.id).sort())
})
