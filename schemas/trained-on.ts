import { col, defineSchema, type Infer } from './define.ts'

/**
 * One span of one training row, as a row of the lake's `trained_on` table: which document's tokens
 * a run trained on at a step, where they sat in the sequence and where they came from in the
 * document. With the run's plan and pinned snapshot, a row answers "what did the model see" and
 * "which documents did this step (or this source) feed" by plain SQL.
 */
export const trainedOnSchema = defineSchema('trained_on', 1, {
  schema_version: col.literal(1, 'schema version of this record'),
  run_id: col.string('the training run (`sluice train --run`)'),
  plan_id: col.string('the plan the run follows'),
  snapshot_id: col.nullable(col.long('the lake snapshot the run reads, pinned at its first start; null when the plan reads no lake')),
  step: col.long('the training step (batch) the row belongs to'),
  row: col.int("the sequence's index in the step's batch"),
  document_id: col.string('lake document id, or `<file>#<line>` for a supervised sample'),
  token_start: col.int('first token of the span in the sequence'),
  token_end: col.int('end of the span in the sequence (exclusive)'),
  doc_token_offset: col.long("index in the document's token stream (EOS included) of the span's first token: windows cut long documents"),
  stage: col.string('the plan stage of the step (stage1, stage2, ...)'),
  source: col.string('the mix entry key the span was drawn for: `<stage>/<source>` or `<stage>/replay/<earlier>/<source>`'),
  task: col.string('the task of the source (stages 2 and 3 pack samples of one task together)'),
  trained_at: col.timestamp('when the trainer acked the step')
})

export type TrainedOn = Infer<typeof trainedOnSchema.shape>
