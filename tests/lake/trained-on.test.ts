import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect, test } from 'vitest'
import { appendTrainedOn, lastTrainedStep, openTrainedOnTable, trainedOnRows, type TrainedOnMeta } from '../../lake/trained-on-table.ts'
import { openLake } from '../../lake/sql.ts'
import { SluiceError } from '../../schemas/errors.ts'
import type { PackedSequence, SequenceSpan } from '../../trainer/pack/types.ts'
import type { Batch } from '../../trainer/stream.ts'

const LENGTH = 32
const META: TrainedOnMeta = { runId: 'run-a', planId: 'plan-1', snapshotId: 7_000_001, trainedAt: '2026-12-01T10:00:00.000Z' }

/** A sequence whose spans are laid end to end from token 0, each `[docId, source, tokens, docOffset]`. */
function sequence (spans: Array<[string, string, number, number]>): PackedSequence {
  let at = 0
  const laid: SequenceSpan[] = spans.map(([docId, source, n, docOffset]) => {
    const span = { docId, source, task: source.split('/').at(-1)!, start: at, end: at + n, docOffset }
    at += n
    return span
  })
  return { tokens: new Uint32Array(LENGTH), segments: new Int32Array(LENGTH), positions: new Int32Array(LENGTH), lossMask: new Uint8Array(LENGTH), spans: laid }
}

const WEB = 'stage1/web_zh'
const CODE = 'stage1/code'
const SFT = 'stage2/sft'
const REPLAY = 'stage2/replay/stage1/web_zh'

/** Steps 0-1 of stage 1 and 2-4 of stage 2; a long document cut across steps, a supervised sample by `<file>#<line>`. */
const BATCHES: Batch[] = [
  { step: 0, stage: 'stage1', sequences: [sequence([['d1', WEB, 20, 0], ['d2', CODE, 12, 0]]), sequence([['d3', WEB, 32, 0]])] },
  { step: 1, stage: 'stage1', sequences: [sequence([['d3', WEB, 10, 32], ['d4', WEB, 15, 0], ['d5', CODE, 7, 0]]), sequence([['d6', CODE, 30, 0]])] },
  { step: 2, stage: 'stage2', sequences: [sequence([['sft.jsonl#1', SFT, 9, 0], ['sft.jsonl#2', SFT, 11, 0]]), sequence([['d7', REPLAY, 25, 0], ['d1', REPLAY, 5, 0]])] },
  { step: 3, stage: 'stage2', sequences: [sequence([['sft.jsonl#3', SFT, 30, 0]]), sequence([['d8', REPLAY, 16, 0], ['sft.jsonl#4', SFT, 12, 0]])] },
  { step: 4, stage: 'stage2', sequences: [sequence([['d9', REPLAY, 31, 0]])] }
]

const rowsOf = (steps: Batch[], meta = META) => steps.flatMap(b => trainedOnRows(b, meta))

async function query (lake: string, sql: string, params: Record<string, number | string> = {}) {
  const session = await openLake(lake)
  try {
    return (await session.connection.runAndReadAll(sql, params)).getRowObjectsJson()
  } finally {
    session.close()
  }
}

const docsOfStep = (lake: string, step: number) =>
  query(lake, 'SELECT DISTINCT document_id FROM trained_on WHERE run_id = $run AND step = $step ORDER BY document_id', { run: META.runId, step })
const stage2Tokens = (lake: string) =>
  query(lake, "SELECT source, sum(token_end - token_start)::INTEGER AS tokens FROM trained_on WHERE run_id = $run AND stage = 'stage2' GROUP BY source ORDER BY source", { run: META.runId })

/** What the two queries must answer, computed from the batches themselves. */
const expectedDocs = (step: number) => [...new Set(BATCHES.find(b => b.step === step)!.sequences.flatMap(s => s.spans.map(x => x.docId)))].sort().map(document_id => ({ document_id }))
function expectedStage2Tokens (steps: Batch[]) {
  const sums = new Map<string, number>()
  for (const b of steps.filter(b => b.stage === 'stage2')) for (const s of b.sequences) for (const x of s.spans) sums.set(x.source, (sums.get(x.source) ?? 0) + x.end - x.start)
  return [...sums].sort(([a], [b]) => a < b ? -1 : 1).map(([source, tokens]) => ({ source, tokens }))
}

/** pyiceberg (another Iceberg implementation) reads the table: row count and tokens per run, optionally filtered. */
function pyicebergTokens (metadataFile: string, rowFilter = 'True'): { rows: number, tokens: Record<string, number> } {
  const script = `
import json, sys
from pyiceberg.table import StaticTable
a = StaticTable.from_metadata(sys.argv[1]).scan(row_filter=sys.argv[2]).to_arrow().to_pylist()
tokens = {}
for r in a: tokens[r["run_id"]] = tokens.get(r["run_id"], 0) + r["token_end"] - r["token_start"]
print(json.dumps({"rows": len(a), "tokens": tokens}))
`
  const r = spawnSync('python3', ['-c', script, metadataFile, rowFilter], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`pyiceberg failed (is it installed? .ci/run installs pyiceberg[pyarrow]):\n${r.stderr}`)
  return JSON.parse(r.stdout)
}

const tokensOf = (steps: Batch[]) => steps.reduce((n, b) => n + b.sequences.reduce((m, s) => m + s.spans.reduce((k, x) => k + x.end - x.start, 0), 0), 0)

test('trainedOnRows: a row per span with the batch step and stage, the sequence index and the span in sequence and document', () => {
  const rows = trainedOnRows(BATCHES[1]!, META)
  expect(rows).toHaveLength(4)
  expect(rows[0]).toEqual({
    schema_version: 1, run_id: 'run-a', plan_id: 'plan-1', snapshot_id: 7_000_001, step: 1, row: 0, document_id: 'd3',
    token_start: 0, token_end: 10, doc_token_offset: 32, stage: 'stage1', source: WEB, task: 'web_zh', trained_at: META.trainedAt
  })
  expect(rows.map(r => [r.row, r.document_id, r.token_start, r.token_end])).toEqual([[0, 'd3', 0, 10], [0, 'd4', 10, 25], [0, 'd5', 25, 32], [1, 'd6', 0, 30]])
  expect(trainedOnRows({ step: 9, stage: 'stage1', sequences: [] }, META)).toEqual([])
})

test('lineage in two commits answers by SQL which documents a step saw and what stage 2 consumed per source; re-appending adds nothing; pyiceberg reads it', async () => {
  const lake = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-trained-on-'))
  const first = await appendTrainedOn(lake, rowsOf(BATCHES.slice(0, 2)))
  const second = await appendTrainedOn(lake, rowsOf(BATCHES.slice(2, 4)), { 'sluice.plan-id': 'plan-1' })
  const table = openTrainedOnTable(lake)
  expect(table.metadata.snapshots.map(s => s['snapshot-id'])).toEqual([first, second])
  expect(table.metadata.snapshots.map(s => s.summary)).toMatchObject([
    { operation: 'append', 'sluice.run-id': 'run-a', 'sluice.steps': '0-1', 'added-records': String(rowsOf(BATCHES.slice(0, 2)).length) },
    { operation: 'append', 'sluice.run-id': 'run-a', 'sluice.steps': '2-3', 'sluice.plan-id': 'plan-1' }
  ])
  expect(table.dataFiles().map(f => f.partition)).toEqual([{ run_id: 'run-a' }, { run_id: 'run-a' }])
  expect(lastTrainedStep(table, 'run-a')).toBe(3)
  expect(lastTrainedStep(table, 'run-b')).toBeNull()

  for (const step of [0, 1, 2, 3]) expect(await docsOfStep(lake, step)).toEqual(expectedDocs(step))
  expect(await stage2Tokens(lake)).toEqual(expectedStage2Tokens(BATCHES.slice(0, 4)))
  expect(await stage2Tokens(lake)).toEqual([{ source: REPLAY, tokens: 46 }, { source: SFT, tokens: 62 }])

  // a trainer resumed from the checkpoint at step 2 acks steps 2-4 again: only step 4 is new
  expect(await appendTrainedOn(lake, rowsOf(BATCHES.slice(0, 4)))).toBeNull()
  const third = await appendTrainedOn(lake, rowsOf(BATCHES.slice(2)))
  const after = openTrainedOnTable(lake)
  expect(after.metadata.snapshots.map(s => s['snapshot-id'])).toEqual([first, second, third])
  expect(after.metadata.snapshots.at(-1)!.summary).toMatchObject({ 'sluice.steps': '4-4', 'added-records': '1' })
  expect(await query(lake, 'SELECT count(*)::INTEGER AS n FROM trained_on')).toEqual([{ n: rowsOf(BATCHES).length }])
  expect(await stage2Tokens(lake)).toEqual(expectedStage2Tokens(BATCHES))

  // another run's steps are its own: its step 0 is new although run-a is past it
  await appendTrainedOn(lake, rowsOf(BATCHES.slice(0, 1), { ...META, runId: 'run-b', snapshotId: null }))
  expect(await query(lake, "SELECT count(*)::INTEGER AS n FROM trained_on WHERE run_id = 'run-b' AND snapshot_id IS NULL")).toEqual([{ n: rowsOf(BATCHES.slice(0, 1)).length }])

  const final = openTrainedOnTable(lake)
  expect(pyicebergTokens(final.metadataFile)).toEqual({ rows: rowsOf(BATCHES).length + rowsOf(BATCHES.slice(0, 1)).length, tokens: { 'run-a': tokensOf(BATCHES), 'run-b': tokensOf(BATCHES.slice(0, 1)) } })
  expect(pyicebergTokens(final.metadataFile, "run_id == 'run-b'").tokens).toEqual({ 'run-b': tokensOf(BATCHES.slice(0, 1)) })
})

test("a file the run's writer wrote but never committed is removed by its next append; another run's is left alone", async () => {
  const lake = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-trained-on-'))
  await appendTrainedOn(lake, rowsOf(BATCHES.slice(0, 1)))
  await appendTrainedOn(lake, rowsOf(BATCHES.slice(0, 1), { ...META, runId: 'run-b' }))
  const fileOf = (run: string) => openTrainedOnTable(lake).dataFiles().find(f => f.partition.run_id === run)!.path
  const [a, b] = [fileOf('run-a'), fileOf('run-b')]
  // what a SIGKILL between writing and committing leaves: a data file of the writer's own name
  const uuid = /[0-9a-f-]{36}(?=\.parquet$)/
  const orphanA = a.replace(uuid, '00000000-0000-4000-8000-000000000001')
  const orphanB = b.replace(uuid, '00000000-0000-4000-8000-000000000002')
  fs.copyFileSync(a, orphanA)
  fs.copyFileSync(b, orphanB)

  await appendTrainedOn(lake, rowsOf(BATCHES.slice(1, 2)))
  expect(fs.existsSync(orphanA)).toBe(false)
  expect(fs.existsSync(orphanB)).toBe(true)
  expect(await query(lake, "SELECT count(*)::INTEGER AS n FROM trained_on WHERE run_id = 'run-a'")).toEqual([{ n: rowsOf(BATCHES.slice(0, 2)).length }])
})

test('rows of two runs in one append are refused before anything is written', async () => {
  const lake = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-trained-on-'))
  const mixed = [...rowsOf(BATCHES.slice(0, 1)), ...rowsOf(BATCHES.slice(1, 2), { ...META, runId: 'run-b' })]
  await expect(appendTrainedOn(lake, mixed)).rejects.toThrow(SluiceError)
  expect(fs.existsSync(path.join(lake, 'trained_on'))).toBe(false)
  expect(await appendTrainedOn(lake, [])).toBeNull()
})
