import { SluiceError } from '../schemas/errors.ts'
import type { Plan } from '../schemas/plan.ts'
import { fileSource, openPlanLake, sqlSource } from './sources.ts'
import type { SourceOpener, StreamTokenizer } from './stream.ts'
import { SentencePieceTokenizer } from './tokenizer/tokenizer.ts'

export interface Training {
  tokenizer: StreamTokenizer
  /** The documents snapshot the SQL sources read; null when the plan has none. */
  snapshotId: number | null
  open: SourceOpener
  close: () => void
}

/**
 * What a plan's batch stream reads: its tokenizer, the pinned lake snapshot, and its sources by key.
 * `pinned` is the snapshot a resumed run started on; it wins over what the plan would choose now.
 */
export async function openTraining (plan: Plan, pinned?: number | null): Promise<Training> {
  const tokenizer = SentencePieceTokenizer.fromFile(plan.tokenizer)
  const lake = await openPlanLake(plan, pinned ?? undefined)
  const open: SourceOpener = async (key, cursor) => {
    const [stageName, sourceName] = key.split('/')
    const source = plan.stages.find(s => s.name === stageName)?.sources.find(s => s.name === sourceName)
    if (source === undefined) throw new SluiceError('config', `the resume state reads source ${key}, which the plan no longer has`, { retryable: false })
    if (source.files !== undefined) return fileSource(key, source, plan.seed, cursor)
    return await sqlSource(key, source, plan.seed, lake!.session, cursor)
  }
  return { tokenizer, snapshotId: lake?.snapshotId ?? null, open, close: () => lake?.session.close() }
}
