import { spawn } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect, test } from 'vitest'
import { openDocumentsTable } from '../../lake/documents-table.ts'
import { runCli, startCli } from '../helpers/cli.ts'
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

test('sluice train serves a Python core over a Unix socket; Ctrl-C keeps the acked steps, a restart resumes after them', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-serve-'))
  const plan = path.join(dir, 'plan.yaml')
  fs.writeFileSync(plan, `
seqLen: 128
microBatch: 2
lake: ${dir}/lake
stages:
  - name: maths
    tokens: 3000
    packing: task
    sources:
      - { name: gsm8k, files: [${SHARED}/math/gsm8k-test.jsonl] }
`)
  const socket = path.join(dir, 'b.sock')
  const args = ['train', '--plan', plan, '--socket', socket, '--home', dir, '--checkpoint-every', '1', '--run', 'r1', '--core', 'external']
  const consume = (steps: number) => runPython(`
import hashlib, json, sys
sys.path.insert(0, 'trainer/core')
from sluice_core.client import BatchClient
c = BatchClient(sys.argv[1])
out = {"next": c.handshake["next_step"], "steps": []}
for b in c.batches():
    out["steps"].append([b.step, hashlib.sha256(b.column("tokens").astype("<i4").tobytes()).hexdigest()])
    c.ack(b.step, loss=1.0, tokens=int(b.column("tokens").size))
    if len(out["steps"]) == int(sys.argv[2]):
        break
c.close()
print(json.dumps(out))
`, socket, String(steps))

  const first = startCli(args)
  await waitForSocket(socket)
  const head = await consume(3)
  expect(head).toMatchObject({ next: 0 })
  first.child.kill('SIGINT')
  const stopped = await first.done
  expect(stopped.code, stopped.stderr).toBe(0)
  expect(stopped.stderr).toContain('train: stopped; run r1 resumes after step 2')

  const second = startCli(args)
  await waitForSocket(socket)
  const tail = await consume(1000)
  expect(tail.next).toBe(3)
  const done = await second.done
  expect(done.code, done.stderr).toBe(0)
  expect(done.stderr).toMatch(/train: run r1 done: \d+ steps acked/)

  // the served steps are the steps the dry run shows
  const dry = await runCli(['train', '--plan', plan, '--dry-run', '--dump', '1000', '--json'])
  const dumped = dry.stdout.trim().split('\n').map(l => JSON.parse(l)) as Array<{ step: number, rows: Array<{ tokens: number[], spans: Array<{ docId: string, source: string, start: number, end: number }> }> }>
  const expected = dumped.map(s => [s.step, crypto.createHash('sha256').update(Buffer.from(Int32Array.from(s.rows.flatMap(r => r.tokens)).buffer)).digest('hex')])
  expect([...head.steps, ...tail.steps]).toEqual(expected)

  // lineage: every step once in trained_on, though steps 0-2 were checkpointed before the restart
  const sql = async (query: string) => {
    const r = await runCli(['sql', query, '--lake', path.join(dir, 'lake'), '--format', 'json'])
    expect(r.code, r.stderr).toBe(0)
    return r.stdout.trim().split('\n').filter(l => l !== '').map(l => JSON.parse(l))
  }
  const step4 = await sql("SELECT DISTINCT document_id FROM trained_on WHERE run_id = 'r1' AND step = 4 ORDER BY 1")
  expect(step4.map(r => r.document_id)).toEqual([...new Set(dumped[4]!.rows.flatMap(r => r.spans.map(sp => sp.docId)))].sort())
  const perStep = await sql("SELECT step, sum(token_end - token_start) AS tokens FROM trained_on GROUP BY step ORDER BY step")
  expect(perStep.map(r => [Number(r.step), Number(r.tokens)])).toEqual(dumped.map(s => [s.step, s.rows.reduce((n, r) => n + r.spans.reduce((m, sp) => m + sp.end - sp.start, 0), 0)]))
}, 120_000)

test('sluice train --core python trains the tiny model core on the stream to the end of the plan; trained_on has every step', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-core-'))
  const plan = path.join(dir, 'plan.yaml')
  fs.writeFileSync(plan, `
seqLen: 128
microBatch: 4
lake: ${dir}/lake
stages:
  - name: maths
    tokens: 20000
    packing: task
    sources:
      - { name: gsm8k, files: [${SHARED}/math/gsm8k-train.jsonl.gz] }
`)
  const r = await runCli(['train', '--plan', plan, '--socket', path.join(dir, 'b.sock'), '--home', dir, '--run', 'tiny', '--checkpoint-every', '5', '--core-lr', '3e-3'])
  expect(r.code, r.stderr).toBe(0)
  const steps = Number(/train: run tiny done: (\d+) steps acked/.exec(r.stderr)?.[1])
  expect(steps).toBeGreaterThan(20)
  const metrics = fs.readFileSync(path.join(dir, 'train', 'tiny', 'core', 'metrics.jsonl'), 'utf8').trim().split('\n').map(l => JSON.parse(l))
  const losses = metrics.filter(m => typeof m.loss === 'number').map(m => m.loss as number)
  expect(losses.length).toBe(steps)
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
  expect(mean(losses.slice(-5))).toBeLessThan(mean(losses.slice(0, 5)) - 1)
  const lineage = await runCli(['sql', 'SELECT count(DISTINCT step) AS steps FROM trained_on', '--lake', path.join(dir, 'lake'), '--format', 'json'])
  expect(Number(JSON.parse(lineage.stdout.trim()).steps)).toBe(steps)
}, 240_000)

async function waitForSocket (file: string): Promise<void> {
  for (let i = 0; i < 600 && !fs.existsSync(file); i++) await new Promise(resolve => setTimeout(resolve, 100))
  if (!fs.existsSync(file)) throw new Error(`${file} never appeared`)
}

async function runPython (script: string, ...args: string[]): Promise<any> {
  const child = spawn('python3', ['-c', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr.on('data', (d: Buffer) => { err += d.toString() })
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  if (code !== 0) throw new Error(`python failed: ${err}`)
  return JSON.parse(out)
}
