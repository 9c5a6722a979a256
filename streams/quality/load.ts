import path from 'node:path'
import { z } from 'zod'
import { parseConfig } from '../../schemas/parse-config.ts'
import { bucketConfigSchema, bucketOf } from './lm/buckets.ts'
import { readCurrentModels, type ModelRole } from './models.ts'
import type { QualityScorer } from './score.ts'

export const qualityConfigSchema = z.strictObject({
  /** Folder of the models and their `current.json`; null: score without models (signals of the filters only). */
  models: z.string().nullable().default(null),
  /** Ziya2's perplexity buckets by percentile, per language and per source. */
  buckets: bucketConfigSchema.prefault({}),
  /** Documents the classifier scores below this are dropped (`quality:classifier`); null keeps its score a signal only. */
  minClassifierScore: z.number().min(0).max(1).nullable().default(null)
})
export type QualityConfigInput = z.input<typeof qualityConfigSchema>
export type QualityConfig = z.output<typeof qualityConfigSchema>

export function parseQualityConfig (input: unknown): QualityConfig {
  return parseConfig(qualityConfigSchema, input, 'quality config')
}

/** Which model files the scorer would load: role → path, from the folder's `current.json`. */
export function currentModelFiles (dir: string): Partial<Record<ModelRole, string>> {
  return Object.fromEntries(Object.entries(readCurrentModels(dir)).map(([role, file]) => [role, path.join(dir, file)]))
}

/** Loads the current models of the configured folder (any may be missing: its signals are then left out). */
export async function loadScorer (config: QualityConfig): Promise<QualityScorer> {
  const files = config.models === null ? {} : currentModelFiles(config.models)
  const { NgramModel } = await import('./lm/model.ts')
  const { QualityClassifier } = await import('./classifier/model.ts')
  const lm: QualityScorer['lm'] = {}
  for (const lang of ['zh', 'en'] as const) {
    const file = files[`lm.${lang}`]
    if (file !== undefined) lm[lang] = NgramModel.load(file)
  }
  return {
    lm,
    classifier: files.classifier === undefined ? null : await QualityClassifier.load(files.classifier),
    bucket: (percentile, doc) => bucketOf(percentile, config.buckets, doc),
    minClassifierScore: config.minClassifierScore
  }
}
