import zlib from 'node:zlib'
import { MAGIC } from './encode.ts'
import { compileSchema, type AvroNode, type AvroSchema } from './schema.ts'

class ByteReader {
  pos = 0
  constructor (private readonly buf: Buffer) {}

  get done (): boolean { return this.pos >= this.buf.length }

  private need (n: number): void {
    if (this.pos + n > this.buf.length) throw new Error(`Avro: data ends early (need ${n} bytes at offset ${this.pos})`)
  }

  /** Zig-zag varint: a number when it is a safe integer, else a bigint. */
  long (): number | bigint {
    const { buf } = this
    let z = 0
    let mul = 1
    let b: number
    // up to 7 bytes (49 bits) a double accumulates exactly
    do {
      this.need(1)
      b = buf[this.pos++]!
      z += (b & 0x7f) * mul
      mul *= 0x80
    } while (b >= 0x80 && mul < 2 ** 49)
    if (b < 0x80) return z % 2 === 0 ? z / 2 : -(z + 1) / 2
    let big = BigInt(z)
    for (let shift = 49n; b >= 0x80; shift += 7n) {
      if (shift > 63n) throw new Error(`Avro: varint longer than 10 bytes at offset ${this.pos}`)
      this.need(1)
      b = buf[this.pos++]!
      big |= BigInt(b & 0x7f) << shift
    }
    big = BigInt.asUintN(64, big)
    const n = (big >> 1n) ^ -(big & 1n)
    return n >= Number.MIN_SAFE_INTEGER && n <= Number.MAX_SAFE_INTEGER ? Number(n) : n
  }

  /** Ints, lengths, counts and union indexes: a bigint there could only mean corrupt data. */
  int (): number {
    const n = this.long()
    if (typeof n !== 'number') throw new Error(`Avro: ${n} out of range at offset ${this.pos}`)
    return n
  }

  byte (): number {
    this.need(1)
    return this.buf[this.pos++]!
  }

  float (): number {
    this.need(4)
    this.pos += 4
    return this.buf.readFloatLE(this.pos - 4)
  }

  double (): number {
    this.need(8)
    this.pos += 8
    return this.buf.readDoubleLE(this.pos - 8)
  }

  /** A view into the input, not a copy. */
  raw (n: number): Buffer {
    if (n < 0) throw new Error(`Avro: negative length at offset ${this.pos}`)
    this.need(n)
    this.pos += n
    return this.buf.subarray(this.pos - n, this.pos)
  }

  string (): string {
    return this.raw(this.int()).toString('utf8')
  }
}

/** Own data property even for "__proto__", a legal Avro name and map key that `o[k] = v` would turn into a prototype. */
function put (o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true })
  else o[k] = v
}

/** Array and map items come in blocks; a negative count is followed by the block's byte size, which we don't need. */
function blockCount (r: ByteReader): number {
  const n = r.int()
  if (n >= 0) return n
  r.long()
  return -n
}

function decode (r: ByteReader, node: AvroNode): unknown {
  switch (node.kind) {
    case 'null': return null
    case 'boolean': return r.byte() !== 0
    case 'int': return r.int()
    case 'long': return r.long()
    case 'float': return r.float()
    case 'double': return r.double()
    // copies, so results neither pin nor alias the file buffer
    case 'bytes': return new Uint8Array(r.raw(r.int()))
    case 'fixed': return new Uint8Array(r.raw(node.size))
    case 'string': return r.string()
    case 'record': {
      const o: Record<string, unknown> = {}
      for (const f of node.fields) put(o, f.name, decode(r, f.node))
      return o
    }
    case 'array': {
      const out: unknown[] = []
      for (let n = blockCount(r); n > 0; n = blockCount(r)) {
        for (let i = 0; i < n; i++) out.push(decode(r, node.items))
      }
      return out
    }
    case 'map': {
      const o: Record<string, unknown> = {}
      for (let n = blockCount(r); n > 0; n = blockCount(r)) {
        for (let i = 0; i < n; i++) put(o, r.string(), decode(r, node.values))
      }
      return o
    }
    case 'union': {
      const i = r.int()
      const branch = node.branches[i]
      if (branch === undefined) throw new Error(`Avro: union index ${i} out of range at offset ${r.pos}`)
      return decode(r, branch)
    }
  }
}

export interface AvroFile {
  schema: AvroSchema
  /** The whole header metadata, `avro.schema` and `avro.codec` included. */
  metadata: Record<string, string>
  records: unknown[]
}

/** Reads an Avro Object Container File written with the null or deflate codec. */
export function readAvroFile (buf: Uint8Array): AvroFile {
  const r = new ByteReader(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength))
  if (buf.length < MAGIC.length || !MAGIC.equals(r.raw(MAGIC.length))) throw new Error('Avro: not an object container file (bad magic)')
  const metadata: Record<string, string> = {}
  for (let n = blockCount(r); n > 0; n = blockCount(r)) {
    for (let i = 0; i < n; i++) put(metadata, r.string(), r.string())
  }
  const sync = r.raw(16)
  const json = metadata['avro.schema']
  if (json === undefined) throw new Error('Avro: header has no avro.schema')
  const schema = JSON.parse(json) as AvroSchema
  const root = compileSchema(schema)
  const codec = metadata['avro.codec'] ?? 'null'
  if (codec !== 'null' && codec !== 'deflate') throw new Error(`Avro: unsupported codec ${codec}`)

  const records: unknown[] = []
  while (!r.done) {
    const count = r.int()
    const raw = r.raw(r.int())
    const data = codec === 'deflate' ? zlib.inflateRawSync(raw) : raw
    const block = new ByteReader(data)
    for (let i = 0; i < count; i++) records.push(decode(block, root))
    // a block that does not end exactly where its records do was written with another schema, or is corrupt
    if (!block.done) throw new Error(`Avro: block at offset ${r.pos - raw.length} has ${data.length - block.pos} bytes after its ${count} records`)
    if (!sync.equals(r.raw(16))) throw new Error(`Avro: sync marker mismatch at offset ${r.pos - 16}`)
  }
  return { schema, metadata, records }
}
