import { Field, FixedSizeList, Int32, Int64, makeData, RecordBatch, Schema, Struct, Table, tableToIPC, Uint8, Utf8, vectorFromArray, type DataType } from 'apache-arrow'
import type { PackedSequence } from '../pack/types.ts'
import type { Batch } from '../stream.ts'

/** The row schema of a batch (trainer/PROTOCOL.md): one row per sequence, the per-token columns as fixed-size lists. */
export function batchSchema (seqLen: number): Schema {
  const list = (type: DataType) => new FixedSizeList(seqLen, new Field('item', type, false))
  return new Schema([
    new Field('step', new Int64(), false),
    new Field('stage', new Utf8(), false),
    new Field('source', new Utf8(), false),
    new Field('tokens', list(new Int32()), false),
    new Field('segments', list(new Int32()), false),
    new Field('positions', list(new Int32()), false),
    new Field('loss_mask', list(new Uint8()), false)
  ])
}

/** The source that gave most of a row's tokens: the row's label (spans say the rest, in lineage). */
export function rowSource (seq: PackedSequence): string {
  const tokens = new Map<string, number>()
  for (const s of seq.spans) tokens.set(s.source, (tokens.get(s.source) ?? 0) + s.end - s.start)
  let best = ''
  let most = -1
  for (const [source, n] of tokens) if (n > most) { best = source; most = n }
  return best
}

function concat<T extends Int32Array | Uint8Array> (parts: T[], make: (n: number) => T): T {
  const out = make(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

/** A batch as one Arrow IPC stream (schema message + one record batch). */
export function batchToIpc (batch: Batch, seqLen: number): Uint8Array {
  const schema = batchSchema(seqLen)
  const rows = batch.sequences.length
  const fixed = (i: number, values: Int32Array | Uint8Array) => {
    const type = schema.fields[i]!.type as FixedSizeList
    return makeData({ type, length: rows, nullCount: 0, child: makeData({ type: type.children[0]!.type, length: values.length, nullCount: 0, data: values }) })
  }
  const seqs = batch.sequences
  const children = [
    vectorFromArray(seqs.map(() => BigInt(batch.step)), new Int64()).data[0]!,
    vectorFromArray(seqs.map(() => batch.stage), new Utf8()).data[0]!,
    vectorFromArray(seqs.map(rowSource), new Utf8()).data[0]!,
    fixed(3, concat(seqs.map(s => new Int32Array(s.tokens.buffer, s.tokens.byteOffset, s.tokens.length)), n => new Int32Array(n))),
    fixed(4, concat(seqs.map(s => s.segments), n => new Int32Array(n))),
    fixed(5, concat(seqs.map(s => s.positions), n => new Int32Array(n))),
    fixed(6, concat(seqs.map(s => s.lossMask), n => new Uint8Array(n)))
  ]
  const data = makeData({ type: new Struct(schema.fields), length: rows, nullCount: 0, children })
  return tableToIPC(new Table(new RecordBatch(schema, data)), 'stream')
}
