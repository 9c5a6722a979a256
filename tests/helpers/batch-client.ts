import net from 'node:net'
import { FRAME, jsonFrame } from '../../trainer/server/frames.ts'

export interface Frame { kind: number, payload: Buffer }

/** A bare client of the batch protocol for tests: raw frames in, JSON messages out. */
export class TestClient {
  readonly frames: Frame[] = []
  private buffered: Buffer = Buffer.alloc(0)
  private waiters: Array<() => void> = []
  closed = false

  private constructor (readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk])
      while (this.buffered.length >= 5 && this.buffered.length >= 5 + this.buffered.readUInt32BE(0)) {
        const length = this.buffered.readUInt32BE(0)
        this.frames.push({ kind: this.buffered.readUInt8(4), payload: this.buffered.subarray(5, 5 + length) })
        this.buffered = this.buffered.subarray(5 + length)
      }
      this.wakeAll()
    })
    socket.on('close', () => { this.closed = true; this.wakeAll() })
  }

  static async connect (address: string, hello: object = {}): Promise<TestClient> {
    const socket = address.includes('/') ? net.connect(address) : net.connect(Number(address.split(':')[1]), address.split(':')[0])
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
    const client = new TestClient(socket)
    socket.write(jsonFrame({ type: 'hello', version: 1, ...hello }))
    return client
  }

  private wakeAll (): void { for (const w of this.waiters.splice(0)) w() }

  /** Waits until `n` frames arrived (or the connection closed); returns them all. */
  async waitFor (n: number, timeoutMs = 30_000): Promise<Frame[]> {
    const deadline = Date.now() + timeoutMs
    while (this.frames.length < n && !this.closed) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} frames (have ${this.frames.length})`)
      await new Promise<void>(resolve => { this.waiters.push(resolve); setTimeout(resolve, 200) })
    }
    return this.frames
  }

  json (i: number): Record<string, any> {
    const f = this.frames[i]!
    if (f.kind !== FRAME.json) throw new Error(`frame ${i} is not JSON`)
    return JSON.parse(f.payload.toString())
  }

  ack (step: number, loss = 1.5, tokens = 0): void {
    this.socket.write(jsonFrame({ type: 'ack', step, loss, tokens }))
  }

  close (): void { this.socket.destroy() }
}
