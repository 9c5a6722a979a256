import { z } from 'zod'
import type { Document } from '../../schemas/document.ts'
import { counted, type Operator } from '../operator.ts'
import { BloomFilter } from './bloom.ts'
import { contentKey } from './exact.ts'
import { normalizeUrl } from './url.ts'

export const exactDedupConfigSchema = z.strictObject({
  capacity: z.number().int().positive().default(10_000_000).describe('documents each Bloom filter is sized for'),
  fpRate: z.number().gt(0).lt(1).default(1e-4).describe('false-positive rate of each filter at capacity: the share of unique documents wrongly dropped'),
  seed: z.number().int().nonnegative().default(0).describe('hash seed of the filters'),
  dupOfEntries: z.number().int().nonnegative().default(100_000)
    .describe('most recent URL/content keys whose first document id is remembered for dup_of (~200 bytes each); 0: dup_of stays null')
})
export type ExactDedupConfigInput = z.input<typeof exactDedupConfigSchema>
export type ExactDedupConfig = z.output<typeof exactDedupConfigSchema>

/**
 * What the operator remembers, as Bloom filters a worker snapshots (`serialize`) together with its
 * Kafka offsets, so a restore never has filters ahead of or behind the input position.
 * `representatives` holds the records that were kept, so a replay of one is not its own duplicate.
 */
export interface ExactDedupState { urls: KeySet, contents: KeySet, representatives: KeySet, firstIds: FirstIds }

/** Key → id of the first document with it, for `dup_of`. */
export interface FirstIds { get: (key: string) => string | null, remember: (key: string, id: string) => void }

/** What the operator needs of a filter: a Bloom filter, or one whose additions are journaled. */
export interface KeySet { has: (key: string) => boolean, add: (key: string) => void }

export function exactDedupState (config: ExactDedupConfig): { urls: BloomFilter, contents: BloomFilter, representatives: BloomFilter, firstIds: FirstIds } {
  const make = (seed: number) => BloomFilter.create({ capacity: config.capacity, fpRate: config.fpRate, seed })
  return { urls: make(config.seed), contents: make(config.seed + 1), representatives: make(config.seed + 2), firstIds: firstIds(config.dupOfEntries) }
}

/**
 * One input record: its id (from its URL, or its content) and where it was read. A replay carries
 * both unchanged; a re-crawl of the same URL has the same id but another position.
 */
function recordKey (doc: Document): string {
  const p = doc.provenance
  return `${doc.id}@${p.file ?? `${p.topic}/${p.partition}`}:${p.offset ?? p.kafka_offset}`
}

/** Key → first document id, forgetting the oldest entry past `max`: dup_of within bounded memory. */
function firstIds (max: number): FirstIds {
  const ids = new Map<string, string>()
  return {
    get: (key: string) => ids.get(key) ?? null,
    remember (key: string, id: string) {
      if (max === 0) return
      if (ids.size >= max) ids.delete(ids.keys().next().value as string)
      ids.set(key, id)
    }
  }
}

/**
 * URL and exact content dedup (Ziya2 CD: a Bloom filter on URLs, Bloom-filter exact dedup of the
 * normalised page text). Stateful: the first kept document with a normalised URL or content key
 * is the representative; a later one with the same URL is dropped `dedup:url` (signal
 * `dedup_url_seen`), else one with the same content key `dedup:exact` (signal `dedup_exact_seen`),
 * similarity 1, `dup_of` and `cluster_id` naming the representative while its key is among the `dupOfEntries` most recent (null
 * after that, or for a Bloom false positive). Only kept documents enter the filters; documents an
 * earlier stage dropped pass through untouched. A replayed representative (same id, same source
 * position) is forwarded again, not marked: see `recordKey`. A false positive (rate ≤ fpRate at
 * capacity) drops a unique document; one in `representatives` keeps a duplicate.
 *
 * @example
 * const op = exactDedup({ capacity: 50_000_000, fpRate: 1e-4 })
 * for await (const doc of op(documents, ctx)) write(doc)
 */
export function exactDedup (config: ExactDedupConfigInput = {}, state?: ExactDedupState): Operator<Document, Document> {
  const deduper = new ExactDeduper(config, state)
  return counted(async function * (docs, ctx) {
    for await (const doc of docs) {
      const duplicate = deduper.check(doc)
      if (duplicate !== null) { ctx.drop(duplicate, duplicate.reason!); continue }
      deduper.keep(doc)
      yield doc
    }
  })
}

/**
 * The two halves of `exactDedup`, for a caller that decides in between whether a document is kept
 * (dedup runs near-dedup after this: a near duplicate must not become an exact representative,
 * or its copies would name a dropped document as `dup_of`).
 */
export class ExactDeduper {
  private readonly state: ExactDedupState
  /** The keys of the document `check` saw last, which `keep` usually files next. */
  private last: { doc: Document, urlKey: string | null, textKey: string | null } | null = null

  constructor (config: ExactDedupConfigInput = {}, state?: ExactDedupState) {
    this.state = state ?? exactDedupState(exactDedupConfigSchema.parse(config))
  }

  /** The document marked as a URL or exact duplicate, or null when it is new (or dropped before, or a replayed representative). */
  check (doc: Document): Document | null {
    if (doc.decision === 'drop') return null
    const { urls, contents, representatives, firstIds } = this.state
    const { urlKey, textKey } = this.keys(doc)
    const seenKey = urlKey !== null && urls.has(urlKey) ? `u${urlKey}` : textKey !== null && contents.has(textKey) ? `c${textKey}` : null
    if (seenKey === null || representatives.has(recordKey(doc))) return null
    const [reason, signal] = seenKey[0] === 'u' ? ['dedup:url', 'dedup_url_seen'] : ['dedup:exact', 'dedup_exact_seen']
    const first = firstIds.get(seenKey)
    return { ...doc, decision: 'drop', reason, dup_of: first, cluster_id: first, signals: { ...doc.signals, [signal]: true, dedup_similarity: 1 } }
  }

  /** Files a document `check` passed and that stays kept: its URL and content now have a representative. */
  keep (doc: Document): void {
    if (doc.decision === 'drop') return
    const { urls, contents, representatives, firstIds } = this.state
    const { urlKey, textKey } = this.keys(doc)
    if (urlKey !== null) { urls.add(urlKey); firstIds.remember(`u${urlKey}`, doc.id) }
    if (textKey !== null) { contents.add(textKey); firstIds.remember(`c${textKey}`, doc.id) }
    representatives.add(recordKey(doc))
  }

  private keys (doc: Document): { urlKey: string | null, textKey: string | null } {
    if (this.last?.doc !== doc) {
      this.last = { doc, urlKey: doc.url === null ? null : normalizeUrl(doc.url), textKey: doc.text === null ? null : contentKey(doc.text) }
    }
    return this.last
  }
}
