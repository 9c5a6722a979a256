import type { Command } from 'commander'
import { z } from 'zod'
import { SluiceError } from '../../schemas/errors.ts'
import { formatCount, log } from '../log.ts'
import { validate } from './options.ts'

const schema = z.strictObject({
  plan: z.string().min(1).optional(),
  dryRun: z.boolean().optional(),
  dump: z.number().int('must be a whole number').min(0).default(3),
  stage: z.string().min(1).optional(),
  json: z.boolean().optional()
})
type Options = z.output<typeof schema>

const FLAGS = { plan: '--plan', dryRun: '--dry-run', dump: '--dump', stage: '--stage', json: '--json' }

/** `--dry-run`: the plan, its snapshot and the first batches, shown as the model core would get them. */
async function dryRun (o: Options): Promise<void> {
  const { loadPlan, planId } = await import('../../trainer/plan.ts')
  const { openTraining } = await import('../../trainer/open.ts')
  const { batchStream, initialState } = await import('../../trainer/stream.ts')
  const { accountingText, batchText } = await import('../../trainer/dump.ts')
  const plan = loadPlan(o.plan)
  const state = initialState()
  if (o.stage !== undefined) {
    state.stage = plan.stages.findIndex(s => s.name === o.stage)
    if (state.stage === -1) throw new SluiceError('config', `--stage ${o.stage}: the plan's stages are ${plan.stages.map(s => s.name).join(', ')}`, { retryable: false })
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
    .addHelpText('after', `
A plan names the sequence length, micro-batch, seed, tokenizer, lake snapshot and stages; each stage a token
budget, weighted sources (SQL over the snapshot, or supervised/maths files rendered as 问题:{q} 回答:{a} /
Question:{q} Answer:{a}), window or task packing, and replay of earlier stages. See trainer/README.md.

Examples:
  sluice train --plan plan.yaml --dry-run --dump 4
  sluice train --plan plan.yaml --dry-run --stage stage3 --dump 2
`)
    .action(async (raw: Record<string, unknown>) => {
      const o = validate(schema, raw, FLAGS)
      if (o.dryRun !== true) throw new SluiceError('config', 'serving batches to a model core is not built yet: run with --dry-run', { retryable: false })
      await dryRun(o)
    })
}
