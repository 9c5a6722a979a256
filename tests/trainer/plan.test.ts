import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect, test } from 'vitest'
import { loadPlan, planId } from '../../trainer/plan.ts'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-plan-'))
function planFile (name: string, body: string): string {
  const file = path.join(dir, name)
  fs.writeFileSync(file, body)
  return file
}

test("the default plan is Ziya2's three stages: windows, then task packing with stage-1 replay", () => {
  const plan = loadPlan()
  expect(plan).toMatchObject({ seqLen: 4096, seed: 1, snapshot: 'published', maskPrompts: false })
  expect(plan.stages.map(s => [s.name, s.tokens, s.packing])).toEqual([['stage1', 650e9, 'window'], ['stage2', 47e9, 'task'], ['stage3', 3e9, 'task']])
  expect(plan.stages[1]!.replay).toEqual([{ stage: 'stage1', tokens: 'equal' }])
  expect(plan.stages[2]!.replay).toEqual([{ stage: 'stage1', tokens: 1e8 }, { stage: 'stage2', tokens: 1e8 }])
})

test('YAML and JSON plans with the same settings have the same id; a change gives another', () => {
  const yaml = planFile('a.yaml', `
seqLen: 512
seed: 7
stages:
  - name: pretrain
    tokens: 100000
    packing: window
    sources:
      - { name: gsm8k, files: [../shared/data/math/gsm8k-test.jsonl] }
`)
  const json = planFile('a.json', JSON.stringify({ stages: [{ sources: [{ files: ['../shared/data/math/gsm8k-test.jsonl'], name: 'gsm8k' }], packing: 'window', tokens: 100000, name: 'pretrain' }], seed: 7, seqLen: 512 }))
  expect(planId(loadPlan(yaml))).toBe(planId(loadPlan(json)))
  expect(planId(loadPlan(yaml))).toMatch(/^plan-[0-9a-f]{12}$/)
  const other = planFile('b.yaml', fs.readFileSync(yaml, 'utf8').replace('seed: 7', 'seed: 8'))
  expect(planId(loadPlan(other))).not.toBe(planId(loadPlan(yaml)))
})

test.each([
  ['seqLen: 0', /seqLen: Too small/i],
  ['stages: []', /stages: Too small/i],
  ['stages:\n  - { name: a, tokens: 1.5, packing: window, sources: [{ name: s, sql: "select 1" }] }', /stages\.0\.tokens: must be a whole number of tokens/],
  ['stages:\n  - { name: a, tokens: 10, packing: bins, sources: [{ name: s, sql: "select 1" }] }', /stages\.0\.packing: /],
  ['stages:\n  - { name: a, tokens: 10, packing: window, sources: [{ name: s }] }', /stages\.0\.sources\.0: give exactly one of sql or files/],
  ['stages:\n  - { name: a, tokens: 10, packing: window, sources: [{ name: s, sql: x, wieght: 2 }] }', /stages\.0\.sources\.0: Unrecognized key: "wieght"/],
  ['stages:\n  - { name: a, tokens: 10, packing: task, sources: [{ name: s, sql: x }], replay: [{ stage: b, tokens: equal }] }', /stages\.0\.replay\.0\.stage: b is not an earlier stage/],
  ['stages:\n  - { name: a, tokens: 10, packing: task, sources: [{ name: s, sql: x }, { name: s, sql: y }] }', /stages\.0\.sources\.1\.name: source s is named twice/],
  ['stages:\n  - { name: a, tokens: 10, packing: task, sources: [{ name: s, files: [nope.jsonl] }] }', /stages\.0\.sources\.0\.files\.0: no such file nope\.jsonl/],
  ['tokenizer: none.model', /tokenizer: no such file none\.model/],
  ['seqLen: [', /not valid YAML/]
])('a bad plan is refused with the field named: %s', (body, message) => {
  const file = planFile('bad.yaml', body)
  expect(() => loadPlan(file)).toThrow(message)
  expect(() => loadPlan(file)).toThrow(/^plan .*bad\.yaml: /)
})
