import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { documentRow, DOCUMENTS_SCHEMA, openDocumentsTable } from '../../lake/documents-table.ts'
import { writeParquet } from '../../lake/iceberg/parquet.ts'
import { planSchema, type Plan } from '../../schemas/plan.ts'
import { openTraining } from '../../trainer/open.ts'
import { batchToIpc } from '../../trainer/server/arrow.ts'
import { BatchServer } from '../../trainer/server/server.ts'
import { batchStream, initialState } from '../../trainer/stream.ts'
import { SentencePieceTokenizer } from '../../trainer/tokenizer/tokenizer.ts'
import { readTexts } from '../commands/quality-lm.ts'
import { benchDocuments } from './lake/records.ts'

const HELP = `npm run bench -- trainer [--mb 16] [--seq-len 4096]

The trainer on one process:
- tokenizers: the same zh and en web text through the TypeScript tokenizer (cold and warm segment
  cache), Python sentencepiece (C++) and Hugging Face tokenizers (Rust, the LLaMA tokenizer.json),
  one process and one thread each;
- pipeline: --mb of real web documents in a fresh lake, read by SQL from the snapshot, tokenized,
  packed into --seq-len windows and serialised to Arrow IPC: tokens/s per CPU second;
- socket: the batch server over a Unix socket to a consumer that only reads frames and acks.`

const DATA = '../shared/data'
const LLAMA = `${DATA}/tokenizers/llama2/tokenizer.model`
const TEXTS = {
  zh: ['web/zh/chinesewebtext-cc2021-43-cleared1.jsonl', 'web/zh/CLUECorpusSmall_sampled.txt.gz', 'web/zh/zhwiki_sampled.txt.gz'],
  en: ['web/en/olmo-c4_100_domains-theguardian.jsonl.gz', 'quality/dclm-agreement_data.jsonl', 'quality/dclm-majority_data.jsonl', 'web/en/html_extraction/cleaneval-final.tar.gz']
}

/** Times the reference libraries in one Python process each: sentencepiece, then HF tokenizers if installed. */
const PEERS = `
import json, sys, time
texts = [json.loads(l) for l in open(sys.argv[2], encoding='utf-8')]
out = {}
import sentencepiece as spm
sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
start = time.process_time()
out['sentencepiece'] = {'tokens': sum(len(sp.encode(t)) for t in texts), 'seconds': time.process_time() - start}
try:
    from tokenizers import Tokenizer
    hf = Tokenizer.from_file(sys.argv[3])
    start = time.process_time()
    out['hf tokenizers'] = {'tokens': sum(len(hf.encode(t, add_special_tokens=False).ids) for t in texts), 'seconds': time.process_time() - start}
except ImportError:
    out['hf tokenizers'] = None
print(json.dumps(out))
`

const cpuSeconds = (from: NodeJS.CpuUsage): number => { const u = process.cpuUsage(from); return (u.user + u.system) / 1e6 }
const rateLine = (tokens: number, bytes: number, seconds: number): string => `${(tokens / seconds / 1e6).toFixed(2)}M tokens/s, ${(bytes / seconds / 1e6).toFixed(1)} MB/s`

function benchTokenizers (tmp: string): void {
  const tok = SentencePieceTokenizer.fromFile(LLAMA)
  for (const [lang, files] of Object.entries(TEXTS)) {
    const texts = files.flatMap(f => [...readTexts(path.join(DATA, f))])
    const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0)
    const input = path.join(tmp, `${lang}.jsonl`)
    fs.writeFileSync(input, texts.map(t => JSON.stringify(t)).join('\n') + '\n')
    const fresh = SentencePieceTokenizer.fromFile(LLAMA)
    const passes = [fresh, tok, tok].map(t => {
      const cpu = process.cpuUsage()
      let tokens = 0
      for (const text of texts) tokens += t.encode(text).length
      return { tokens, seconds: cpuSeconds(cpu) }
    })
    const py = spawnSync('python3', ['-c', PEERS, LLAMA, input, `${DATA}/tokenizers/llama-hf/llama-test-tokenizer.json`], { encoding: 'utf8' })
    if (py.status !== 0) throw new Error(`python3 sentencepiece failed (pip install sentencepiece): ${py.stderr}`)
    const peers = JSON.parse(py.stdout) as Record<string, { tokens: number, seconds: number } | null>
    const warm = passes[2]!
    console.log(`tokenizer ${lang}: ${texts.length} docs, ${(bytes / 1e6).toFixed(1)} MB, ${warm.tokens.toLocaleString('en-US')} tokens`)
    console.log(`  sluice cold cache: ${rateLine(passes[0]!.tokens, bytes, passes[0]!.seconds)}; warm: ${rateLine(warm.tokens, bytes, warm.seconds)}`)
    for (const [name, r] of Object.entries(peers)) {
      if (r === null) { console.log(`  ${name}: not installed (pip install tokenizers)`); continue }
      console.log(`  ${name}: ${rateLine(r.tokens, bytes, r.seconds)} (${r.tokens === warm.tokens ? 'same' : `${r.tokens.toLocaleString('en-US')}`} tokens); sluice cold is ${(r.seconds / passes[0]!.seconds).toFixed(2)}x its speed`)
    }
  }
}

/** A lake of about `mb` MB of real web text, one file per language. */
async function benchLake (dir: string, mb: number): Promise<number> {
  const { docs, textBytes } = benchDocuments(mb * 1e6, 0)
  const table = openDocumentsTable(dir)
  const entries = []
  for (const lang of [...new Set(docs.map(d => d.lang ?? 'other'))]) {
    const part = path.join(table.dataDir, `lang=${lang}`, 'ingested_at_day=2026-11-28')
    fs.mkdirSync(part, { recursive: true })
    const written = await writeParquet(DOCUMENTS_SCHEMA, docs.filter(d => (d.lang ?? 'other') === lang).map(documentRow), path.join(part, 'bench.parquet'))
    entries.push({ ...written, partition: { lang, ingested_at_day: Math.floor(Date.parse('2026-11-28') / 86_400_000) } })
  }
  table.append(entries, { 'sluice.bench': 'trainer' })
  return textBytes
}

function pipelinePlan (lake: string, seqLen: number, tokens: number): Plan {
  return planSchema.parse({
    seqLen,
    microBatch: 8,
    lake,
    snapshot: 'current',
    stages: [{
      name: 'stage1',
      tokens,
      packing: 'window',
      sources: [
        { name: 'web_zh', sql: "SELECT id, text FROM documents WHERE lang = 'zh' AND text IS NOT NULL" },
        { name: 'web_en', sql: "SELECT id, text FROM documents WHERE lang = 'en' AND text IS NOT NULL" }
      ]
    }]
  })
}

async function benchPipeline (plan: Plan): Promise<void> {
  const training = await openTraining(plan)
  const cpu = process.cpuUsage()
  const t0 = performance.now()
  let tokens = 0
  let ipcBytes = 0
  try {
    for await (const batch of batchStream(plan, training.tokenizer, training.open, initialState())) {
      ipcBytes += batchToIpc(batch, plan.seqLen).byteLength
      tokens += batch.sequences.length * plan.seqLen
    }
  } finally {
    training.close()
  }
  const seconds = cpuSeconds(cpu)
  console.log(`pipeline (lake SQL -> tokenize -> pack -> Arrow IPC): ${tokens.toLocaleString('en-US')} tokens, ${(ipcBytes / 1e6).toFixed(1)} MB of IPC in ` +
    `${seconds.toFixed(1)} CPU s (${((performance.now() - t0) / 1000).toFixed(1)} s wall): ${(tokens / seconds / 1e6).toFixed(2)}M tokens/s per CPU second (aim 1M)`)
}

/** A consumer that reads frames, counts bytes and acks each batch: the socket's ceiling, not a model's. */
const READER = `
const net = require('node:net')
const socket = net.connect(process.argv[1])
let buf = Buffer.alloc(0), next = null, bytes = 0, steps = 0
const t0 = process.hrtime.bigint()
socket.on('connect', () => { const b = Buffer.from(JSON.stringify({ type: 'hello', version: 1 })); const h = Buffer.alloc(5); h.writeUInt32BE(b.length); h[4] = 1; socket.write(Buffer.concat([h, b])) })
socket.on('data', chunk => {
  buf = Buffer.concat([buf, chunk])
  while (buf.length >= 5 && buf.length >= 5 + buf.readUInt32BE(0)) {
    const n = buf.readUInt32BE(0), kind = buf[4], payload = buf.subarray(5, 5 + n)
    buf = buf.subarray(5 + n)
    if (kind === 1) { const m = JSON.parse(payload); if (m.type === 'handshake') next = m.next_step; if (m.type === 'end') { console.log(JSON.stringify({ bytes, steps, seconds: Number(process.hrtime.bigint() - t0) / 1e9 })); socket.end() } continue }
    bytes += n; steps++
    const a = Buffer.from(JSON.stringify({ type: 'ack', step: next++, loss: null, tokens: 0 })); const h = Buffer.alloc(5); h.writeUInt32BE(a.length); h[4] = 1; socket.write(Buffer.concat([h, a]))
  }
})
`

async function benchSocket (plan: Plan, tmp: string): Promise<void> {
  const training = await openTraining(plan)
  const runFile = path.join(tmp, 'run.json')
  const server = new BatchServer({
    plan, training, runFile, run: { runId: 'bench', planId: 'bench', snapshotId: training.snapshotId, lineageStep: -1, checkpoints: [] }, prefetch: 8, checkpointEvery: 100, log: () => {}
  }, initialState())
  const socket = path.join(tmp, 'bench.sock')
  await server.listen({ path: socket })
  try {
    const child = spawn(process.execPath, ['-e', READER, socket], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    await new Promise(resolve => child.on('close', resolve))
    const r = JSON.parse(out) as { bytes: number, steps: number, seconds: number }
    const tokens = r.steps * plan.microBatch * plan.seqLen
    console.log(`socket (batch server -> a consumer that only reads and acks, Unix socket): ${r.steps} steps, ${(r.bytes / 1e6).toFixed(1)} MB in ${r.seconds.toFixed(1)} s: ` +
      `${(r.bytes / r.seconds / 1e6).toFixed(1)} MB/s, ${(tokens / r.seconds / 1e6).toFixed(2)}M tokens/s (the server makes the batches as it sends them)`)
  } finally {
    await server.close()
    training.close()
  }
}

export async function main (argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { mb: { type: 'string', default: '16' }, 'seq-len': { type: 'string', default: '4096' }, help: { type: 'boolean' } } })
  if (values.help === true) { console.log(HELP); return }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-trainer-'))
  try {
    benchTokenizers(tmp)
    const lake = path.join(tmp, 'lake')
    const bytes = await benchLake(lake, Number(values.mb))
    // about 3 bytes a token on this mix: a budget the lake covers once
    const plan = pipelinePlan(lake, Number(values['seq-len']), Math.floor(bytes / 3.5))
    console.log(`lake: ${(bytes / 1e6).toFixed(1)} MB of web text; plan: one window stage of ${plan.stages[0]!.tokens.toLocaleString('en-US')} tokens, sequences of ${plan.seqLen}`)
    await benchPipeline(plan)
    await benchSocket(plan, tmp)
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
}
