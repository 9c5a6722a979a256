import type { TopicRole } from '../../schemas/config.ts'
import type { StageDefinition } from '../kafka/stage-worker.ts'
import { documentStage } from './document.ts'

/** A stage worker as the CLI knows it: which topics it connects and how to build it. */
export interface StageEntry {
  from: TopicRole
  to: TopicRole
  description: string
  build: () => StageDefinition<any, any>
}

export const STAGES: Record<string, StageEntry> = {
  document: {
    from: 'raw',
    to: 'curated',
    description: 'raw records -> documents, straight to docs.curated (the stand-in until normalize, score and dedup run)',
    build: documentStage
  }
}
