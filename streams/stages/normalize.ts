import type { Document } from '../../schemas/document.ts'
import { encodeRawRecord, type RawRecord } from '../../schemas/raw-record.ts'
import type { StageDefinition } from '../kafka/stage-worker.ts'
import { normalizeDocuments } from '../normalize/index.ts'
import { normalizeConfigSchema, type NormalizeConfig } from '../normalize/config.ts'
import { encodeDocument, rawRecordDecoder } from './codec.ts'

/** docs.raw -> docs.normalized (Ziya2 DP); a record the normalizer fails on is dead-lettered with the error. */
export function normalizeStage (config: NormalizeConfig = normalizeConfigSchema.parse({})): StageDefinition<RawRecord, Document> {
  const raw = rawRecordDecoder()
  const errors = new WeakMap<RawRecord, Error>()
  return {
    name: 'normalize',
    schema: 'document.v1',
    decode: raw.decode,
    operator: normalizeDocuments(config, { ingestedAt: raw.ingestedAt, onError: (record, err) => errors.set(record, err) }),
    encode: encodeDocument,
    dropped: record => ({ deadLetter: { code: 'stage_failed', message: errors.get(record)?.message ?? 'normalize failed', raw: encodeRawRecord(record) } })
  }
}
