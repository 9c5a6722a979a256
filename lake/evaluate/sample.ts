import type { DuckDBConnection } from '@duckdb/node-api'

/** A sampled kept document: what the metrics and the review sheet read. */
export interface SampledDoc {
  id: string
  lang: string | null
  text: string
  /** The document's signals (JSON text in the table). */
  signals: Record<string, unknown>
}

/**
 * A document's place in the seeded order: the first 8 bytes of md5("<seed>:<id>"), read as a
 * little-endian integer (DuckDB's md5_number_upper), as a share of 2^64. md5 is fixed by its RFC,
 * so the same seed and snapshot give the same sample in any DuckDB version (its `hash()` may
 * change between versions) and anyone can recompute it outside Sluice. Taking
 * every document below a share is a Bernoulli sample; the n lowest are a uniform sample of n, and
 * a review sheet of n is the start of the same order.
 */
const KEY = "md5_number_upper(concat($seed::VARCHAR, ':', id))::DOUBLE / 18446744073709551616.0"
const KEPT = "FROM documents WHERE decision = 'keep' AND text IS NOT NULL"
const COLUMNS = 'id, lang, text, signals'

const toDoc = (r: Record<string, unknown>): SampledDoc => ({
  id: String(r.id), lang: r.lang === null ? null : String(r.lang), text: String(r.text), signals: JSON.parse(String(r.signals)) as Record<string, unknown>
})

export async function keptCount (connection: DuckDBConnection): Promise<number> {
  const r = await connection.runAndReadAll(`SELECT count(*) AS n ${KEPT}`)
  return Number(r.getRowObjectsJS()[0]!.n)
}

/** The kept documents whose key is below `share`, streamed one DuckDB chunk at a time. */
export async function * sampledDocuments (connection: DuckDBConnection, share: number, seed: number): AsyncGenerator<SampledDoc> {
  const result = await connection.stream(`SELECT ${COLUMNS} ${KEPT} AND ${KEY} < $share`, { seed: String(seed), share })
  for await (const rows of result.yieldRowObjectJs()) {
    for (const r of rows) yield toDoc(r)
  }
}

/** The `n` kept documents first in the seeded order (ties, which need an md5 collision, by id). */
export async function reviewSample (connection: DuckDBConnection, n: number, seed: number): Promise<SampledDoc[]> {
  const r = await connection.runAndReadAll(`SELECT ${COLUMNS} ${KEPT} ORDER BY ${KEY}, id LIMIT $n`, { seed: String(seed), n })
  return r.getRowObjectsJS().map(toDoc)
}
