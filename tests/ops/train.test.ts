import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect, test } from 'vitest'
import { openDocumentsTable } from '../../lake/documents-table.ts'
import { runCli } from '../helpers/cli.ts'
import { appendDocs, docs } from '../helpers/lake.ts'
import { SHARED } from '../helpers/readers.ts'

test('sluice train --dry-run shows the batches of a three-stage plan: mix, templates, packing and masks', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-train-'))
  const lake = path.join(dir, 'lake')
  await appendDocs(openDocumentsTable(lake), docs(`${SHARED}/web/zh/zhwiki_sampled.txt.gz`, 'zh', ''), 'zh')
  const plan = path.join(dir, 'plan.yaml')
  fs.writeFileSync(plan, `
seqLen: 256
microBatch: 2
lake: ${lake}
snapshot: current
maskPrompts: true
stages:
  - name: stage1
    tokens: 3000
    packing: window
    sources:
      - { name: wiki, sql: "SELECT id, text FROM documents" }
  - name: stage2
    tokens: 1500
    packing: task
    sources:
      - { name: belle, files: [${SHARED}/instruct/belle-zh_seed_tasks.json] }
    replay: [{ stage: stage1, tokens: equal }]
  - name: stage3
    tokens: 1500
    packing: task
    sources:
      - { name: gsm8k, files: [${SHARED}/math/gsm8k-test.jsonl] }
    replay: [{ stage: stage1, tokens: 200 }, { stage: stage2, tokens: 200 }]
`)
  const json = await runCli(['train', '--plan', plan, '--dry-run', '--dump', '100', '--json'])
  expect(json.code, json.stderr).toBe(0)
  const steps = json.stdout.trim().split('\n').map(l => JSON.parse(l))
  expect(steps.map(s => s.step)).toEqual(steps.map((_: unknown, i: number) => i))
  expect([...new Set(steps.map(s => s.stage))]).toEqual(['stage1', 'stage2', 'stage3'])
  for (const s of steps) for (const row of s.rows) expect(row.tokens).toHaveLength(256)
  const sources = new Set(steps.flatMap(s => s.rows.flatMap((r: { spans: Array<{ source: string }> }) => r.spans.map(sp => sp.source))))
  expect([...sources].sort()).toEqual(['stage1/wiki', 'stage2/belle', 'stage2/replay/stage1/wiki', 'stage3/gsm8k', 'stage3/replay/stage1/wiki', 'stage3/replay/stage2/belle'])
  expect(json.stderr).toMatch(/train --dry-run: plan-[0-9a-f]{12}, 3 stages .* vocabulary 32000, snapshot \d+/)

  const text = await runCli(['train', '--plan', plan, '--dry-run', '--stage', 'stage3', '--dump', '2'])
  expect(text.code, text.stderr).toBe(0)
  expect(text.stdout).toMatch(/^step 0 \(stage3\): 2 rows$/m)
  expect(text.stdout).toMatch(/\[0\] stage3\/\S+ \(task \S+\) doc \S+ tokens 0-\d+ from offset 0: /)
  expect(text.stdout).toMatch(/⟦Question:.*Answer:⟧ /)
  expect(text.stdout).toMatch(/^stage3\/gsm8k\s+\d+\s+1500\s+\d+\s+\d+$/m)

  const bad = await runCli(['train', '--plan', plan, '--dry-run', '--stage', 'stage9'])
  expect(bad.code).toBe(2)
  expect(bad.stderr).toContain("--stage stage9: the plan's stages are stage1, stage2, stage3")
  fs.writeFileSync(path.join(dir, 'typo.yaml'), 'seqlen: 128\n')
  const typo = await runCli(['train', '--plan', path.join(dir, 'typo.yaml'), '--dry-run'])
  expect(typo.code).toBe(2)
  expect(typo.stderr).toMatch(/plan .*typo\.yaml: .*Unrecognized key: "seqlen"/)
}, 120_000)
