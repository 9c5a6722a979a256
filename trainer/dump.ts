import type { Plan } from '../schemas/plan.ts'
import type { PackedSequence } from './pack/types.ts'
import { stageEntries, type Batch, type StreamState } from './stream.ts'

/** What the dump needs of a tokenizer. */
export interface Decoder { decode: (ids: ArrayLike<number>) => string }

const PREVIEW = 160

const clip = (text: string, n: number): string => {
  const flat = text.replace(/\n/g, '⏎')
  return flat.length <= n ? flat : `${flat.slice(0, n / 2)} … ${flat.slice(-n / 2)}`
}

/** One sequence for a person: its documents (source, task, span, offset) with their text, the part out of the loss in ⟦⟧. */
function sequenceText (seq: PackedSequence, row: number, tok: Decoder): string[] {
  const used = seq.spans.at(-1)?.end ?? 0
  const loss = seq.lossMask.reduce((n, m) => n + m, 0)
  const lines = [`  row ${row}: ${seq.spans.length} segment(s), ${used} tokens + ${seq.tokens.length - used} padding, ${loss} in the loss`]
  for (const [k, span] of seq.spans.entries()) {
    const mask = seq.lossMask.subarray(span.start, span.end)
    const answerAt = mask.indexOf(1)
    const prompt = answerAt === -1 ? span.end - span.start : answerAt
    const head = prompt === 0 ? '' : `⟦${clip(tok.decode(seq.tokens.subarray(span.start, span.start + prompt)), PREVIEW / 2)}⟧ `
    const body = clip(tok.decode(seq.tokens.subarray(span.start + prompt, span.end)), PREVIEW)
    lines.push(`    [${k}] ${span.source} (task ${span.task}) doc ${span.docId} tokens ${span.start}-${span.end} from offset ${span.docOffset}: ${head}${body}`)
  }
  return lines
}

/** A batch for `sluice train --dry-run --dump`. */
export function batchText (batch: Batch, tok: Decoder): string {
  return [`step ${batch.step} (${batch.stage}): ${batch.sequences.length} rows`, ...batch.sequences.flatMap((s, i) => sequenceText(s, i, tok))].join('\n')
}

/** Tokens consumed against each source's target, per stage, as a table. */
export function accountingText (plan: Plan, state: StreamState): string {
  const lines = ['entry                                        consumed        target   docs  cut']
  for (const stage of plan.stages) {
    for (const e of stageEntries(plan, stage)) {
      const consumed = state.consumed[e.key] ?? 0
      lines.push(`${e.key.padEnd(40)} ${String(consumed).padStart(12)} ${String(e.target).padStart(13)} ${String(state.documents[e.key] ?? 0).padStart(6)} ${String(state.truncated[e.key] ?? 0).padStart(4)}`)
    }
  }
  return lines.join('\n')
}
