import { z } from 'zod'
import { parseConfig } from '../../../schemas/parse-config.ts'

/** Ziya2's buckets: the best 30% by perplexity high, the next 30% medium, the worst 40% low (dropped). */
export type Bucket = 'high' | 'medium' | 'low'

export const thresholdsSchema = z.strictObject({
  /** Percentiles below this are high. */
  high: z.number().min(0).max(1),
  /** Percentiles below this (and not high) are medium; the rest are low. */
  medium: z.number().min(0).max(1)
}).refine(t => t.high <= t.medium, { message: 'high must not be above medium', path: ['medium'] })
export type Thresholds = z.output<typeof thresholdsSchema>

export const DEFAULT_THRESHOLDS: Thresholds = Object.freeze({ high: 0.3, medium: 0.6 })

/**
 * Thresholds per language and per source: a source's override wins over its language's, which
 * wins over the default.
 *
 * @example
 * parseBucketConfig({ lang: { en: { high: 0.4, medium: 0.7 } }, source: { wudao: { high: 0.5, medium: 0.9 } } })
 */
export const bucketConfigSchema = z.strictObject({
  default: thresholdsSchema.default(DEFAULT_THRESHOLDS),
  lang: z.record(z.string(), thresholdsSchema).default({}),
  source: z.record(z.string(), thresholdsSchema).default({})
})
export type BucketConfigInput = z.input<typeof bucketConfigSchema>
export type BucketConfig = z.output<typeof bucketConfigSchema>

/** Parses once, before any document; a `config` error names every bad field (e.g. `lang.zh.medium`). */
export function parseBucketConfig (input: unknown): BucketConfig {
  return parseConfig(bucketConfigSchema, input, 'quality bucket config')
}

/** What a bucket depends on besides the percentile. */
export interface BucketedDocument { lang: string | null, source: string | null }

/**
 * The bucket of a perplexity percentile (share of the calibration documents with a lower
 * perplexity), under the given thresholds, or under a config's thresholds for the document's
 * language and source. A NaN percentile (no calibration) is low.
 *
 * @example
 * bucketOf(0.45)                                   // 'medium'
 * bucketOf(0.45, config, { lang: 'en', source: 'cc' })
 */
export function bucketOf (percentile: number, thresholds?: Thresholds): Bucket
export function bucketOf (percentile: number, config: BucketConfig, doc: BucketedDocument): Bucket
export function bucketOf (percentile: number, given: Thresholds | BucketConfig = DEFAULT_THRESHOLDS, doc?: BucketedDocument): Bucket {
  const t = 'default' in given ? thresholdsFor(given, doc?.lang ?? null, doc?.source ?? null) : given
  if (percentile < t.high) return 'high'
  if (percentile < t.medium) return 'medium'
  return 'low'
}

/** The thresholds that apply to a document of this language and source. */
export function thresholdsFor (config: BucketConfig, lang: string | null, source: string | null): Thresholds {
  return (source === null ? undefined : config.source[source]) ?? (lang === null ? undefined : config.lang[lang]) ?? config.default
}

/**
 * The score stage's bucket function over a parsed config.
 *
 * @example
 * const bucket = bucketer(parseBucketConfig(json))
 * bucket(0.45, { lang: 'zh', source: 'cc' }) // 'medium' under the default thresholds
 */
export function bucketer (config: BucketConfig): (percentile: number, doc: BucketedDocument) => Bucket {
  return (percentile, doc) => bucketOf(percentile, config, doc)
}
