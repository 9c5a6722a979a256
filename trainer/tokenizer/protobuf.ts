import { SluiceError } from '../../schemas/errors.ts'

/** Protobuf wire types this reader understands (groups, 3 and 4, are long deprecated and never in a ModelProto). */
export const WIRE = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const

/**
 * One field of a protobuf message. `int` is the low 32 bits of a varint as a signed number, which is
 * exactly an int32, enum or bool (negative int32s are sign-extended to ten bytes on the wire);
 * `bytes` is a view into the message for length-delimited (and fixed64) fields; `float` a fixed32 as float.
 */
export interface ProtoField { field: number, wire: number, int: number, bytes: Uint8Array, float: number }

function malformed (what: string, at: number): never {
  throw new SluiceError('config', `not a valid protobuf message: ${what} at byte ${at}`, { retryable: false })
}

/** The fields of one protobuf message in wire order (repeated fields appear once per element). */
export function * protoFields (buf: Uint8Array): Generator<ProtoField> {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  let at = 0
  const varint = (): number => {
    let lo = 0
    for (let shift = 0; ; shift += 7) {
      if (at >= buf.length) malformed('truncated varint', at)
      if (shift >= 70) malformed('varint longer than ten bytes', at)
      const b = buf[at++]!
      if (shift < 32) lo |= (b & 0x7f) << shift
      if ((b & 0x80) === 0) return lo
    }
  }
  const empty = buf.subarray(0, 0)
  while (at < buf.length) {
    const tag = varint() >>> 0
    const field = tag >>> 3
    const wire = tag & 7
    if (field === 0) malformed('field number 0', at)
    if (wire === WIRE.varint) {
      yield { field, wire, int: varint(), bytes: empty, float: 0 }
    } else if (wire === WIRE.bytes) {
      const n = varint()
      if (n < 0 || at + n > buf.length) malformed(`length ${n} past the end`, at)
      yield { field, wire, int: 0, bytes: buf.subarray(at, at + n), float: 0 }
      at += n
    } else if (wire === WIRE.fixed32) {
      if (at + 4 > buf.length) malformed('truncated fixed32', at)
      yield { field, wire, int: view.getInt32(at, true), bytes: empty, float: view.getFloat32(at, true) }
      at += 4
    } else if (wire === WIRE.fixed64) {
      if (at + 8 > buf.length) malformed('truncated fixed64', at)
      yield { field, wire, int: view.getInt32(at, true), bytes: buf.subarray(at, at + 8), float: 0 }
      at += 8
    } else {
      malformed(`unsupported wire type ${wire}`, at)
    }
  }
}
