import type { Socket } from 'node:net'
import { SluiceError } from '../../schemas/errors.ts'

/** Frame kinds of the batch protocol (trainer/PROTOCOL.md). */
export const FRAME = { json: 1, arrow: 2 } as const
export type FrameKind = typeof FRAME[keyof typeof FRAME]

/** Control messages are small; a peer announcing more is not speaking this protocol. */
const MAX_JSON_FRAME = 1 << 20

/** `[u32 big-endian payload length][u8 kind][payload]`. */
export function frame (kind: FrameKind, payload: Uint8Array): Buffer {
  const head = Buffer.alloc(5)
  head.writeUInt32BE(payload.byteLength, 0)
  head.writeUInt8(kind, 4)
  return Buffer.concat([head, payload])
}

export const jsonFrame = (message: object): Buffer => frame(FRAME.json, Buffer.from(JSON.stringify(message)))

/** Control messages of a socket, one at a time; an Arrow frame from the peer is a protocol error. */
export async function * jsonMessages (socket: Socket): AsyncGenerator<Record<string, unknown>> {
  let buffered: Buffer = Buffer.alloc(0)
  for await (const chunk of socket as AsyncIterable<Buffer>) {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk])
    while (buffered.length >= 5) {
      const length = buffered.readUInt32BE(0)
      const kind = buffered.readUInt8(4)
      if (kind !== FRAME.json || length > MAX_JSON_FRAME) throw new SluiceError('protocol', `expected a JSON frame of at most ${MAX_JSON_FRAME} bytes, got kind ${kind} of ${length} bytes`, { retryable: false })
      if (buffered.length < 5 + length) break
      const body = buffered.subarray(5, 5 + length).toString('utf8')
      buffered = buffered.subarray(5 + length)
      let message: unknown
      try { message = JSON.parse(body) } catch (err) { throw new SluiceError('protocol', `a control frame is not JSON: ${(err as Error).message}`, { retryable: false, cause: err }) }
      if (message === null || typeof message !== 'object' || Array.isArray(message)) throw new SluiceError('protocol', 'a control frame is not a JSON object', { retryable: false })
      yield message as Record<string, unknown>
    }
  }
}
