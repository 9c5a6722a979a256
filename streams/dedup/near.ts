import type { Document } from '../../schemas/document.ts'
import { counted, type Operator } from '../operator.ts'
import { parseNearDedupConfig, type NearDedupConfig } from './config.ts'
import { MinHasher, MinHashLshIndex } from './minhash.ts'
import type { NearDupIndex } from './near-index.ts'
import { dedupText, shingleHashes, shingleSize } from './shingles.ts'
import { simhash, SimHashIndex } from './simhash.ts'

export interface NearVerdict {
  /** The earliest representative the document is similar to. */
  dupOf: string
  similarity: number
}

/** Reason a near duplicate is dropped with. */
export const NEAR_DUPLICATE = 'dedup:near'

type Check = (id: string, hashes: Uint32Array) => NearVerdict | null

/**
 * Query, then add if nothing matched. Only representatives enter the index, so clusters are stars
 * around their earliest document and a later document joins the earliest cluster it matches.
 * A candidate with the document's own id is the same document seen again (a replay after a
 * restart): it is neither a duplicate of itself nor added twice.
 */
function checkWith<S> (sign: (hashes: Uint32Array) => S, index: NearDupIndex<S>): Check {
  return (id, hashes) => {
    const sig = sign(hashes)
    const found = index.query(sig)
    const other = found.find(c => c.id !== id)
    if (other !== undefined) return { dupOf: other.id, similarity: other.similarity }
    if (found.length === 0) index.add(id, sig)
    return null
  }
}

/**
 * Near-duplicate detection over a stream, in input order: the first document of each cluster is
 * kept, later ones are duplicates of it. Stateful: holds every representative's signature.
 */
export class NearDeduper {
  readonly config: NearDedupConfig
  private readonly check: Check

  constructor (input: unknown = {}) {
    this.config = parseNearDedupConfig(input)
    const { method, minhash, simhash: sim } = this.config
    if (method === 'minhash') {
      const hasher = new MinHasher(minhash)
      this.check = checkWith(h => hasher.signature(h), new MinHashLshIndex(minhash))
    } else {
      this.check = checkWith(simhash, new SimHashIndex(sim))
    }
  }

  /** The verdict for the next document; a text without a single token is never a near duplicate. */
  next (id: string, text: string, lang: string | null): NearVerdict | null {
    const norm = dedupText(text)
    const hashes = shingleHashes(norm, shingleSize(norm, lang, this.config.shingles))
    return hashes.length === 0 ? null : this.check(id, hashes)
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
export function nearDedup (config: unknown = {}): Operator<Document, Document> {
  const deduper = new NearDeduper(config)
  return counted(async function * (docs, ctx) {
    for await (const doc of docs) {
      const verdict = doc.decision === 'drop' || doc.text === null ? null : deduper.next(doc.id, doc.text, doc.lang)
      if (verdict === null) { yield doc; continue }
      const similarity = Math.round(verdict.similarity * 1000) / 1000
      ctx.drop({
        ...doc,
        dup_of: verdict.dupOf,
        cluster_id: verdict.dupOf,
        signals: { ...doc.signals, dedup_similarity: similarity },
        decision: 'drop',
        reason: NEAR_DUPLICATE
      }, NEAR_DUPLICATE)
    }
  })
}
