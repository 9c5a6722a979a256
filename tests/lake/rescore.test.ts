import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect, test } from 'vitest'
import { openDocumentsTable } from '../../lake/documents-table.ts'
import { rescoreSnapshot } from '../../lake/rescore.ts'
import { openLake } from '../../lake/sql.ts'
import { appendDocs, docs } from '../helpers/lake.ts'
import { SHARED } from '../helpers/readers.ts'

async function rows (lake: string, snapshotId?: number) {
  const session = await openLake(lake, { snapshotId })
  try {
    const r = await session.connection.runAndReadAll("select id, lang, decision, reason, signals->>'$.length' as length, signals, ingested_at::VARCHAR as at from documents order by id")
    return r.getRowObjectsJS()
  } finally {
    session.close()
  }
}

test('rescore rewrites a snapshot\'s documents into an overwrite snapshot: signals and decisions change, ids, partitions and the old snapshot do not', async () => {
  const lake = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-rescore-'))
  const table = openDocumentsTable(lake)
  await appendDocs(table, docs(`${SHARED}/web/zh/zhwiki_sampled.txt.gz`, 'zh', ''), 'zh')
  await appendDocs(table, docs(`${SHARED}/web/en/olmo-c4-sample.01.json.gz`, 'en', 'text'), 'en')
  const before = await rows(lake)
  const first = openDocumentsTable(lake).metadata['current-snapshot-id']!

  const result = await rescoreSnapshot(lake, first, async batch => batch.map(d => {
    const length = d.text?.length ?? 0
    return length < 200 ? { ...d, signals: { ...d.signals, length }, decision: 'drop', reason: 'quality:perplexity' } : { ...d, signals: { ...d.signals, length } }
  }), 'test rescore')
  expect(result).toMatchObject({ from: first, files: 2, rows: before.length, changed: before.length })

  const after = await rows(lake)
  expect(after.map(r => r.id)).toEqual(before.map(r => r.id))
  expect(after.map(r => [r.lang, r.at])).toEqual(before.map(r => [r.lang, r.at]))
  expect(after.every(r => Number(r.length) > 0)).toBe(true)
  const dropped = after.filter(r => r.decision === 'drop')
  expect(dropped.length).toBeGreaterThan(0)
  expect(dropped.every(r => r.reason === 'quality:perplexity' && Number(r.length) < 200)).toBe(true)
  // the other signals survived the round trip through Parquet
  expect(after.map(r => { const s = JSON.parse(String(r.signals)); delete s.length; return JSON.stringify(s) })).toEqual(before.map(r => String(r.signals)))
  // the snapshot that was rescored still reads as it was
  expect(await rows(lake, first)).toEqual(before)
  const current = openDocumentsTable(lake)
  expect(current.metadata['current-snapshot-id']).toBe(result.snapshotId)
  expect(current.dataFiles().map(f => path.basename(f.path)).every(f => f.startsWith('rescore-'))).toBe(true)
  expect(current.metadata.snapshots.at(-1)!.summary).toMatchObject({ operation: 'overwrite', 'sluice.operation': 'rescore', 'sluice.rescored-snapshot': String(first) })

  // an old snapshot whose files were replaced since cannot be rescored again
  await expect(rescoreSnapshot(lake, first, async b => b, 'again')).rejects.toThrow(/no longer live/)
  await expect(rescoreSnapshot(lake, 42, async b => b, 'again')).rejects.toThrow(/no snapshot 42/)
})
