/** A representative document the index found similar enough to a query. */
export interface NearCandidate {
  id: string
  /** Estimated similarity in [0, 1]: MinHash's Jaccard estimate, or 1 − Hamming/64 for SimHash. */
  similarity: number
}

/**
 * What near-dedup needs from an index of representatives' signatures: the in-memory ones here and
 * a persistent store implement the same two calls. `query` returns only verified candidates, in
 * the order they were added, so the first one is the earliest representative.
 */
export interface NearDupIndex<S> {
  query: (sig: S) => NearCandidate[]
  add: (id: string, sig: S) => void
  readonly size: number
}
