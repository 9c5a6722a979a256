import { z } from 'zod'
import { parseConfig } from '../../schemas/parse-config.ts'

const size = z.int().min(1).max(32)

export const nearDedupConfigSchema = z.strictObject({
  /** MinHash-LSH (estimated Jaccard) or Ziya2's 64-bit SimHash (Hamming distance). */
  method: z.enum(['minhash', 'simhash']).default('minhash'),
  /** Tokens per shingle: words for English and other languages, characters for Chinese. */
  shingles: z.strictObject({ words: size.default(5), chars: size.default(5) }).prefault({}),
  minhash: z.strictObject({
    /** 14 × 8 = 112 permutations: the LSH S-curve's midpoint (1/b)^(1/r) ≈ 0.72 sits below the threshold. */
    bands: z.int().min(1).max(512).default(14),
    rows: z.int().min(1).max(512).default(8),
    /** A candidate is a duplicate when its estimated Jaccard reaches this. */
    threshold: z.number().gt(0).max(1).default(0.8),
    seed: z.int().min(0).max(0xffffffff).default(1)
  }).prefault({}).refine(m => m.bands * m.rows <= 10_000, { message: 'bands × rows must be at most 10000', path: ['rows'] }),
  simhash: z.strictObject({
    /** Blocks of the permuted tables: 4 (16 bits each) or 8 (8 bits each). */
    blocks: z.union([z.literal(4), z.literal(8)]).default(4),
    /** Largest Hamming distance of a near duplicate; must be below `blocks`. */
    maxHamming: z.int().min(0).max(7).default(3)
  }).prefault({}).refine(s => s.maxHamming < s.blocks, { message: 'maxHamming must be below blocks', path: ['maxHamming'] })
})
export type NearDedupConfigInput = z.input<typeof nearDedupConfigSchema>
export type NearDedupConfig = z.output<typeof nearDedupConfigSchema>

/** Parses once, before any document; every problem is named by its dotted field path. */
export function parseNearDedupConfig (input: unknown): NearDedupConfig {
  return parseConfig(nearDedupConfigSchema, input, 'near-dedup config')
}
