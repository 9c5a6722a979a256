import type { Document } from '../../schemas/document.ts'
import { counted, type Operator } from '../operator.ts'
import { parseNearDedupConfig, type NearDedupConfig } from './config.ts'
import { MinHasher, MinHashLshIndex } from './minhash.ts'
import type { NearDupIndex } from './near-index.ts'
import { dedupText, shingleHashes, shingleSize } from './shingles.ts'
import { simhash, SimHashIndex, type SimHash } from './simhash.ts'

export interface NearVerdict {
  /** The earliest representative the document is similar to. */
  dupOf: string
  similarity: number
}

/** Reason a near duplicate is dropped with. */
export const NEAR_DUPLICATE = 'dedup:near'

/** One method's signatures: computing them, the index that holds them, and their form as 32-bit words (the journal's). */
interface Method<S> {
  sign: (hashes: Uint32Array) => S
  index: NearDupIndex<S>
  toWords: (sig: S) => Uint32Array
  fromWords: (words: Uint32Array) => S
}

function methodFor (config: NearDedupConfig): Method<any> {
  if (config.method === 'minhash') {
    const hasher = new MinHasher(config.minhash)
    const same = (sig: Uint32Array) => sig
    return { sign: h => hasher.signature(h), index: new MinHashLshIndex(config.minhash), toWords: same, fromWords: same } satisfies Method<Uint32Array>
  }
  return {
    sign: simhash,
    index: new SimHashIndex(config.simhash),
    toWords: sig => Uint32Array.of(sig.hi, sig.lo),
    fromWords: words => ({ hi: words[0]!, lo: words[1]! })
  } satisfies Method<SimHash>
}

/**
 * Near-duplicate detection over a stream, in input order: the first document of each cluster is
 * kept, later ones are duplicates of it. Stateful: holds every representative's signature.
 * Query, then add if nothing matched: only representatives enter the index, so clusters are stars
 * around their earliest document and a later document joins the earliest cluster it matches.
 * A candidate with the document's own id is the same document seen again (a replay after a
 * restart): it is neither a duplicate of itself nor added twice.
 */
export class NearDeduper {
  readonly config: NearDedupConfig
  private readonly method: Method<any>

  /** `onAdd` hears of each representative added, its signature as words (for a journal to replay with `restore`). */
  constructor (input: unknown = {}, private readonly onAdd?: (id: string, sig: Uint32Array) => void) {
    this.config = parseNearDedupConfig(input)
    this.method = methodFor(this.config)
  }

  get representatives (): number { return this.method.index.size }

  /** The verdict for the next document; a text without a single token is never a near duplicate. */
  next (id: string, text: string, lang: string | null): NearVerdict | null {
    const norm = dedupText(text)
    const hashes = shingleHashes(norm, shingleSize(norm, lang, this.config.shingles))
    if (hashes.length === 0) return null
    const sig = this.method.sign(hashes)
    const found = this.method.index.query(sig)
    const other = found.find(c => c.id !== id)
    if (other !== undefined) return { dupOf: other.id, similarity: other.similarity }
    if (found.length === 0) {
      this.method.index.add(id, sig)
      this.onAdd?.(id, this.method.toWords(sig))
    }
    return null
  }

  /** Puts back a representative `onAdd` reported. */
  restore (id: string, words: Uint32Array): void {
    this.method.index.add(id, this.method.fromWords(words))
  }
}

/**
 * The near-dedup operator. Stateful (see `NearDeduper`). A duplicate goes to `ctx.drop` marked
 * `decision: 'drop'`, `reason: 'dedup:near'`, with `dup_of` and `cluster_id` set to the kept
 * document's id and the `dedup_similarity` signal. Documents dropped earlier or without text pass
 * through untouched and are not indexed.
 *
 * @example
 * const op = nearDedup({ method: 'minhash', minhash: { bands: 14, rows: 8 } })
 * for await (const doc of op(documents, ctx)) write(doc)
 */
export function nearDedup (config: unknown = {}, deduper = new NearDeduper(config)): Operator<Document, Document> {
  return counted(async function * (docs, ctx) {
    for await (const doc of docs) {
      const duplicate = markNearDuplicate(deduper, doc)
      if (duplicate === null) yield doc
      else ctx.drop(duplicate, NEAR_DUPLICATE)
    }
  })
}

/** The document marked as a near duplicate, or null when it stays (it is then a representative, if it has text). */
export function markNearDuplicate (deduper: NearDeduper, doc: Document): Document | null {
  const verdict = doc.decision === 'drop' || doc.text === null ? null : deduper.next(doc.id, doc.text, doc.lang)
  if (verdict === null) return null
  return {
    ...doc,
    dup_of: verdict.dupOf,
    cluster_id: verdict.dupOf,
    signals: { ...doc.signals, dedup_similarity: Math.round(verdict.similarity * 1000) / 1000 },
    decision: 'drop',
    reason: NEAR_DUPLICATE
  }
}
