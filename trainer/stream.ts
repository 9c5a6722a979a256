import { SluiceError } from '../schemas/errors.ts'
import type { Plan, PlanStage } from '../schemas/plan.ts'
import { nextSource, splitBudget, type MixEntry } from './mix/schedule.ts'
import { BestFitPacker, type BestFitState } from './pack/best-fit.ts'
import type { PieceState } from './pack/sequence.ts'
import type { PackedSequence, TokenizedSample } from './pack/types.ts'
import { WindowPacker } from './pack/window.ts'
import type { SampleSource, SourceCursor } from './sources.ts'

/** What the stream needs of a tokenizer (`tokenizer/tokenizer.ts#SentencePieceTokenizer`). */
export interface StreamTokenizer {
  encode: (text: string) => Uint32Array
  decode: (ids: ArrayLike<number>) => string
  readonly eosId: number
  readonly padId: number
  readonly vocabSize: number
}

/** One step's rows: `microBatch` packed sequences of one stage (fewer at the end of a stage). */
export interface Batch {
  step: number
  stage: string
  sequences: PackedSequence[]
}

/**
 * Everything that decides the rest of the stream besides the plan and the snapshot: small and
 * JSON, so the trainer can persist it at each acked step and resume byte-identically.
 */
export interface StreamState {
  /** Steps sent so far: the next batch is step `step`. */
  step: number
  /**
   * Stages finished, by name: the current stage is the plan's first one not listed, so a plan that
   * gains a stage (or reorders those not yet run) continues sensibly.
   */
  stagesDone: string[]
  /** The stage under way (its packer state and pending sequences belong to it); null between stages. */
  stage: string | null
  /** Tokens consumed per mix entry key (`<stage>/<source>`, `<stage>/replay/<earlier>/<source>`). */
  consumed: Record<string, number>
  /** Documents consumed per mix entry key. */
  documents: Record<string, number>
  /** Samples per mix entry key cut to the sequence length (task packing keeps samples whole or cuts them). */
  truncated: Record<string, number>
  /** Reading position per source (`<stage>/<source>`); replays read on from the earlier stage's position. */
  cursors: Record<string, SourceCursor>
  packer: PieceState[] | BestFitState | null
  /** Sequences packed but not yet sent (fewer than a batch), as base64 of their arrays. */
  pending: SerializedSequence[]
}

export interface SerializedSequence { tokens: string, segments: string, positions: string, lossMask: string, spans: PackedSequence['spans'] }

/** The stage the stream is in: the one under way, else the plan's first not done; undefined when all are done. */
export function currentStage (plan: Plan, state: StreamState): PlanStage | undefined {
  if (state.stage === null) return plan.stages.find(s => !state.stagesDone.includes(s.name))
  const stage = plan.stages.find(s => s.name === state.stage)
  if (stage === undefined) throw new SluiceError('config', `the run is in stage ${state.stage}, which the plan no longer has (its stages: ${plan.stages.map(s => s.name).join(', ')})`, { retryable: false })
  return stage
}

export const initialState = (): StreamState => ({ step: 0, stagesDone: [], stage: null, consumed: {}, documents: {}, truncated: {}, cursors: {}, packer: null, pending: [] })

const sourceKey = (stage: string, source: string): string => `${stage}/${source}`

interface StageEntry extends MixEntry {
  /** Key of the source it reads from. */
  source: string
  task: string
}

/** The mix of a stage: its own sources by weight, then each replay split over the earlier stage's sources by weight. */
export function stageEntries (plan: Plan, stage: PlanStage): StageEntry[] {
  const own = splitBudget(stage.tokens, stage.sources.map(s => s.weight))
  const entries: StageEntry[] = stage.sources.map((s, i) => ({ key: sourceKey(stage.name, s.name), source: sourceKey(stage.name, s.name), task: s.task ?? s.name, target: own[i]!, consumed: 0 }))
  for (const replay of stage.replay) {
    const earlier = plan.stages.find(s => s.name === replay.stage)!
    const budget = replay.tokens === 'equal' ? stage.tokens : replay.tokens
    const split = splitBudget(budget, earlier.sources.map(s => s.weight))
    earlier.sources.forEach((s, i) => entries.push({
      key: `${stage.name}/replay/${earlier.name}/${s.name}`, source: sourceKey(earlier.name, s.name), task: s.task ?? s.name, target: split[i]!, consumed: 0
    }))
  }
  return entries
}

/** Opens a source at a cursor (fresh when undefined). */
export type SourceOpener = (key: string, cursor: SourceCursor | undefined) => Promise<SampleSource>

const b64 = (a: ArrayBufferView): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64')
function fromB64<T extends Uint32Array | Int32Array | Uint8Array> (s: string, make: (buffer: ArrayBuffer) => T): T {
  const bytes = Buffer.from(s, 'base64')
  const copy = new ArrayBuffer(bytes.byteLength)
  new Uint8Array(copy).set(bytes)
  return make(copy)
}
const serialize = (s: PackedSequence): SerializedSequence => ({ tokens: b64(s.tokens), segments: b64(s.segments), positions: b64(s.positions), lossMask: b64(s.lossMask), spans: s.spans })
const deserialize = (s: SerializedSequence): PackedSequence => ({
  tokens: fromB64(s.tokens, b => new Uint32Array(b)), segments: fromB64(s.segments, b => new Int32Array(b)), positions: fromB64(s.positions, b => new Int32Array(b)), lossMask: fromB64(s.lossMask, b => new Uint8Array(b)), spans: s.spans
})

/**
 * The plan's batches from `state` on: per stage, the mix picks the source furthest behind its
 * token share, its next sample is tokenized (prompt tokens counted for the loss mask) and packed,
 * and every `microBatch` sequences make a step. A stage ends when each source reached its target;
 * its last sequences are padded. `state` is updated in place after each batch (`structuredClone` it
 * to keep it). Targets come from the plan each time, so a changed plan continues from what was
 * consumed: nothing is replayed or skipped.
 *
 * @example
 * for await (const batch of batchStream(plan, tokenizer, open, state)) send(batch, JSON.stringify(state))
 */
export async function * batchStream (plan: Plan, tokenizer: StreamTokenizer, open: SourceOpener, state: StreamState): AsyncGenerator<Batch> {
  // LLaMA's tokenizer defines no pad piece (pad_id -1): padding repeats EOS, masked from the loss and from attention (segment -1)
  const ids = { eos: tokenizer.eosId, pad: tokenizer.padId >= 0 ? tokenizer.padId : tokenizer.eosId }
  const sources = new Map<string, SampleSource>()
  const source = async (key: string): Promise<SampleSource> => {
    let s = sources.get(key)
    if (s === undefined) { s = await open(key, state.cursors[key]); sources.set(key, s) }
    return s
  }
  try {
    const pending = state.pending.map(deserialize)
    for (let stage = currentStage(plan, state); stage !== undefined; stage = currentStage(plan, state)) {
      const packer = stage.packing === 'window'
        ? new WindowPacker(plan.seqLen, ids)
        : new BestFitPacker(plan.seqLen, ids, { maskPrompts: plan.maskPrompts, openBins: plan.openSequences })
      if (state.packer !== null) packer.restore(state.packer as never)
      const entries = stageEntries(plan, stage).map(e => ({ ...e, consumed: state.consumed[e.key] ?? 0 }))
      const batch = (sequences: PackedSequence[]): Batch => ({ step: state.step++, stage: stage.name, sequences })
      const saveCursors = (): void => { for (const [key, s] of sources) state.cursors[key] = s.cursor() }
      const checkpoint = (): void => {
        state.stage = stage.name
        state.packer = packer.state()
        state.pending = pending.map(serialize)
        saveCursors()
      }
      for (let entry = nextSource(entries); entry !== null; entry = nextSource(entries)) {
        const s = await source(entry.source)
        const sample = await s.next()
        const tokens = tokenizer.encode(sample.text)
        const prompt = sample.prompt === '' ? 0 : commonPrefix(tokenizer.encode(sample.prompt), tokens)
        const packed: TokenizedSample = { docId: sample.id, source: entry.key, task: entry.task, tokens, promptTokens: prompt }
        // a cut sample counts with the tokens that were trained on, so budgets measure what the model saw
        const placed = stage.packing === 'task' ? Math.min(tokens.length + 1, plan.seqLen) : tokens.length + 1
        if (placed < tokens.length + 1) state.truncated[entry.key] = (state.truncated[entry.key] ?? 0) + 1
        entry.consumed += placed
        state.consumed[entry.key] = entry.consumed
        state.documents[entry.key] = (state.documents[entry.key] ?? 0) + 1
        pending.push(...packer.push(packed))
        while (pending.length >= plan.microBatch) {
          const rows = pending.splice(0, plan.microBatch)
          checkpoint()
          yield batch(rows)
        }
      }
      pending.push(...packer.flush())
      state.packer = null
      const finish = (): void => { state.stagesDone.push(stage.name); state.stage = null }
      if (pending.length === 0) finish()
      while (pending.length > 0) {
        const rows = pending.splice(0, plan.microBatch)
        // the stage's last batch leaves a state that starts the next stage
        if (pending.length === 0) finish()
        else state.stage = stage.name
        state.pending = pending.map(serialize)
        saveCursors()
        yield batch(rows)
      }
    }
  } finally {
    for (const s of sources.values()) s.close()
  }
}

/** Tokens of the prompt that the whole text's encoding starts with: where the answer's loss begins. */
function commonPrefix (prompt: Uint32Array, text: Uint32Array): number {
  let n = 0
  while (n < prompt.length && n < text.length && prompt[n] === text[n]) n++
  return n
}
