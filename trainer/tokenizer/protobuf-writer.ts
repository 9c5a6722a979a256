import { WIRE } from './protobuf.ts'

const utf8 = new TextEncoder()

/**
 * Builds one protobuf message field by field, in the order written (the reader's counterpart in
 * `protobuf.ts`). Only what a SentencePiece model needs: non-negative varints, length-delimited
 * bytes and strings, floats as fixed32.
 *
 * @example
 * const piece = new ProtoWriter().string(1, '中').float(2, -32000).varint(3, PIECE_TYPE.normal).finish()
 * const model = new ProtoWriter().bytes(1, piece).finish()
 */
export class ProtoWriter {
  private readonly chunks: Uint8Array[] = []

  private raw (n: number): this {
    const out: number[] = []
    // a multiple of 128 rather than a shift: shifts would cut values past 2^31
    for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n % 0x80) | 0x80)
    out.push(n)
    this.chunks.push(Uint8Array.from(out))
    return this
  }

  private tag (field: number, wire: number): this {
    return this.raw(field * 8 + wire)
  }

  /** An unsigned, enum or non-negative int32 field. */
  varint (field: number, n: number): this {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`protobuf varint field ${field}: ${n} is not a non-negative integer`)
    return this.tag(field, WIRE.varint).raw(n)
  }

  bytes (field: number, b: Uint8Array): this {
    this.tag(field, WIRE.bytes).raw(b.length)
    this.chunks.push(b)
    return this
  }

  string (field: number, s: string): this {
    return this.bytes(field, utf8.encode(s))
  }

  /** A `float` field: four little-endian bytes, rounded to float32. */
  float (field: number, x: number): this {
    const b = new Uint8Array(4)
    new DataView(b.buffer).setFloat32(0, x, true)
    this.tag(field, WIRE.fixed32)
    this.chunks.push(b)
    return this
  }

  finish (): Uint8Array {
    return Buffer.concat(this.chunks)
  }
}
