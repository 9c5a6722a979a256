import { z } from 'zod'
import { acquireLock } from '../../lake/own-files.ts'
import { parseConfig } from '../../schemas/parse-config.ts'
import { exactDedupConfigSchema, exactDedupState, type ExactDedupState, type KeySet } from './exact-dedup.ts'
import { StateJournal, type JournalReplay, type Positions, type StateChange } from './journal.ts'
import { nearDedupConfigSchema } from './config.ts'
import { NearDeduper } from './near.ts'

export const dedupConfigSchema = z.strictObject({
  /** URL and exact content dedup (Bloom filters). */
  exact: exactDedupConfigSchema.prefault({}),
  /** Near-dedup (MinHash-LSH or SimHash). */
  near: nearDedupConfigSchema.prefault({})
})
export type DedupConfigInput = z.input<typeof dedupConfigSchema>
export type DedupConfig = z.output<typeof dedupConfigSchema>

/** Parses once, before any document; every problem is named by its dotted field path. */
export function parseDedupConfig (input: unknown): DedupConfig {
  return parseConfig(dedupConfigSchema, input, 'dedup config')
}

/**
 * Everything dedup remembers: the URL, content and record Bloom filters and the near-dup index of
 * representatives. In memory by default (`sluice apply dedup`); `open` backs it with a journal in a
 * folder, so a worker's state survives restarts and always matches its committed input positions.
 */
export class DedupState {
  readonly exact: ExactDedupState
  readonly near: NearDeduper
  private readonly filters: ReturnType<typeof exactDedupState>
  private pending: StateChange[] = []
  private journal: StateJournal | null = null
  private unlock: (() => void) | null = null

  constructor (readonly config: DedupConfig) {
    this.filters = exactDedupState(config.exact)
    const journaled = (kind: 'url' | 'content' | 'record', filter: KeySet): KeySet => ({
      has: key => filter.has(key),
      add: key => {
        filter.add(key)
        if (this.journal !== null) this.pending.push({ kind, key })
      }
    })
    const first = this.filters.firstIds
    this.exact = {
      urls: journaled('url', this.filters.urls),
      contents: journaled('content', this.filters.contents),
      representatives: journaled('record', this.filters.representatives),
      firstIds: {
        get: key => first.get(key),
        remember: (key, id) => {
          first.remember(key, id)
          if (this.journal !== null) this.pending.push({ kind: 'first', key, id })
        }
      }
    }
    this.near = new NearDeduper(config.near, (id, sig) => { if (this.journal !== null) this.pending.push({ kind: 'near', id, sig }) })
  }

  /**
   * Loads the state committed up to `committed` from the journal in `dir` (one process at a time:
   * a lock file holds it) and journals every change from here on.
   */
  open (dir: string, committed: Positions): JournalReplay {
    if (this.journal !== null) throw new Error('dedup state already open')
    this.unlock = acquireLock(`${dir}/.lock`, 'dedup worker')
    try {
      const { journal, replay } = StateJournal.open(dir, committed, change => this.apply(change))
      this.journal = journal
      return replay
    } catch (err) {
      this.close()
      throw err
    }
  }

  private apply (change: StateChange): void {
    if (change.kind === 'near') this.near.restore(change.id, change.sig)
    else if (change.kind === 'first') this.filters.firstIds.remember(change.key, change.id)
    else ({ url: this.filters.urls, content: this.filters.contents, record: this.filters.representatives })[change.kind].add(change.key)
  }

  /** Makes the changes since the last call durable, tagged with the input positions they lead to. */
  persist (positions: Positions): void {
    if (this.journal === null) throw new Error('dedup state is not open')
    this.journal.append(positions, this.pending)
    this.pending = []
  }

  /** Figures for logs: filter fill, representatives, journal size. */
  describe (): { urls: number, contents: number, representatives: number, bloomBytes: number, journalBytes: number } {
    const { urls, contents, representatives } = this.filters
    return {
      urls: urls.inserted,
      contents: contents.inserted,
      representatives: this.near.representatives,
      bloomBytes: urls.sizeBytes + contents.sizeBytes + representatives.sizeBytes,
      journalBytes: this.journal?.bytes ?? 0
    }
  }

  close (): void {
    this.journal?.close()
    this.journal = null
    this.unlock?.()
    this.unlock = null
  }
}
