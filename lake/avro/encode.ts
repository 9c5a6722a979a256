import crypto from 'node:crypto'
import zlib from 'node:zlib'
import { compileSchema, type AvroNode } from './schema.ts'

export const MAGIC = Buffer.from('Obj\x01', 'latin1')
/** Records per data block: bounds what a reader holds at once, as Avro's own sync interval does. */
export const BLOCK_RECORDS = 1000

const INT_MIN = -(2 ** 31)
const INT_MAX = 2 ** 31 - 1
const LONG_MIN = -(2n ** 63n)
const LONG_MAX = 2n ** 63n - 1n

/** A growable output buffer; doubling keeps appends amortised O(1). Inputs are validated by the caller. */
class ByteWriter {
  private buf = Buffer.allocUnsafe(64 * 1024)
  private pos = 0

  private ensure (n: number): void {
    if (this.pos + n <= this.buf.length) return
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n))
    this.buf.copy(next, 0, 0, this.pos)
    this.buf = next
  }

  /** Zig-zag varint. */
  long (v: number | bigint): void {
    // below 2^52 the zig-zag value stays below 2^53, where doubles are exact
    if (typeof v === 'number' && Math.abs(v) < 2 ** 52) {
      let z = v >= 0 ? v * 2 : -v * 2 - 1
      this.ensure(8)
      while (z >= 0x80) {
        this.buf[this.pos++] = (z % 0x80) | 0x80
        z = Math.floor(z / 0x80)
      }
      this.buf[this.pos++] = z
      return
    }
    const n = BigInt(v)
    let z = BigInt.asUintN(64, (n << 1n) ^ (n >> 63n))
    this.ensure(10)
    while (z >= 0x80n) {
      this.buf[this.pos++] = Number(z & 0x7fn) | 0x80
      z >>= 7n
    }
    this.buf[this.pos++] = Number(z)
  }

  byte (b: number): void {
    this.ensure(1)
    this.buf[this.pos++] = b
  }

  float (v: number): void {
    this.ensure(4)
    this.pos = this.buf.writeFloatLE(v, this.pos)
  }

  double (v: number): void {
    this.ensure(8)
    this.pos = this.buf.writeDoubleLE(v, this.pos)
  }

  raw (b: Uint8Array): void {
    this.ensure(b.length)
    this.buf.set(b, this.pos)
    this.pos += b.length
  }

  bytes (b: Uint8Array): void {
    this.long(b.length)
    this.raw(b)
  }

  string (s: string): void {
    const n = Buffer.byteLength(s, 'utf8')
    this.long(n)
    this.ensure(n)
    this.pos += this.buf.write(s, this.pos, n, 'utf8')
  }

  /** Copies out what was written and starts over, so the buffer is reused across blocks. */
  take (): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.pos))
    this.pos = 0
    return out
  }
}

/** A value that does not fit the schema; `path` locates it for the message. */
class EncodeError extends Error {
  readonly path: string[] = []
  constructor (readonly problem: string) { super(problem) }
}

function within (err: unknown, segment: string): unknown {
  if (err instanceof EncodeError) {
    err.path.unshift(segment)
    err.message = `${err.path.join('')}: ${err.problem}`
  }
  return err
}

const describe = (node: AvroNode): string =>
  node.kind === 'record' || node.kind === 'fixed' ? `${node.kind} ${node.name}` : node.kind

function show (v: unknown): string {
  if (v === null || v === undefined) return String(v)
  if (Array.isArray(v)) return 'an array'
  if (v instanceof Uint8Array) return `${v.length} bytes`
  if (typeof v === 'object') return 'an object'
  return `${typeof v} ${String(v).slice(0, 40)}`
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array)

const isLong = (v: unknown): v is number | bigint =>
  typeof v === 'bigint' ? v >= LONG_MIN && v <= LONG_MAX
    : typeof v === 'number' && Number.isInteger(v) && v >= -(2 ** 63) && v < 2 ** 63

/** Whether a value has the JS shape of a branch; only used to choose among several non-null branches. */
function accepts (node: AvroNode, v: unknown): boolean {
  switch (node.kind) {
    case 'null': return v === null || v === undefined
    case 'boolean': return typeof v === 'boolean'
    case 'int': return Number.isInteger(v) && (v as number) >= INT_MIN && (v as number) <= INT_MAX
    case 'long': return isLong(v)
    case 'float': case 'double': return typeof v === 'number'
    case 'string': return typeof v === 'string'
    case 'bytes': return v instanceof Uint8Array
    case 'fixed': return v instanceof Uint8Array && v.length === node.size
    case 'array': return Array.isArray(v)
    case 'record': case 'map': return isObject(v)
    case 'union': return false // the schema compiler rejects unions in unions
  }
}

function branchOf (branches: AvroNode[], v: unknown): number {
  if (v === null || v === undefined) return branches.findIndex(b => b.kind === 'null')
  const others = branches.filter(b => b.kind !== 'null')
  // the common Iceberg case ["null", X]: X, whose own check then reports a wrong value precisely
  if (others.length === 1) return branches.indexOf(others[0]!)
  return branches.findIndex(b => b.kind !== 'null' && accepts(b, v))
}

function encode (w: ByteWriter, node: AvroNode, v: unknown): void {
  switch (node.kind) {
    case 'null': if (v !== null && v !== undefined) break; return
    case 'boolean': if (typeof v !== 'boolean') break; w.byte(v ? 1 : 0); return
    case 'int': if (!accepts(node, v)) break; w.long(v as number); return
    case 'long': if (!isLong(v)) break; w.long(v); return
    case 'float': if (typeof v !== 'number') break; w.float(v); return
    case 'double': if (typeof v !== 'number') break; w.double(v); return
    case 'string': if (typeof v !== 'string') break; w.string(v); return
    case 'bytes': if (!(v instanceof Uint8Array)) break; w.bytes(v); return
    case 'fixed': if (!accepts(node, v)) break; w.raw(v as Uint8Array); return
    case 'record': {
      if (!isObject(v)) break
      let i = 0
      try {
        // a missing field reaches its encoder as undefined, which a union with "null" writes as null
        for (; i < node.fields.length; i++) encode(w, node.fields[i]!.node, v[node.fields[i]!.name])
      } catch (err) { throw within(err, `.${node.fields[i]!.name}`) }
      return
    }
    case 'array': {
      if (!Array.isArray(v)) break
      // one block holding every item, then the empty block that ends the array
      if (v.length > 0) w.long(v.length)
      let i = 0
      try {
        for (; i < v.length; i++) encode(w, node.items, v[i])
      } catch (err) { throw within(err, `[${i}]`) }
      w.long(0)
      return
    }
    case 'map': {
      if (!isObject(v)) break
      const entries = Object.entries(v)
      if (entries.length > 0) w.long(entries.length)
      for (const [k, value] of entries) {
        w.string(k)
        try { encode(w, node.values, value) } catch (err) { throw within(err, `[${JSON.stringify(k)}]`) }
      }
      w.long(0)
      return
    }
    case 'union': {
      const i = branchOf(node.branches, v)
      if (i < 0) throw new EncodeError(`no branch of union [${node.branches.map(describe).join(', ')}] takes ${show(v)}`)
      w.long(i)
      encode(w, node.branches[i]!, v)
      return
    }
  }
  throw new EncodeError(`expected ${describe(node)}, got ${show(v)}`)
}

export interface WriteOptions {
  /** Extra header metadata (Iceberg: schema, partition-spec, format-version, content, ...). */
  metadata?: Record<string, string>
  /** Default 'null' (no compression), the Avro default; 'deflate' is raw deflate per the spec. */
  codec?: 'null' | 'deflate'
}

/**
 * An Avro Object Container File. The schema JSON goes into the header exactly as given
 * (JSON.stringify), so attributes such as Iceberg field ids survive.
 */
export function writeAvroFile (schema: unknown, records: unknown[], opts: WriteOptions = {}): Buffer {
  const root = compileSchema(schema)
  const codec = opts.codec ?? 'null'
  const meta = Object.entries(opts.metadata ?? {})
  const reserved = meta.find(([k]) => k.startsWith('avro.'))
  if (reserved !== undefined) throw new Error(`Avro: metadata key ${reserved[0]} is reserved for the format`)
  meta.push(['avro.schema', JSON.stringify(schema)], ['avro.codec', codec])

  const w = new ByteWriter()
  const sync = crypto.randomBytes(16)
  w.raw(MAGIC)
  w.long(meta.length)
  for (const [k, v] of meta) {
    w.string(k)
    w.bytes(Buffer.from(v, 'utf8'))
  }
  w.long(0)
  w.raw(sync)
  const chunks = [w.take()]

  for (let start = 0; start < records.length; start += BLOCK_RECORDS) {
    const end = Math.min(start + BLOCK_RECORDS, records.length)
    let i = start
    try {
      for (; i < end; i++) encode(w, root, records[i])
    } catch (err) { throw within(err, `records[${i}]`) }
    const raw = w.take()
    const data = codec === 'deflate' ? zlib.deflateRawSync(raw) : raw
    w.long(end - start)
    w.long(data.length)
    chunks.push(w.take(), data, sync)
  }
  return Buffer.concat(chunks)
}
