import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import { DuckDBInstance, DuckDBDataChunk, structValue, timestampTZValue, type DuckDBValue } from '@duckdb/node-api'
import { tableToIPC } from 'apache-arrow'
import type { Document } from '../../../schemas/document.ts'
import { documentRow, DOCUMENTS_SCHEMA } from '../../../lake/documents-table.ts'
import { duckType, quote, writeParquet } from '../../../lake/iceberg/parquet.ts'
import type { IcebergField } from '../../../lake/iceberg/schema.ts'
import { documentsArrowTable } from './arrow.ts'

export interface Candidate {
  name: string
  /** Compression used, and why when it is not zstd. */
  codec: string
  /** Writes the documents to `target`; returns the seconds the write took (a peer process times itself). */
  write: (docs: readonly Document[], target: string) => Promise<number>
}

const since = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9

/** DuckDB's FIELD_IDS option for the documents schema (lake/iceberg/parquet.ts keeps its own private). */
export function fieldIdsOption (fields: IcebergField[] = DOCUMENTS_SCHEMA.fields): string {
  return `{${fields.map(f => typeof f.type === 'string'
    ? `"${f.name}": ${f.id}`
    : `"${f.name}": {__duckdb_field_id: ${f.id}, ${fieldIdsOption(f.type.fields).slice(1, -1)}}`).join(', ')}}`
}

const sluice: Candidate = {
  name: 'sluice writeParquet (NDJSON -> DuckDB COPY)',
  codec: 'zstd',
  write: async (docs, target) => {
    const start = process.hrtime.bigint()
    await writeParquet(DOCUMENTS_SCHEMA, docs.map(documentRow), target)
    return since(start)
  }
}

function duckValue (f: IcebergField, v: unknown): DuckDBValue {
  if (v === null || v === undefined) return null
  if (typeof f.type !== 'string') return structValue(Object.fromEntries(f.type.fields.map(c => [c.name, duckValue(c, (v as Record<string, unknown>)[c.name])])))
  if (f.type === 'timestamptz') return timestampTZValue(BigInt(Date.parse(v as string)) * 1000n)
  if (f.type === 'long') return BigInt(v as number)
  return v as DuckDBValue
}

/** The DataChunk appender (the row-by-row one is 4x slower, MEASURED.md) into a temporary table, then COPY. */
const appender: Candidate = {
  name: 'DuckDB DataChunk appender -> COPY',
  codec: 'zstd',
  write: async (docs, target) => {
    const start = process.hrtime.bigint()
    const db = await DuckDBInstance.create(':memory:')
    const connection = await db.connect()
    try {
      await connection.run(`CREATE TABLE docs (${DOCUMENTS_SCHEMA.fields.map(f => `"${f.name}" ${duckType(f.type)}`).join(', ')})`)
      const app = await connection.createAppender('docs')
      const types = DOCUMENTS_SCHEMA.fields.map((_, i) => app.columnType(i))
      const rows = docs.map(documentRow)
      for (let at = 0; at < rows.length; at += 2048) {
        const slice = rows.slice(at, at + 2048)
        const chunk = DuckDBDataChunk.create(types, slice.length)
        chunk.setColumns(DOCUMENTS_SCHEMA.fields.map(f => slice.map(r => duckValue(f, r[f.name]))))
        app.appendDataChunk(chunk)
      }
      app.closeSync()
      await connection.run(`COPY docs TO ${quote(target)} (FORMAT parquet, COMPRESSION zstd, FIELD_IDS ${fieldIdsOption()})`)
    } finally {
      connection.closeSync()
      db.closeSync()
    }
    return since(start)
  }
}

/** parquet-wasm is CommonJS in its Node build; loaded lazily so a missing wasm only drops this candidate. */
const parquetWasm: Candidate = {
  name: 'parquet-wasm (arrow-rs) from apache-arrow',
  codec: 'zstd',
  write: async (docs, target) => {
    const wasm = createRequire(import.meta.url)('parquet-wasm') as typeof import('parquet-wasm')
    const start = process.hrtime.bigint()
    const table = wasm.Table.fromIPCStream(tableToIPC(documentsArrowTable(docs), 'stream'))
    const props = new wasm.WriterPropertiesBuilder().setCompression(wasm.Compression.ZSTD).build()
    fs.writeFileSync(target, wasm.writeParquet(table, props))
    return since(start)
  }
}

const HYPARQUET_TYPES: Record<string, object> = {
  string: { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
  int: { type: 'INT32' },
  long: { type: 'INT64' },
  timestamptz: { type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' } }
}

function hyparquetSchema (fields: IcebergField[]): object[] {
  return fields.flatMap(f => {
    const repetition_type = f.required ? 'REQUIRED' : 'OPTIONAL'
    return typeof f.type === 'string'
      ? [{ name: f.name, repetition_type, field_id: f.id, ...HYPARQUET_TYPES[f.type] }]
      : [{ name: f.name, repetition_type, field_id: f.id, num_children: f.type.fields.length }, ...hyparquetSchema(f.type.fields)]
  })
}

function hyparquetValue (f: IcebergField, v: unknown): unknown {
  if (v === null || v === undefined) return null
  if (typeof f.type !== 'string') return Object.fromEntries(f.type.fields.map(c => [c.name, hyparquetValue(c, (v as Record<string, unknown>)[c.name])]))
  if (f.type === 'timestamptz') return BigInt(Date.parse(v as string)) * 1000n
  if (f.type === 'long') return BigInt(v as number)
  return v
}

/** Node 20's zlib has no zstd and hyparquet-writer brings only snappy. */
const hyparquet: Candidate = {
  name: 'hyparquet-writer',
  codec: 'snappy (no zstd compressor in Node 20)',
  write: async (docs, target) => {
    const { parquetWriteFile } = await import('hyparquet-writer')
    const start = process.hrtime.bigint()
    const rows = docs.map(documentRow)
    parquetWriteFile({
      filename: target,
      codec: 'SNAPPY',
      columnData: DOCUMENTS_SCHEMA.fields.map(f => ({ name: f.name, data: rows.map(r => hyparquetValue(f, r[f.name])) })),
      schema: [{ name: 'root', num_children: DOCUMENTS_SCHEMA.fields.length }, ...hyparquetSchema(DOCUMENTS_SCHEMA.fields)] as never
    })
    return since(start)
  }
}

const PARQUETJS_TYPES: Record<string, string> = { string: 'UTF8', int: 'INT32', long: 'INT64', timestamptz: 'TIMESTAMP_MILLIS' }

function parquetjsFields (fields: IcebergField[]): Record<string, unknown> {
  return Object.fromEntries(fields.map(f => [f.name, typeof f.type === 'string'
    ? { type: PARQUETJS_TYPES[f.type], optional: !f.required, compression: 'SNAPPY' }
    : { optional: !f.required, fields: parquetjsFields(f.type.fields) }]))
}

function parquetjsValue (f: IcebergField, v: unknown): unknown {
  if (v === null || v === undefined) return undefined
  if (typeof f.type !== 'string') return Object.fromEntries(f.type.fields.map(c => [c.name, parquetjsValue(c, (v as Record<string, unknown>)[c.name])]))
  if (f.type === 'timestamptz') return new Date(v as string)
  return v
}

/** No zstd, no field ids, no UTC timestamps in parquetjs-lite: it writes TIMESTAMP_MILLIS. */
const parquetjs: Candidate = {
  name: 'parquetjs-lite',
  codec: 'snappy (no zstd in parquetjs-lite)',
  write: async (docs, target) => {
    const parquet = createRequire(import.meta.url)('parquetjs-lite') as ParquetjsLite
    const start = process.hrtime.bigint()
    const writer = await parquet.ParquetWriter.openFile(new parquet.ParquetSchema(parquetjsFields(DOCUMENTS_SCHEMA.fields)), target)
    for (const r of docs.map(documentRow)) {
      await writer.appendRow(Object.fromEntries(DOCUMENTS_SCHEMA.fields.map(f => [f.name, parquetjsValue(f, r[f.name])])))
    }
    await writer.close()
    return since(start)
  }
}

interface ParquetjsLite {
  ParquetSchema: new (fields: Record<string, unknown>) => object
  ParquetWriter: { openFile: (schema: object, path: string) => Promise<{ appendRow: (row: Record<string, unknown>) => Promise<void>, close: () => Promise<void> }> }
}

/**
 * The peer: pyarrow (Arrow C++) writes the same Arrow table, handed over as an IPC file; only its
 * `pq.write_table` is timed, so it gets no charge for building columns that Sluice pays for.
 */
const pyarrow: Candidate = {
  name: 'pyarrow (peer, write only)',
  codec: 'zstd',
  write: async (docs, target) => {
    const ipc = `${target}.arrow`
    fs.writeFileSync(ipc, tableToIPC(documentsArrowTable(docs), 'file'))
    try {
      const script = new URL('pyarrow_write.py', import.meta.url).pathname
      const out = execFileSync('python3', [script, ipc, target], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
      return (JSON.parse(out) as { seconds: number }).seconds
    } finally {
      fs.rmSync(ipc, { force: true })
    }
  }
}

export const CANDIDATES: Candidate[] = [sluice, appender, parquetWasm, hyparquet, parquetjs, pyarrow]
