import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { beforeAll, expect, test } from 'vitest'
import { openDocumentsTable } from '../../lake/documents-table.ts'
import { planSchema, type Plan, type PlanInput } from '../../schemas/plan.ts'
import { openTraining } from '../../trainer/open.ts'
import { batchStream, initialState, stageEntries, type Batch, type StreamState } from '../../trainer/stream.ts'
import { SentencePieceTokenizer } from '../../trainer/tokenizer/tokenizer.ts'
import { appendDocs, docs } from '../helpers/lake.ts'
import { SHARED } from '../helpers/readers.ts'

let lake: string
const tokenizer = SentencePieceTokenizer.fromFile(`${SHARED}/tokenizers/llama2/tokenizer.model`)

beforeAll(async () => {
  lake = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-stream-'))
  const table = openDocumentsTable(lake)
  await appendDocs(table, docs(`${SHARED}/web/zh/zhwiki_sampled.txt.gz`, 'zh', ''), 'zh')
  await appendDocs(table, docs(`${SHARED}/web/en/olmo-c4-sample.01.json.gz`, 'en', 'text'), 'en')
})

function threeStages (over: Partial<PlanInput> = {}, stage1Weights = [1, 1, 0.2]): Plan {
  return planSchema.parse({
    seqLen: 256,
    microBatch: 4,
    seed: 3,
    lake,
    snapshot: 'current',
    maskPrompts: true,
    stages: [
      {
        name: 'stage1', tokens: 12_000, packing: 'window',
        sources: [
          { name: 'web_zh', weight: stage1Weights[0], sql: "SELECT id, text FROM documents WHERE lang = 'zh'" },
          { name: 'web_en', weight: stage1Weights[1], sql: "SELECT id, text FROM documents WHERE lang = 'en'" },
          { name: 'code', weight: stage1Weights[2], files: [`${SHARED}/code/HumanEval.jsonl.gz`] }
        ]
      },
      {
        name: 'stage2', tokens: 4_000, packing: 'task',
        sources: [{ name: 'belle', files: [`${SHARED}/instruct/belle-zh_seed_tasks.json`] }, { name: 'self_instruct', files: [`${SHARED}/instruct/self-instruct-seed_tasks.jsonl`] }],
        replay: [{ stage: 'stage1', tokens: 'equal' }]
      },
      {
        name: 'stage3', tokens: 3_000, packing: 'task',
        sources: [{ name: 'gsm8k', files: [`${SHARED}/math/gsm8k-test.jsonl`] }, { name: 'ape210k', lang: 'zh', files: [`${SHARED}/math/ape210k-valid.ape.json.gz`] }],
        replay: [{ stage: 'stage1', tokens: 500 }, { stage: 'stage2', tokens: 500 }]
      }
    ],
    ...over
  })
}

/** Batches from `state` on (all, or `limit`), each with the state right after it. */
async function run (plan: Plan, state: StreamState, limit = Infinity): Promise<Array<{ batch: Batch, state: StreamState }>> {
  const training = await openTraining(plan)
  const out: Array<{ batch: Batch, state: StreamState }> = []
  try {
    for await (const batch of batchStream(plan, training.tokenizer, training.open, state)) {
      out.push({ batch, state: structuredClone(state) })
      if (out.length >= limit) break
    }
  } finally {
    training.close()
  }
  return out
}

const bytesOf = (b: Batch): string => JSON.stringify({ step: b.step, stage: b.stage, rows: b.sequences.map(s => [Buffer.from(s.tokens.buffer).toString('base64'), [...s.segments], [...s.positions], [...s.lossMask], s.spans]) })

test('three stages: each source gets its token share, nothing is lost or doubled, packing and templates as Ziya2 says', async () => {
  const plan = threeStages()
  const all = await run(plan, initialState())
  const batches = all.map(a => a.batch)
  const final = all.at(-1)!.state
  expect(batches.map(b => b.step)).toEqual(batches.map((_, i) => i))
  expect([...new Set(batches.map(b => b.stage))]).toEqual(['stage1', 'stage2', 'stage3'])
  expect(final.stagesDone).toEqual(['stage1', 'stage2', 'stage3'])
  for (const b of batches) {
    expect(b.sequences.length).toBeGreaterThan(0)
    expect(b.sequences.length).toBeLessThanOrEqual(4)
    for (const s of b.sequences) expect(s.tokens.length).toBe(256)
  }
  for (const stage of plan.stages) {
    const seqs = batches.filter(b => b.stage === stage.name).flatMap(b => b.sequences)
    for (const entry of stageEntries(plan, stage)) {
      // every source reached its share; the tokens it was counted for are exactly the tokens placed (samples longer than a sequence are cut, and counted as cut)
      expect(final.consumed[entry.key], entry.key).toBeGreaterThanOrEqual(entry.target)
      const placed = seqs.flatMap(s => s.spans).filter(sp => sp.source === entry.key).reduce((n, sp) => n + sp.end - sp.start, 0)
      expect(placed, entry.key).toBe(final.consumed[entry.key])
    }
    if (stage.packing === 'task') for (const s of seqs) expect(new Set(s.spans.map(sp => sp.task)).size).toBe(1)
  }
  expect(Object.values(final.truncated).reduce((a, b) => a + b, 0)).toBeGreaterThan(0)
  // stage 2 mixes in as many stage-1 tokens as its own budget, read on from where stage 1 stopped
  const replayed = Object.entries(final.consumed).filter(([k]) => k.startsWith('stage2/replay/stage1/')).reduce((n, [, v]) => n + v, 0)
  expect(replayed).toBeGreaterThanOrEqual(4_000)
  const stage1Docs = new Set(batches.filter(b => b.stage === 'stage1').flatMap(b => b.sequences.flatMap(s => s.spans.filter(sp => sp.docOffset === 0).map(sp => sp.docId))))
  const replayDocs = batches.filter(b => b.stage === 'stage2').flatMap(b => b.sequences.flatMap(s => s.spans.filter(sp => sp.source.startsWith('stage2/replay/stage1/web')).map(sp => sp.docId)))
  expect(replayDocs.length).toBeGreaterThan(0)
  expect(replayDocs.filter(d => stage1Docs.has(d)).length).toBeLessThan(replayDocs.length)

  // the maths samples read with their templates; the prompt is out of the loss, the answer in
  const stage3 = batches.filter(b => b.stage === 'stage3').flatMap(b => b.sequences)
  for (const [task, start] of [['gsm8k', 'Question:'], ['ape210k', '问题:']] as const) {
    const seq = stage3.find(s => s.spans[0]!.task === task)!
    const span = seq.spans[0]!
    const text = tokenizer.decode(seq.tokens.subarray(span.start, span.end))
    expect(text.startsWith(start), text).toBe(true)
    const masked = [...seq.lossMask.subarray(span.start, span.end)]
    const answerAt = masked.indexOf(1)
    expect(answerAt).toBeGreaterThan(3)
    expect(masked.slice(answerAt).every(m => m === 1)).toBe(true)
    expect(tokenizer.decode(seq.tokens.subarray(span.start, span.start + answerAt))).toMatch(/(Answer|回答):$/)
  }
  // stage 1 is windows without padding except at the very end of the stage
  const stage1 = batches.filter(b => b.stage === 'stage1').flatMap(b => b.sequences)
  expect(stage1.slice(0, -1).every(s => !s.segments.includes(-1))).toBe(true)
  // the same plan and snapshot give the same stream
  expect((await run(plan, initialState())).map(a => bytesOf(a.batch))).toEqual(batches.map(bytesOf))
}, 120_000)

test('resuming from the JSON state after any step yields byte-identical batches', async () => {
  const plan = threeStages()
  const all = await run(plan, initialState())
  const boundary = all.findIndex(a => a.batch.stage === 'stage2') - 1
  for (const k of [0, 5, boundary, boundary + 2, all.length - 2]) {
    const resumed = await run(plan, JSON.parse(JSON.stringify(all[k]!.state)))
    expect(resumed.map(a => bytesOf(a.batch)), `resume after step ${k}`).toEqual(all.slice(k + 1).map(a => bytesOf(a.batch)))
  }
}, 180_000)

test('a plan changed mid-run continues from what was consumed: new shares are met, nothing consumed is forgotten', async () => {
  const before = threeStages()
  const head = await run(before, initialState(), 6)
  const at = head.at(-1)!.state
  const after = threeStages({}, [3, 1, 0.2])
  const rest = await run(after, JSON.parse(JSON.stringify(at)))
  const final = rest.at(-1)!.state
  expect(rest[0]!.batch.step).toBe(6)
  for (const entry of stageEntries(after, after.stages[0]!)) {
    expect(final.consumed[entry.key]).toBeGreaterThanOrEqual(Math.max(entry.target, at.consumed[entry.key] ?? 0))
  }
  expect(final.consumed['stage1/web_zh']! / final.consumed['stage1/web_en']!).toBeGreaterThan(2)
}, 120_000)

test('a stage added to the plan mid-run is trained after the stages already done, from their end state', async () => {
  const before = threeStages()
  const all = await run(before, initialState())
  const intoStage3 = all.findIndex(a => a.batch.stage === 'stage3')
  const at = all[intoStage3]!.state
  const grown = threeStages({ stages: [...before.stages.slice(0, 2), { name: 'code', tokens: 800, packing: 'task', sources: [{ name: 'humaneval', files: [`${SHARED}/code/HumanEval.jsonl.gz`] }] }, before.stages[2]!] as PlanInput['stages'] })
  const rest = await run(grown, JSON.parse(JSON.stringify(at)))
  // the stage already under way goes on; the new one comes after it, and nothing done is redone
  expect([...new Set(rest.map(a => a.batch.stage))]).toEqual(['stage3', 'code'])
  expect(rest.at(-1)!.state.stagesDone).toEqual(['stage1', 'stage2', 'stage3', 'code'])
  expect(rest[0]!.batch.step).toBe(intoStage3 + 1)
}, 120_000)
