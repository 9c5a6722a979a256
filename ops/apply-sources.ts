import fs from 'node:fs'
import readline from 'node:readline'
import type { IngestConfig } from '../schemas/config.ts'
import { DEAD_LETTER_RAW_BYTES, type DeadLetter } from '../schemas/deadletter.ts'
import { documentSchema, type Document } from '../schemas/document.ts'
import type { RawRecord } from '../schemas/raw-record.ts'
import { readInput, type InputFormat } from '../streams/readers/index.ts'

type DeadLetterSink = (letter: DeadLetter) => Promise<void>

/** Crawl files through the readers, as ingest reads them; bad input goes to `deadLetter`. */
export async function * readRecords (files: string[], opts: { config: IngestConfig, format?: InputFormat }, deadLetter: DeadLetterSink, read: { bytes: number }): AsyncIterable<RawRecord> {
  for (const file of files) {
    let last = 0
    for await (const item of readInput(file, { config: opts.config, startOffset: 0, format: opts.format })) {
      read.bytes += item.end - last
      last = item.end
      if (item.kind === 'record') yield item.record
      else await deadLetter(item.letter)
    }
  }
}

/** Document JSONL (schema v1, as `apply` writes it); a line that is not a document is dead-lettered with its position. */
export async function * readDocuments (files: string[], deadLetter: DeadLetterSink, read: { bytes: number }): AsyncIterable<Document> {
  for (const file of files) {
    let offset = 0
    for await (const line of readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity })) {
      const length = Buffer.byteLength(line) + 1
      const at = offset
      offset += length
      read.bytes += length
      if (line.trim() === '') continue
      const reject = async (code: 'bad_json' | 'bad_schema', message: string) => await deadLetter({
        schema_version: 1, stage: 'apply', code, message, at: new Date().toISOString(),
        provenance: { file, offset: at, length, topic: null, partition: null, kafka_offset: null },
        raw: new Uint8Array(Buffer.from(line).subarray(0, DEAD_LETTER_RAW_BYTES)), raw_truncated: length - 1 > DEAD_LETTER_RAW_BYTES
      })
      let parsed: unknown
      try {
        parsed = JSON.parse(line)
      } catch (err) {
        await reject('bad_json', `line at byte ${at}: ${(err as Error).message}`)
        continue
      }
      const r = documentSchema.check(parsed)
      if (r.ok) yield r.value
      else await reject('bad_schema', `line at byte ${at}: ${r.message}`)
    }
  }
}
