import { DuckDBInstance } from '@duckdb/node-api'
import { payloadBytes } from '../../schemas/raw-record.ts'
import { deadLetterAt } from './dead-letter.ts'
import { mapObject, type FieldMapping } from './field-mapping.ts'
import type { ReadItem, ReadOptions } from './types.ts'

/**
 * Rows of a Parquet file, read in DuckDB's vector-sized chunks so memory stays bounded.
 * Provenance `offset` is the row index here (Parquet has no per-row byte offset), and
 * `baseOffset` is the first row to read.
 */
export async function * readParquet (mapping: FieldMapping, opts: ReadOptions): AsyncIterable<ReadItem> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' })
  const connection = await instance.connect()
  try {
    let result
    try {
      result = await connection.stream('SELECT * FROM read_parquet($file) OFFSET $skip', { file: opts.file, skip: opts.baseOffset })
    } catch (err) {
      yield deadLetterAt(opts.file, opts.baseOffset, 0, 'bad_parquet', (err as Error).message, null)
      return
    }
    let row = opts.baseOffset
    for await (const rows of result.yieldRowObjectJson()) {
      for (const obj of rows) {
        const mapped = mapObject(obj as Record<string, unknown>, mapping, {
          file: opts.file, offset: row, length: 1, source: opts.source, crawlId: opts.crawlId, recordType: 'parquet'
        })
        if (mapped.ok && payloadBytes(mapped.record) > opts.maxDocBytes) {
          yield deadLetterAt(opts.file, row, 1, 'oversize', `row ${row} is over --max-doc-bytes ${opts.maxDocBytes}`, null)
        } else {
          yield mapped.ok
            ? { kind: 'record', record: mapped.record, end: row + 1 }
            : deadLetterAt(opts.file, row, 1, mapped.code, mapped.message, Buffer.from(JSON.stringify(obj)))
        }
        row++
      }
    }
  } finally {
    connection.closeSync()
    instance.closeSync()
  }
}
