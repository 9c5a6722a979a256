import { spawn } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { tableFromIPC } from 'apache-arrow'
import { afterEach, beforeAll, expect, test } from 'vitest'
import { planSchema, type Plan } from '../../schemas/plan.ts'
import { openTraining, type Training } from '../../trainer/open.ts'
import { batchToIpc } from '../../trainer/server/arrow.ts'
import { readRunFile, type RunFile } from '../../trainer/server/checkpoints.ts'
import { FRAME } from '../../trainer/server/frames.ts'
import { BatchServer, type BatchServerOptions } from '../../trainer/server/server.ts'
import { batchStream, initialState, type Batch } from '../../trainer/stream.ts'
import { TestClient } from '../helpers/batch-client.ts'
import { SHARED } from '../helpers/readers.ts'

const plan: Plan = planSchema.parse({
  seqLen: 128,
  microBatch: 2,
  seed: 5,
  maskPrompts: true,
  stages: [
    { name: 'stage1', tokens: 5_000, packing: 'window', sources: [{ name: 'gsm8k', files: [`${SHARED}/math/gsm8k-test.jsonl`] }, { name: 'code', files: [`${SHARED}/code/HumanEval.jsonl.gz`] }] },
    { name: 'stage2', tokens: 1_500, packing: 'task', sources: [{ name: 'ape', lang: 'zh', files: [`${SHARED}/math/ape210k-valid.ape.json.gz`] }], replay: [{ stage: 'stage1', tokens: 300 }] }
  ]
})

let training: Training
let reference: Batch[]
let referenceIpc: Buffer[]
const servers: BatchServer[] = []

beforeAll(async () => {
  training = await openTraining(plan)
  reference = []
  for await (const b of batchStream(plan, training.tokenizer, training.open, initialState())) reference.push(b)
  referenceIpc = reference.map(b => Buffer.from(batchToIpc(b, plan.seqLen)))
})

afterEach(async () => { for (const s of servers.splice(0)) await s.close() })

function newRun (): { runFile: string, run: RunFile } {
  const runFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-server-')), 'run.json')
  return { runFile, run: { runId: 'run-test', planId: 'p', snapshotId: null, lineageStep: -1, checkpoints: [] } }
}

async function serve (over: Partial<BatchServerOptions> = {}, start = initialState()): Promise<{ server: BatchServer, address: string, opts: BatchServerOptions }> {
  const fresh = await openTraining(plan)
  const opts: BatchServerOptions = { plan, training: fresh, ...newRun(), prefetch: 3, checkpointEvery: 4, log: () => {}, ...over }
  const server = new BatchServer(opts, start)
  servers.push(server)
  return { server, address: await server.listen({ port: 0 }), opts }
}

/** Reads and acks arrow frames from frame index `from` until `until` steps are acked or the server ends. */
async function drain (client: TestClient, from: number, until = Infinity): Promise<Buffer[]> {
  const got: Buffer[] = []
  for (let i = from; got.length < until; i++) {
    await client.waitFor(i + 1)
    const f = client.frames[i]
    if (f === undefined) break
    if (f.kind === FRAME.json) { expect(client.json(i).type).toBe('end'); break }
    got.push(f.payload)
    client.ack(Number(tableFromIPC(f.payload).getChild('step')!.get(0)))
  }
  return got
}

test('a core gets the handshake, then every batch of the plan as Arrow, never more than prefetch ahead of its acks', async () => {
  const { address, server, opts } = await serve()
  const client = await TestClient.connect(address)
  await client.waitFor(1 + 3)
  expect(client.json(0)).toMatchObject({ type: 'handshake', version: 1, run_id: 'run-test', vocab_size: 32000, seq_len: 128, micro_batch: 2, next_step: 0, stages: ['stage1', 'stage2'], eos_id: 2 })
  // nothing acked: a fourth batch must not come
  await new Promise(resolve => setTimeout(resolve, 500))
  expect(client.frames).toHaveLength(4)
  const got = await drain(client, 1)
  expect(got.map(b => b.toString('base64'))).toEqual(referenceIpc.map(b => b.toString('base64')))
  await server.finishedAll()
  const run = readRunFile(opts.runFile)!
  expect(run.checkpoints.at(-1)!.step).toBe(reference.length)
  const first = tableFromIPC(got[0]!)
  expect(first.schema.fields.map(f => f.name)).toEqual(['step', 'stage', 'source', 'tokens', 'segments', 'positions', 'loss_mask'])
  expect(first.getChild('source')!.get(0)).toMatch(/^stage1\//)
  client.close()
}, 60_000)

test('a core that disconnects resumes after its last acked step; the batches are the same bytes', async () => {
  const { address } = await serve()
  const a = await TestClient.connect(address)
  const head = await drain(a, 1, 5)
  await a.waitFor(1 + 5 + 3) // three more arrive and are never acked
  a.close()
  await new Promise(resolve => setTimeout(resolve, 200))
  const b = await TestClient.connect(address)
  await b.waitFor(1)
  expect(b.json(0)).toMatchObject({ type: 'handshake', next_step: 5 })
  const rest = await drain(b, 1)
  expect([...head, ...rest].map(x => x.toString('base64'))).toEqual(referenceIpc.map(x => x.toString('base64')))
  b.close()
}, 60_000)

test('a restarted server continues from its state file; a core can ask for a checkpoint it holds, and is told which it holds otherwise', async () => {
  const first = await serve({ checkpointEvery: 3 })
  const a = await TestClient.connect(first.address)
  await drain(a, 1, 7)
  a.close()
  await first.server.close()
  const run = readRunFile(first.opts.runFile)!
  expect(run.checkpoints.map(c => c.step)).toEqual([3, 6])
  const second = await serve({ runFile: first.opts.runFile, run }, run.checkpoints.at(-1)!)
  const wrong = await TestClient.connect(second.address, { next_step: 4 })
  await wrong.waitFor(1)
  expect(wrong.json(0)).toMatchObject({ type: 'error', message: 'cannot resume at step 4: this run can resume at steps 3, 6' })
  await new Promise(resolve => setTimeout(resolve, 200))
  const b = await TestClient.connect(second.address, { next_step: 3 })
  await b.waitFor(1)
  expect(b.json(0)).toMatchObject({ next_step: 3 })
  const rest = await drain(b, 1)
  expect(rest.map(x => x.toString('base64'))).toEqual(referenceIpc.slice(3).map(x => x.toString('base64')))
  b.close()
}, 60_000)

test('the Python client (pyarrow) reads the same batches over a Unix socket and acks with its loss', async () => {
  const socketPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sock-')), 'batches.sock')
  const acks: Array<[number, number | null]> = []
  const fresh = await openTraining(plan)
  const server = new BatchServer({ plan, training: fresh, ...newRun(), prefetch: 2, checkpointEvery: 4, log: () => {}, onAck: ack => acks.push([ack.step, ack.loss]) }, initialState())
  servers.push(server)
  await server.listen({ path: socketPath })
  const script = `
import hashlib, json, sys
sys.path.insert(0, 'trainer/core')
from sluice_core.client import BatchClient
c = BatchClient(sys.argv[1])
out = {"handshake": c.handshake, "steps": []}
for b in c.batches():
    tokens = b.column("tokens")
    out["steps"].append([b.step, b.stage, hashlib.sha256(tokens.astype("<i4").tobytes()).hexdigest(), int(b.column("loss_mask").sum())])
    c.ack(b.step, loss=0.5 + b.step, tokens=int(tokens.size))
print(json.dumps(out))
`
  const child = spawn('python3', ['-c', script, socketPath], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  expect(code, stderr).toBe(0)
  const out = JSON.parse(stdout)
  expect(out.handshake).toMatchObject({ seq_len: 128, vocab_size: 32000 })
  const expected = reference.map(b => {
    const tokens = Buffer.concat(b.sequences.map(s => Buffer.from(s.tokens.buffer, s.tokens.byteOffset, s.tokens.byteLength)))
    return [b.step, b.stage, crypto.createHash('sha256').update(tokens).digest('hex'), b.sequences.reduce((n, s) => n + s.lossMask.reduce((a, m) => a + m, 0), 0)]
  })
  expect(out.steps).toEqual(expected)
  expect(acks).toEqual(reference.map(b => [b.step, 0.5 + b.step]))
}, 60_000)
