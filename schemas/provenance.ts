import { col } from './define.ts'

/** Where a record came from: a byte range of an input file, or a Kafka position. */
export const provenanceColumn = col.struct({
  file: col.nullable(col.string('input file as given on the command line (absolute path)')),
  offset: col.nullable(col.long('byte offset of the record; in the decompressed stream for .gz inputs')),
  length: col.nullable(col.long('byte length of the record in the same stream')),
  topic: col.nullable(col.string('Kafka topic the record was read from')),
  partition: col.nullable(col.int('Kafka partition')),
  kafka_offset: col.nullable(col.long('Kafka offset'))
}, 'provenance')

export function filePosition (file: string, offset: number, length: number) {
  return { file, offset, length, topic: null, partition: null, kafka_offset: null }
}
