import { z } from 'zod'

/** What the normalize stage does, validated once at startup; every field has a default. */
export const normalizeConfigSchema = z.strictObject({
  /** Extract the main text from HTML payloads (boilerplate removal); off keeps all visible text. */
  extract: z.boolean().default(true),
  /**
   * `best`: Readability with the block classifier as fallback (mean F1 0.887 on the benchmarks, ~1.3 MB/s);
   * `fast`: the block classifier alone (F1 0.846, ~13 MB/s). See `npm run bench -- extraction`.
   */
  extractMode: z.enum(['best', 'fast']).default('best'),
  /** Convert Traditional to Simplified Chinese when this share of Han characters is Traditional-only. */
  traditionalThreshold: z.number().min(0).max(1).default(0.02),
  /** OpenCC source standard for the conversion. */
  traditionalVariant: z.enum(['t', 'tw', 'hk', 'twp']).default('t'),
  /** Documents with fewer characters of text after cleaning are marked drop (`normalize:empty_text`). */
  minTextChars: z.number().int().min(0).default(1)
})

export type NormalizeConfig = z.output<typeof normalizeConfigSchema>
