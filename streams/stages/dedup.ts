import type { Document } from '../../schemas/document.ts'
import { DedupState, dedupDocuments, type DedupConfig } from '../dedup/index.ts'
import type { StageDefinition } from '../kafka/stage-worker.ts'
import { decodeDocument, encodeDocument } from './codec.ts'

/** The dedup stage's settings: what to detect, and the folder its state lives in. */
export interface DedupStageConfig { config: DedupConfig, stateDir: string }

const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`

/**
 * docs.scored -> docs.curated (Ziya2 CD): URL, exact and near-dedup against everything the stage
 * kept before. A duplicate goes on marked drop with `dup_of`, `cluster_id` and its similarity.
 * The state (Bloom filters, near-dup index) lives in `stateDir` as a journal that always matches
 * the committed input positions, so the stage runs as one ordered worker (`runOrderedStage`).
 */
export function dedupStage ({ config, stateDir }: DedupStageConfig, log: (line: string) => void = () => {}): StageDefinition<Document, Document> {
  const state = new DedupState(config)
  return {
    name: 'dedup',
    schema: 'document.v1',
    decode: decodeDocument,
    operator: dedupDocuments(state),
    encode: encodeDocument,
    dropped: encodeDocument,
    state: {
      restore: committed => {
        const started = Date.now()
        const replay = state.open(stateDir, committed)
        const d = state.describe()
        log(`dedup state ${stateDir}: ${replay.blocks} transactions replayed in ${((Date.now() - started) / 1000).toFixed(1)} s` +
          (replay.truncatedBytes > 0 ? ` (${replay.truncatedBytes} bytes past the committed positions cut off)` : '') +
          `; ${d.urls} URLs, ${d.contents} contents, ${d.representatives} near-dup representatives; Bloom filters ${mib(d.bloomBytes)}, journal ${mib(d.journalBytes)}`)
      },
      persist: positions => { state.persist(positions) },
      close: () => { state.close() }
    }
  }
}
