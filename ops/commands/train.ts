import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Command } from 'commander'
import { z } from 'zod'
import { SluiceError } from '../../schemas/errors.ts'
import type { Plan } from '../../schemas/plan.ts'
import { formatCount, log } from '../log.ts'
import { validate } from './options.ts'

const schema = z.strictObject({
  plan: z.string().min(1).optional(),
  dryRun: z.boolean().optional(),
  dump: z.number().int('must be a whole number').min(0).default(3),
  stage: z.string().min(1).optional(),
  json: z.boolean().optional(),
  listen: z.string().regex(/^[^:]*:\d+$/, 'must be host:port').default('127.0.0.1:7711'),
  socket: z.string().min(1).optional(),
  core: z.enum(['python', 'external']).default('python'),
  coreConfig: z.enum(['tiny', '1b', '7b', '13b']).default('tiny'),
  coreLr: z.number().positive().optional(),
  run: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only').optional(),
  prefetch: z.number().int().min(1).max(1024).default(4),
  checkpointEvery: z.number().int().min(1).default(50),
  home: z.string().min(1).optional()
})
type Options = z.output<typeof schema>

const FLAGS = {
  plan: '--plan', dryRun: '--dry-run', dump: '--dump', stage: '--stage', json: '--json', listen: '--listen', socket: '--socket', core: '--core', coreConfig: '--core-config', coreLr: '--core-lr',
  run: '--run', prefetch: '--prefetch', checkpointEvery: '--checkpoint-every', home: '--home'
}

/** Steps the plan will take, about: token budgets (replays included) over the tokens of a step; the core's schedule length. */
function estimatedSteps (plan: Plan): number {
  const tokens = plan.stages.reduce((n, s) => n + s.tokens + s.replay.reduce((m, r) => m + (r.tokens === 'equal' ? s.tokens : r.tokens), 0), 0)
  return Math.max(1, Math.ceil(tokens / (plan.seqLen * plan.microBatch)))
}

/**
 * Starts the Python model core (`trainer/core`, its venv made by setup.sh) against the server;
 * resolves with its exit code. Its checkpoints go beside the run's state, at the same steps.
 */
function launchCore (o: Options, plan: Plan, address: string, checkpointDir: string): Promise<number | null> {
  const coreDir = fileURLToPath(new URL('../../trainer/core/', import.meta.url))
  const python = process.env.SLUICE_CORE_PYTHON ?? path.join(coreDir, '.venv', 'bin', 'python')
  if (!fs.existsSync(python)) throw new SluiceError('missing_dependency', `no Python for the model core at ${python}: run bash trainer/core/setup.sh (or set SLUICE_CORE_PYTHON), or use --core external`, { retryable: false })
  const args = ['-m', 'sluice_core.train', '--connect', address, '--config', o.coreConfig, '--total-steps', String(estimatedSteps(plan)),
    '--checkpoint-dir', checkpointDir, '--checkpoint-every', String(o.checkpointEvery), ...(o.coreLr === undefined ? [] : ['--lr', String(o.coreLr)])]
  log(`train: starting the model core: ${python} ${args.join(' ')}`)
  const child = spawn(python, args, { cwd: coreDir, stdio: ['ignore', 'inherit', 'inherit'] })
  return new Promise(resolve => child.on('close', code => resolve(code)))
}

/** Serves the plan's batches to a model core until every step is acked, or Ctrl-C. */
async function serve (o: Options): Promise<void> {
  const { loadPlan, planId } = await import('../../trainer/plan.ts')
  const { openTraining } = await import('../../trainer/open.ts')
  const { currentStage, initialState } = await import('../../trainer/stream.ts')
  const { readRunFile } = await import('../../trainer/server/checkpoints.ts')
  const { BatchServer } = await import('../../trainer/server/server.ts')
  const { homeDir } = await import('../broker/paths.ts')
  const { startProgress } = await import('../progress.ts')
  const { stopOnSignals } = await import('../signals.ts')
  const plan = loadPlan(o.plan)
  const id = planId(plan)
  const runId = o.run ?? `run-${id}`
  const runFile = path.join(homeDir(o.home), 'train', `${runId}.json`)
  const existing = readRunFile(runFile)
  const training = await openTraining(plan, existing?.snapshotId)
  const run = existing ?? { runId, planId: id, snapshotId: training.snapshotId, lineageStep: -1, checkpoints: [] }
  if (existing !== null && existing.planId !== id) {
    log(`train: the plan changed since run ${runId} started (${existing.planId} -> ${id}); it continues from what each source consumed`)
    run.planId = id
  }
  const start = run.checkpoints.at(-1) ?? initialState()
  const seen = { step: start.step, stage: currentStage(plan, start)?.name ?? 'done', loss: null as number | null, tokens: 0, since: Date.now() }
  const { appendTrainedOn, trainedOnRows } = await import('../../lake/trained-on-table.ts')
  const server = new BatchServer({
    plan, training, runFile, run, prefetch: o.prefetch, checkpointEvery: o.checkpointEvery, log,
    // lineage first, then the state file: a crash between them re-sends steps whose rows appendTrainedOn skips
    onCheckpoint: async acked => {
      const trainedAt = new Date().toISOString()
      const rows = acked.filter(a => a.batch.step > run.lineageStep).flatMap(a => trainedOnRows(a.batch, { runId, planId: id, snapshotId: run.snapshotId, trainedAt }))
      if (rows.length > 0) await appendTrainedOn(plan.lake, rows, { 'sluice.plan-id': id })
    },
    onAck: (ack, batch) => { seen.step = ack.step + 1; seen.stage = batch.stage; seen.loss = ack.loss; seen.tokens += ack.tokens }
  }, start)
  const abort = stopOnSignals()
  const progress = startProgress(() => `train: step ${seen.step} (${seen.stage}), ${formatCount(Math.round(seen.tokens / Math.max((Date.now() - seen.since) / 1000, 1e-3)))} tokens/s, loss ${seen.loss?.toFixed(4) ?? '-'}`)
  try {
    const address = await server.listen(o.socket !== undefined ? { path: o.socket } : { host: o.listen.split(':')[0], port: Number(o.listen.split(':')[1]) })
    log(`train: run ${runId} (${id}, snapshot ${training.snapshotId ?? 'none'}) serving on ${address} from step ${start.step}; state in ${runFile}` +
      (o.core === 'external' ? '; start the model core and point it there' : ''))
    const core = o.core === 'python' ? launchCore(o, plan, address, path.join(path.dirname(runFile), runId, 'core')) : null
    const coreFailed = core === null
      ? new Promise<never>(() => {})
      : core.then(code => { throw new SluiceError('config', `the model core exited with code ${code} before the plan was done (its output is above)`, { retryable: false }) })
    await Promise.race([server.finishedAll(), new Promise(resolve => abort.signal.addEventListener('abort', resolve, { once: true })), coreFailed])
    // the core writes its last checkpoint after the server's end message
    if (core !== null && server.complete) {
      const code = await core
      if (code !== 0) throw new SluiceError('config', `the model core exited with code ${code} after the last step`, { retryable: false })
    }
  } finally {
    progress.stop()
    await server.shutdown()
    abort.dispose()
    training.close()
  }
  log(server.complete ? `train: run ${runId} done: ${server.ackedStep} steps acked` : `train: stopped; run ${runId} resumes after step ${server.ackedStep - 1} (the last checkpoint in ${runFile})`)
}

/** `--dry-run`: the plan, its snapshot and the first batches, shown as the model core would get them. */
async function dryRun (o: Options): Promise<void> {
  const { loadPlan, planId } = await import('../../trainer/plan.ts')
  const { openTraining } = await import('../../trainer/open.ts')
  const { batchStream, initialState } = await import('../../trainer/stream.ts')
  const { accountingText, batchText } = await import('../../trainer/dump.ts')
  const plan = loadPlan(o.plan)
  const state = initialState()
  if (o.stage !== undefined) {
    const at = plan.stages.findIndex(s => s.name === o.stage)
    state.stagesDone = plan.stages.slice(0, Math.max(at, 0)).map(s => s.name)
    if (at === -1) throw new SluiceError('config', `--stage ${o.stage}: the plan's stages are ${plan.stages.map(s => s.name).join(', ')}`, { retryable: false })
  }
  const training = await openTraining(plan)
  const started = Date.now()
  let sent = 0
  let tokens = 0
  try {
    log(`train --dry-run: ${planId(plan)}, ${plan.stages.length} stages (${plan.stages.map(s => `${s.name} ${formatCount(s.tokens)} tokens, ${s.packing}`).join('; ')}), ` +
      `sequences of ${plan.seqLen}, ${plan.microBatch} a step, seed ${plan.seed}, vocabulary ${training.tokenizer.vocabSize}, snapshot ${training.snapshotId ?? '(no SQL sources)'}`)
    if (o.dump > 0) {
      for await (const batch of batchStream(plan, training.tokenizer, training.open, state)) {
        process.stdout.write(o.json === true ? `${JSON.stringify(batchJson(batch))}\n` : `${batchText(batch, training.tokenizer)}\n\n`)
        tokens += batch.sequences.length * plan.seqLen
        if (++sent >= o.dump) break
      }
    }
    if (o.json !== true) process.stdout.write(`${accountingText(plan, state)}\n`)
  } finally {
    training.close()
  }
  log(`train --dry-run: ${sent} steps, ${formatCount(tokens)} tokens in ${((Date.now() - started) / 1000).toFixed(1)} s; nothing was sent or saved`)
}

function batchJson (b: import('../../trainer/stream.ts').Batch): unknown {
  return {
    step: b.step,
    stage: b.stage,
    rows: b.sequences.map(s => ({ tokens: [...s.tokens], segments: [...s.segments], positions: [...s.positions], lossMask: [...s.lossMask], spans: s.spans }))
  }
}

/** `sluice train`: the batch stream of a training plan. */
export function registerTrain (program: Command): void {
  program.command('train')
    .description("stream a training plan's batches (staged mix from a pinned lake snapshot, tokenized and packed as Ziya2 does)")
    .option('--plan <file>', "training plan, YAML or JSON (default: Ziya2's three stages on ./lake's newest published snapshot)")
    .option('--dry-run', 'print the plan and the first batches instead of serving them')
    .option('--dump <n>', 'steps to print with --dry-run', Number)
    .option('--stage <name>', 'with --dry-run: start at this stage (to look at its templates and packing)')
    .option('--json', 'with --dry-run: each step as one JSON object (tokens, segments, positions, loss mask, spans)')
    .option('--listen <host:port>', 'where the batch server listens (TCP)', '127.0.0.1:7711')
    .option('--socket <path>', 'listen on a Unix socket instead')
    .option('--core <kind>', 'model core: python (trainer/core, started here) or external (started by you, e.g. on a GPU machine, pointed at --listen)', 'python')
    .option('--core-config <shape>', 'with --core python: the model shape (tiny, 1b, 7b, 13b)', 'tiny')
    .option('--core-lr <rate>', 'with --core python: peak learning rate (default: the core\'s, 3e-4)', Number)
    .option('--run <id>', 'run id: its state lives in <home>/train/<id>.json and a restart resumes it (default: run-<plan id>)')
    .option('--prefetch <n>', 'batches sent ahead of the acks', Number)
    .option('--checkpoint-every <n>', 'acked steps between saved resume states', Number)
    .option('--home <dir>', 'folder for state (default: $SLUICE_HOME or ./.sluice)')
    .addHelpText('after', `
A plan names the sequence length, micro-batch, seed, tokenizer, lake snapshot and stages; each stage a token
budget, weighted sources (SQL over the snapshot, or supervised/maths files rendered as 问题:{q} 回答:{a} /
Question:{q} Answer:{a}), window or task packing, and replay of earlier stages. See trainer/README.md.

The batch protocol (handshake, Arrow IPC batches, acks) is in trainer/PROTOCOL.md; a Python client is
trainer/core/sluice_core/client.py.

Examples:
  sluice train --plan plan.yaml --socket /tmp/sluice.sock
  sluice train --plan plan.yaml --dry-run --dump 4
  sluice train --plan plan.yaml --dry-run --stage stage3 --dump 2
`)
    .action(async (raw: Record<string, unknown>) => {
      const o = validate(schema, raw, FLAGS)
      if (o.dryRun === true) await dryRun(o)
      else await serve(o)
    })
}
