import type { Document } from '../../schemas/document.ts'
import type { RawRecord } from '../../schemas/raw-record.ts'
import { counted, type Operator } from '../operator.ts'

/** The charset a Content-Type header names, if the platform's TextDecoder knows it. */
function decoderFor (contentType: string | null): TextDecoder {
  const charset = /charset\s*=\s*["']?([\w.:-]+)/i.exec(contentType ?? '')?.[1]
  try {
    return new TextDecoder(charset ?? 'utf-8')
  } catch {
    return new TextDecoder('utf-8')
  }
}

/**
 * A raw crawl record as a v1 document: text inputs keep their text; markup is kept in `html`
 * (decoded with the charset its headers name) for the normalizer to extract text from.
 */
export function rawToDocument (raw: RawRecord, ingestedAt: string): Document {
  return {
    schema_version: 1,
    id: raw.id,
    url: raw.url,
    source: raw.source,
    crawl_id: raw.crawl_id,
    fetched_at: raw.fetched_at,
    ingested_at: ingestedAt,
    lang: null,
    text: raw.text,
    html: raw.body === null ? null : decoderFor(raw.content_type).decode(raw.body),
    content_type: raw.content_type,
    signals: {},
    decision: 'keep',
    reason: null,
    dup_of: null,
    cluster_id: null,
    meta: raw.http_status === null && raw.meta === null
      ? null
      : { ...(raw.meta ?? {}), ...(raw.http_status === null ? {} : { http_status: raw.http_status }) },
    provenance: raw.provenance
  }
}

/**
 * The `ingest` operator: parses raw records into documents. Stateless; drops nothing.
 * `ingestedAt` gives a record's ingest time (in a stage worker: its Kafka timestamp, so a replay
 * after a crash produces the same document); by default, now.
 */
export function toDocuments (opts: { ingestedAt?: (raw: RawRecord) => string } = {}): Operator<RawRecord, Document> {
  const ingestedAt = opts.ingestedAt ?? (() => new Date().toISOString())
  return counted(async function * (records) {
    for await (const raw of records) yield rawToDocument(raw, ingestedAt(raw))
  })
}
