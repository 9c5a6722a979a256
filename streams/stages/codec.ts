import type { KafkaMessage } from 'kafkajs'
import { documentSchema, type Document } from '../../schemas/document.ts'
import { decodeRawRecord, type RawRecord } from '../../schemas/raw-record.ts'

export const encodeDocument = (d: Document) => ({ key: d.id, value: Buffer.from(JSON.stringify(d)) })

export function decodeDocument (value: Buffer): Document {
  return documentSchema.parse(JSON.parse(value.toString('utf8')))
}

/**
 * Decodes raw records and remembers each one's Kafka timestamp as its ingest time: the producer
 * stamped it when Sluice read the record, and it is the same on every replay after a crash.
 */
export function rawRecordDecoder () {
  const times = new WeakMap<RawRecord, string>()
  return {
    decode: (value: Buffer, message: KafkaMessage): RawRecord => {
      const raw = decodeRawRecord(value)
      times.set(raw, new Date(Number(message.timestamp)).toISOString())
      return raw
    },
    ingestedAt: (raw: RawRecord) => times.get(raw) ?? new Date().toISOString()
  }
}
