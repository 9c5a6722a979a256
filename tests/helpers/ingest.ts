import path from 'node:path'
import { ingestConfigSchema, topicsConfigSchema, type IngestConfig } from '../../schemas/config.ts'
import { decodeDeadLetter, type DeadLetter } from '../../schemas/deadletter.ts'
import { decodeRawRecord, type RawRecord } from '../../schemas/raw-record.ts'
import { runIngest, type IngestSummary } from '../../ops/ingest-job.ts'
import { topicNames } from '../../streams/kafka/topics.ts'
import { expandInputs, readInput } from '../../streams/readers/index.ts'
import { readAll, testBrokers, testKafka } from './kafka.ts'

export function ingestConfig (over: Partial<IngestConfig> = {}): IngestConfig {
  return { ...ingestConfigSchema.parse({}), ...over }
}

export async function ingestInto (prefix: string, inputs: string[], over: Partial<IngestConfig> = {}): Promise<IngestSummary> {
  return await runIngest({ inputs, topics: topicsConfigSchema.parse({ prefix }), ingest: ingestConfig(over), brokers: testBrokers() })
}

/** What the readers alone make of the inputs: the expected content of docs.raw and docs.deadletter. */
export async function expectedItems (inputs: string[], over: Partial<IngestConfig> = {}) {
  const config = ingestConfig(over)
  const records: RawRecord[] = []
  const letters: DeadLetter[] = []
  for (const file of expandInputs(inputs)) {
    for await (const item of readInput(file, { config, startOffset: 0 })) {
      if (item.kind === 'record') records.push(item.record)
      else letters.push(item.letter)
    }
  }
  return { records, letters }
}

export async function topicContents (prefix: string) {
  const names = topicNames({ prefix })
  const kafka = testKafka()
  const raw = await readAll(kafka, names.raw)
  const dead = await readAll(kafka, names.deadletter)
  return {
    raw: raw.map(m => ({ key: m.key, record: decodeRawRecord(m.value) })),
    dead: dead.map(m => ({ key: m.key, letter: decodeDeadLetter(m.value) }))
  }
}

export const positionOf = (p: { provenance: { file: string | null, offset: number | null } }) => `${path.basename(p.provenance.file ?? '')}@${p.provenance.offset}`
