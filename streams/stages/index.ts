import type { TopicRole } from '../../schemas/config.ts'
import type { FilterConfigInput } from '../filters/index.ts'
import type { StageDefinition } from '../kafka/stage-worker.ts'
import type { NormalizeConfig } from '../normalize/config.ts'
import type { QualityConfig } from '../quality/load.ts'
import { dedupStage, type DedupStageConfig } from './dedup.ts'
import { scoreStage } from './score.ts'
import { normalizeStage } from './normalize.ts'

/** A stage worker as the CLI knows it: which topics it connects and how to build it. */
export interface StageEntry {
  from: TopicRole
  to: TopicRole
  description: string
  /** `log` tells the operator's own news (a stateful stage's restore). */
  build: (config: StageConfigs, log: (line: string) => void) => StageDefinition<any, any>
}

/** The configuration of every stage, validated once at startup by whoever builds them. */
export interface StageConfigs { normalize: NormalizeConfig, filter: FilterConfigInput, quality: QualityConfig, dedup: DedupStageConfig }

/** The pipeline in order; `sluice run` runs them one after another, `sluice worker <name>` one of them. */
export const STAGES: Record<string, StageEntry> = {
  normalize: {
    from: 'raw',
    to: 'normalized',
    description: 'decode, extract the main text, clean, identify the language, Traditional -> Simplified (Ziya2 DP)',
    build: c => normalizeStage(c.normalize)
  },
  score: {
    from: 'normalized',
    to: 'scored',
    description: 'rule filters (Ziya2, Gopher, C4, FineWeb) and PII masking (Ziya2 RF), then perplexity, its bucket and the quality classifier (Ziya2 AS)',
    build: (c, log) => scoreStage(c.filter, c.quality, log)
  },
  dedup: {
    from: 'scored',
    to: 'curated',
    description: 'URL Bloom filter, exact and near-dedup (MinHash-LSH or SimHash) against all earlier kept documents (Ziya2 CD)',
    build: (c, log) => dedupStage(c.dedup, log)
  }
}
