import { SluiceError } from '../../../schemas/errors.ts'
import { FEATURE_VERSION, type FeatureOptions } from './features.ts'
import type { ClassifierWeights } from './train.ts'

/**
 * The classifier as an ONNX model (a `ModelProto`, opset 13), written by a small protobuf encoder of our own: the
 * model needs eight message types and four wire forms, which is less code than loading onnx.proto into a protobuf
 * library at run time, and adds no dependency. Field numbers are those of onnx/onnx.proto.
 *
 * Graph: inputs `ids` int64 [batch, len] (feature ids, padded with 0) and `mask` float [batch, len] (each id's
 * number of occurrences, 0 for padding); `embedding` is [buckets, dim], `weight` [dim, 2]:
 *   bag    = MatMul(Unsqueeze(mask, 1), Gather(embedding, ids))   [batch, 1, dim]: Σ mask·embedding, one product
 *   hidden = Squeeze(bag, 1) / Max(ReduceSum(mask, 1), 1)         [batch, dim]: the weighted mean
 *   probs  = Softmax(MatMul(hidden, weight) + bias, axis 1)       [batch, 2]: column 1 is P(high quality)
 * The model is linear up to the softmax, so mean(embedding[ids])·weight = mean((embedding·weight)[ids]): `fold`
 * (the default) stores the product, a [buckets, 2] table, and leaves out the MatMul. Same probabilities (to float
 * rounding), 1/8 of the file at dim 16 and a faster run (README.md). The MatMul after the bag sums with
 * the mask, which measured faster than Mul + ReduceSum.
 * Everything the scorer needs besides the weights (feature version, buckets, lengths) is in `metadata_props`, so
 * one file is the whole model.
 */

const OPSET = 13
/** IR version 8 (ONNX 1.10): readable by every onnxruntime since 1.10. */
const IR_VERSION = 8
const FLOAT = 1
const INT64 = 7
const ATTR_INT = 2

/** Metadata keys of the model file. */
export const META = {
  kind: 'sluice.kind',
  featureVersion: 'sluice.feature_version',
  buckets: 'sluice.buckets',
  maxLen: 'sluice.max_len',
  maxChars: 'sluice.max_chars',
  minn: 'sluice.minn',
  maxn: 'sluice.maxn',
  dim: 'sluice.dim',
  graph: 'sluice.graph',
  training: 'sluice.training'
} as const
export const MODEL_KIND = 'quality-classifier'

/** Appends protobuf fields; nested messages are finished writers. */
class Writer {
  private readonly parts: Uint8Array[] = []
  private scratch: number[] = []
  length = 0

  private flush (): void {
    if (this.scratch.length === 0) return
    this.parts.push(Uint8Array.from(this.scratch))
    this.length += this.scratch.length
    this.scratch = []
  }

  private varint (v: number | bigint): void {
    let n = typeof v === 'bigint' ? BigInt.asUintN(64, v) : v < 0 ? BigInt.asUintN(64, BigInt(v)) : v
    if (typeof n === 'bigint') {
      while (n >= 0x80n) { this.scratch.push(Number(n & 0x7fn) | 0x80); n >>= 7n }
      this.scratch.push(Number(n))
      return
    }
    while (n >= 0x80) { this.scratch.push((n % 0x80) | 0x80); n = Math.floor(n / 0x80) }
    this.scratch.push(n)
  }

  int (field: number, v: number): this {
    this.varint(field << 3)
    this.varint(v)
    return this
  }

  bytes (field: number, b: Uint8Array): this {
    this.varint((field << 3) | 2)
    this.varint(b.length)
    this.flush()
    this.parts.push(b)
    this.length += b.length
    return this
  }

  string (field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s))
  }

  message (field: number, w: Writer): this {
    return this.bytes(field, w.finish())
  }

  finish (): Uint8Array {
    this.flush()
    if (this.parts.length === 1) return this.parts[0]!
    const out = new Uint8Array(this.length)
    let at = 0
    for (const p of this.parts) { out.set(p, at); at += p.length }
    this.parts.length = 0
    this.parts.push(out)
    return out
  }
}

function tensor (name: string, dims: number[], type: number, data: Float32Array | BigInt64Array): Writer {
  const w = new Writer()
  for (const d of dims) w.int(1, d)
  w.int(2, type)
  w.string(8, name)
  // raw_data is little-endian, as typed arrays are on every platform Node supports
  return w.bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
}

function valueInfo (name: string, type: number, dims: Array<number | string>): Writer {
  const shape = new Writer()
  for (const d of dims) shape.message(1, typeof d === 'number' ? new Writer().int(1, d) : new Writer().string(2, d))
  const tensorType = new Writer().int(1, type).message(2, shape)
  return new Writer().string(1, name).message(2, new Writer().message(1, tensorType))
}

function node (op: string, inputs: string[], outputs: string[], attrs: Record<string, number> = {}): Writer {
  const w = new Writer()
  for (const i of inputs) w.string(1, i)
  for (const o of outputs) w.string(2, o)
  w.string(3, outputs[0]!)
  w.string(4, op)
  for (const [name, v] of Object.entries(attrs)) w.message(5, new Writer().string(1, name).int(3, v).int(20, ATTR_INT))
  return w
}

export interface ExportOptions {
  /** Store embedding·weight as one [buckets, 2] table (default true); false keeps fastText's two layers. */
  fold?: boolean
  /** More `metadata_props` entries (e.g. held-out figures); part of the bytes, so of the model id. */
  metadata?: Record<string, string>
}

/** The model's metadata: feature settings, width, graph form and how it was trained, plus `extra` entries. */
export function modelMetadata (m: ClassifierWeights, fold: boolean, extra: Record<string, string> = {}): Record<string, string> {
  return {
    [META.kind]: MODEL_KIND,
    [META.featureVersion]: FEATURE_VERSION,
    [META.buckets]: String(m.features.buckets),
    [META.maxLen]: String(m.features.maxLen),
    [META.maxChars]: String(m.features.maxChars),
    [META.minn]: String(m.features.minn),
    [META.maxn]: String(m.features.maxn),
    [META.dim]: String(m.dim),
    [META.graph]: fold ? 'folded' : 'embedding-bag',
    [META.training]: JSON.stringify(m.training),
    ...extra
  }
}

/** embedding·weight: each bucket's contribution to the two logits, [buckets, 2]. */
function foldedTable (m: ClassifierWeights): Float32Array {
  const out = new Float32Array(m.features.buckets * 2)
  for (let r = 0; r < m.features.buckets; r++) {
    let z0 = 0
    let z1 = 0
    for (let d = 0; d < m.dim; d++) {
      const e = m.embedding[r * m.dim + d]!
      z0 += e * m.weight[2 * d]!
      z1 += e * m.weight[2 * d + 1]!
    }
    out[2 * r] = z0
    out[2 * r + 1] = z1
  }
  return out
}

/**
 * The ONNX file of a trained classifier. The bytes depend only on the weights, the options and the metadata, so
 * the same training gives the same file (and model id).
 *
 * @example
 * fs.writeFileSync('classifier.onnx', exportOnnx(trainClassifier(examples)))
 */
export function exportOnnx (m: ClassifierWeights, opts: ExportOptions = {}): Uint8Array {
  const fold = opts.fold ?? true
  const graph = new Writer()
  const nodes = [
    node('Gather', ['embedding', 'ids'], ['rows'], { axis: 0 }),
    node('Unsqueeze', ['mask', 'axis1'], ['mask_row']),
    node('MatMul', ['mask_row', 'rows'], ['bag']),
    node('Squeeze', ['bag', 'axis1'], ['sum']),
    node('ReduceSum', ['mask', 'axis1'], ['count'], { keepdims: 1 }),
    node('Max', ['count', 'one'], ['count_nonzero']),
    ...fold
      ? [node('Div', ['sum', 'count_nonzero'], ['logits_nobias'])]
      : [node('Div', ['sum', 'count_nonzero'], ['hidden']), node('MatMul', ['hidden', 'weight'], ['logits_nobias'])],
    node('Add', ['logits_nobias', 'bias'], ['logits']),
    node('Softmax', ['logits'], ['probs'], { axis: 1 })
  ]
  for (const n of nodes) graph.message(1, n)
  graph.string(2, 'sluice_quality_classifier')
  if (fold) graph.message(5, tensor('embedding', [m.features.buckets, 2], FLOAT, foldedTable(m)))
  else {
    graph.message(5, tensor('embedding', [m.features.buckets, m.dim], FLOAT, m.embedding))
    graph.message(5, tensor('weight', [m.dim, 2], FLOAT, m.weight))
  }
  graph.message(5, tensor('bias', [2], FLOAT, m.bias))
  graph.message(5, tensor('axis1', [1], INT64, BigInt64Array.of(1n)))
  graph.message(5, tensor('one', [], FLOAT, Float32Array.of(1)))
  graph.message(11, valueInfo('ids', INT64, ['batch', 'len']))
  graph.message(11, valueInfo('mask', FLOAT, ['batch', 'len']))
  graph.message(12, valueInfo('probs', FLOAT, ['batch', 2]))

  const model = new Writer()
  model.int(1, IR_VERSION)
  model.string(2, 'sluice')
  model.string(3, '1')
  model.string(6, 'fastText-style quality classifier: P(high quality) = probs[:, 1]')
  model.message(7, graph)
  model.message(8, new Writer().string(1, '').int(2, OPSET))
  for (const [k, v] of Object.entries(modelMetadata(m, fold, opts.metadata))) model.message(14, new Writer().string(1, k).string(2, v))
  return model.finish()
}

/** Reads protobuf fields of one message: (field, wire type, value) with length-delimited values as sub-arrays. */
function * fields (buf: Uint8Array): Generator<{ field: number, wire: number, value: number, bytes: Uint8Array }> {
  let at = 0
  const varint = (): number => {
    let result = 0
    let scale = 1
    for (;;) {
      if (at >= buf.length) throw new RangeError('truncated protobuf varint')
      const b = buf[at++]!
      result += (b & 0x7f) * scale
      if (b < 0x80) return result
      scale *= 128
    }
  }
  while (at < buf.length) {
    const key = varint()
    const field = Math.floor(key / 8)
    const wire = key & 7
    if (wire === 0) yield { field, wire, value: varint(), bytes: buf.subarray(0, 0) }
    else if (wire === 2) {
      const len = varint()
      if (at + len > buf.length) throw new RangeError('truncated protobuf field')
      yield { field, wire, value: len, bytes: buf.subarray(at, at + len) }
      at += len
    } else if (wire === 5 || wire === 1) {
      const len = wire === 5 ? 4 : 8
      yield { field, wire, value: 0, bytes: buf.subarray(at, at + len) }
      at += len
    } else throw new RangeError(`unsupported protobuf wire type ${wire}`)
  }
}

const utf8 = (b: Uint8Array): string => new TextDecoder().decode(b)

/** `metadata_props` of an ONNX model file. */
export function readOnnxMetadata (bytes: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {}
  for (const f of fields(bytes)) {
    if (f.field !== 14 || f.wire !== 2) continue
    let key = ''
    let value = ''
    for (const g of fields(f.bytes)) {
      if (g.field === 1) key = utf8(g.bytes)
      else if (g.field === 2) value = utf8(g.bytes)
    }
    out[key] = value
  }
  return out
}

/** Float initializers (name → dims and data) of an ONNX model file; only `raw_data` tensors are read. */
export function readOnnxInitializers (bytes: Uint8Array): Map<string, { dims: number[], data: Float32Array }> {
  const out = new Map<string, { dims: number[], data: Float32Array }>()
  for (const f of fields(bytes)) {
    if (f.field !== 7 || f.wire !== 2) continue
    for (const g of fields(f.bytes)) {
      if (g.field !== 5 || g.wire !== 2) continue
      let name = ''
      let type = 0
      const dims: number[] = []
      let raw: Uint8Array | null = null
      for (const t of fields(g.bytes)) {
        if (t.field === 1 && t.wire === 0) dims.push(t.value)
        else if (t.field === 2) type = t.value
        else if (t.field === 8) name = utf8(t.bytes)
        else if (t.field === 9) raw = t.bytes
      }
      if (type !== FLOAT || raw === null) continue
      const copy = raw.slice() // aligned for the Float32Array view
      out.set(name, { dims, data: new Float32Array(copy.buffer, 0, copy.byteLength / 4) })
    }
  }
  return out
}

/** Feature settings of a model file, checked against this code's feature version. */
export function featureOptionsOf (meta: Record<string, string>, file = 'model'): FeatureOptions & { dim: number } {
  if (meta[META.kind] !== MODEL_KIND) throw new SluiceError('config', `${file}: not a Sluice quality classifier (metadata ${META.kind} = ${JSON.stringify(meta[META.kind])})`)
  if (meta[META.featureVersion] !== FEATURE_VERSION) {
    throw new SluiceError('config', `${file}: features ${JSON.stringify(meta[META.featureVersion])}, this code computes ${FEATURE_VERSION}; retrain with \`sluice quality train-classifier\``)
  }
  const num = (k: string, min = 1): number => {
    const v = Number(meta[k])
    if (meta[k] === undefined || !Number.isInteger(v) || v < min) throw new SluiceError('config', `${file}: metadata ${k} = ${JSON.stringify(meta[k])} is not an integer ≥ ${min}`)
    return v
  }
  return { buckets: num(META.buckets), maxLen: num(META.maxLen), maxChars: num(META.maxChars), minn: num(META.minn, 0), maxn: num(META.maxn, 0), dim: num(META.dim) }
}

/**
 * A model read back from its ONNX file, for the TypeScript forward pass and tests. A folded file comes back as an
 * equivalent model of width 2: the [buckets, 2] table as embedding and the identity as weight.
 */
export function importOnnx (bytes: Uint8Array, file = 'model'): ClassifierWeights {
  const meta = readOnnxMetadata(bytes)
  const { dim, ...features } = featureOptionsOf(meta, file)
  const init = readOnnxInitializers(bytes)
  const get = (name: string, size: number): Float32Array => {
    const t = init.get(name)
    if (t === undefined || t.data.length !== size) throw new SluiceError('config', `${file}: initializer ${name} missing or not of ${size} floats`)
    return t.data
  }
  const folded = meta[META.graph] === 'folded'
  const width = folded ? 2 : dim
  return {
    features,
    dim: width,
    embedding: get('embedding', features.buckets * width),
    weight: folded ? Float32Array.of(1, 0, 0, 1) : get('weight', dim * 2),
    bias: get('bias', 2),
    training: JSON.parse(meta[META.training] ?? '{}')
  }
}
