import type { Document } from '../../schemas/document.ts'
import { decodeRawRecord, type RawRecord } from '../../schemas/raw-record.ts'
import type { StageDefinition } from '../kafka/stage-worker.ts'
import { rawToDocument, toDocuments } from '../operators/to-document.ts'

const encode = (d: Document) => ({ key: d.id, value: Buffer.from(JSON.stringify(d)) })

/**
 * docs.raw -> documents. Until the normalize, score and dedup workers exist, `sluice run` sends
 * these straight to docs.curated; the normalize worker will take this place in front of them.
 */
export function documentStage (): StageDefinition<RawRecord, Document> {
  // the Kafka timestamp of the raw record is its ingest time: the same on every replay
  const ingestedAt = new WeakMap<RawRecord, string>()
  const timeOf = (raw: RawRecord) => ingestedAt.get(raw) ?? new Date().toISOString()
  return {
    name: 'document',
    schema: 'document.v1',
    decode: (value, message) => {
      const raw = decodeRawRecord(value)
      ingestedAt.set(raw, new Date(Number(message.timestamp)).toISOString())
      return raw
    },
    operator: toDocuments({ ingestedAt: timeOf }),
    encode,
    dropped: (raw, reason) => encode({ ...rawToDocument(raw, timeOf(raw)), decision: 'drop', reason })
  }
}
