import { z } from 'zod'

const name = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only (it names the source in lineage and accounting)')
const tokens = z.number().int('must be a whole number of tokens').positive()

/**
 * Where a stage's data comes from: a SQL query over the pinned lake snapshot (the `documents` view;
 * it must return `id` and `text`), or supervised/maths files rendered with Ziya2's templates.
 */
export const planSourceSchema = z.strictObject({
  name,
  /** Share of the stage's own budget, relative to the other sources of the stage. */
  weight: z.number().positive('must be above 0').default(1),
  sql: z.string().min(1).optional(),
  files: z.array(z.string().min(1)).min(1).optional(),
  /** Samples of one task share sequences (stages packed by task); default: the source's name. */
  task: z.string().min(1).optional(),
  /** Template language for files; default: each question's own. */
  lang: z.enum(['zh', 'en']).optional()
}).refine(s => (s.sql === undefined) !== (s.files === undefined), { message: 'give exactly one of sql or files' })

/** Tokens drawn from an earlier stage's sources; `equal` = as many as this stage's own budget (Ziya2 stage 2). */
export const replaySchema = z.strictObject({
  stage: name,
  tokens: z.union([tokens, z.literal('equal')])
})

export const planStageSchema = z.strictObject({
  name,
  /** Tokens of this stage's own sources; replayed tokens come on top. */
  tokens,
  /** `window`: documents joined with EOS and cut (Ziya2 stage 1); `task`: best fit of same-task samples, padded. */
  packing: z.enum(['window', 'task']),
  sources: z.array(planSourceSchema).min(1, 'a stage needs at least one source'),
  replay: z.array(replaySchema).default([])
})

/** Ziya2's three stages, at the paper's budgets (650B, 47B, 3B tokens), on the lake and the shared samples. */
export const ZIYA2_STAGES: Array<z.input<typeof planStageSchema>> = [
  {
    name: 'stage1',
    tokens: 650e9,
    packing: 'window',
    sources: [
      { name: 'web_zh', weight: 1, sql: "SELECT id, text FROM documents WHERE decision = 'keep' AND lang = 'zh'" },
      { name: 'web_en', weight: 1, sql: "SELECT id, text FROM documents WHERE decision = 'keep' AND lang = 'en'" },
      { name: 'code', weight: 0.05, files: ['../shared/data/code/HumanEval.jsonl.gz'] }
    ]
  },
  {
    name: 'stage2',
    tokens: 47e9,
    packing: 'task',
    sources: [
      { name: 'belle_eval', files: ['../shared/data/instruct/belle-eval_set.json'] },
      { name: 'belle_seed', files: ['../shared/data/instruct/belle-zh_seed_tasks.json'] },
      { name: 'self_instruct', files: ['../shared/data/instruct/self-instruct-seed_tasks.jsonl', '../shared/data/instruct/self-instruct-user_oriented_instructions.jsonl'] }
    ],
    replay: [{ stage: 'stage1', tokens: 'equal' }]
  },
  {
    name: 'stage3',
    tokens: 3e9,
    packing: 'task',
    sources: [
      { name: 'gsm8k', files: ['../shared/data/math/gsm8k-train.jsonl.gz'] },
      { name: 'ape210k', lang: 'zh', files: ['../shared/data/math/ape210k-valid.ape.json.gz'] }
    ],
    replay: [{ stage: 'stage1', tokens: 1e8 }, { stage: 'stage2', tokens: 1e8 }]
  }
]

export const planSchema = z.strictObject({
  /** Tokens per sequence. */
  seqLen: z.number().int().min(16).max(1 << 20).default(4096),
  /** Sequences per batch the server sends (one step of the model core). */
  microBatch: z.number().int().positive().default(4),
  /** With the plan and the snapshot, decides every batch. */
  seed: z.number().int().min(0).default(1),
  /** SentencePiece `.model` file. */
  tokenizer: z.string().min(1).default('../shared/data/tokenizers/llama2/tokenizer.model'),
  lake: z.string().min(1).default('./lake'),
  /** Snapshot of the documents table: an id, `published` (the newest published one) or `current`. */
  snapshot: z.union([z.number().int().positive(), z.enum(['published', 'current'])]).default('published'),
  /** Leave prompts (the template up to the answer) out of the loss in task-packed stages. */
  maskPrompts: z.boolean().default(false),
  /** Open sequences per task-packed stage (best fit looks among them). */
  openSequences: z.number().int().min(1).max(1024).default(16),
  stages: z.array(planStageSchema).min(1).default(() => ZIYA2_STAGES.map(s => planStageSchema.parse(s)))
}).superRefine((plan, ctx) => {
  const seen = new Set<string>()
  for (const [i, stage] of plan.stages.entries()) {
    if (seen.has(stage.name)) ctx.addIssue({ code: 'custom', path: ['stages', i, 'name'], message: `stage ${stage.name} is named twice` })
    const sources = new Set<string>()
    for (const [k, source] of stage.sources.entries()) {
      if (sources.has(source.name)) ctx.addIssue({ code: 'custom', path: ['stages', i, 'sources', k, 'name'], message: `source ${source.name} is named twice in stage ${stage.name}` })
      sources.add(source.name)
    }
    for (const [k, replay] of stage.replay.entries()) {
      if (!seen.has(replay.stage)) ctx.addIssue({ code: 'custom', path: ['stages', i, 'replay', k, 'stage'], message: `${replay.stage} is not an earlier stage (earlier: ${[...seen].join(', ') || 'none'})` })
    }
    seen.add(stage.name)
  }
})

export type PlanInput = z.input<typeof planSchema>
export type Plan = z.output<typeof planSchema>
export type PlanStage = Plan['stages'][number]
export type PlanSource = PlanStage['sources'][number]
