import net from 'node:net'
import { SluiceError } from '../../schemas/errors.ts'
import type { Plan } from '../../schemas/plan.ts'
import type { Training } from '../open.ts'
import { planId } from '../plan.ts'
import { batchStream, type Batch, type StreamState } from '../stream.ts'
import { batchToIpc } from './arrow.ts'
import { saveCheckpoint, type RunFile } from './checkpoints.ts'
import { FRAME, frame, jsonFrame, jsonMessages } from './frames.ts'

export const PROTOCOL_VERSION = 1

export interface Ack { step: number, loss: number | null, tokens: number }

export interface BatchServerOptions {
  plan: Plan
  training: Training
  /** The run's state file and its contents (`checkpoints.ts`); a new run starts with no checkpoint. */
  runFile: string
  run: RunFile
  /** Batches sent ahead of the acks: bounds memory and what a disconnect throws away. */
  prefetch: number
  /** Acked steps between checkpoints (state file and lineage). */
  checkpointEvery: number
  /** Called at each checkpoint with the steps acked since the previous one, before the state is saved. */
  onCheckpoint?: (acked: Array<{ batch: Batch, ack: Ack }>) => Promise<void>
  onAck?: (ack: Ack, batch: Batch) => void
  log: (line: string) => void
}

interface InFlight { batch: Batch, after: StreamState }

/**
 * The trainer's batch server (trainer/PROTOCOL.md): one model core at a time over TCP or a Unix
 * socket. After a JSON handshake it streams Arrow IPC batches, at most `prefetch` ahead of the
 * core's acks; acked steps move the resume state forward and, every `checkpointEvery` steps, the
 * state file and lineage are written. A core that disconnects throws away what it had not acked;
 * when it connects again the stream starts after its last acked step (or at the step it names, if
 * the server still holds that checkpoint).
 */
export class BatchServer {
  private readonly server = net.createServer(socket => { void this.serve(socket) })
  private acked: StreamState
  /** States after acked steps not yet checkpointed, by next step: a core may resume at any of them. */
  private readonly recent = new Map<number, StreamState>()
  private sinceCheckpoint: Array<{ batch: Batch, ack: Ack }> = []
  private busy = false
  private active: { socket: net.Socket, session: Promise<void> } | null = null
  private finished = false
  private readonly done: Promise<void>
  private resolveDone!: () => void

  constructor (private readonly o: BatchServerOptions, start: StreamState) {
    this.acked = structuredClone(start)
    this.done = new Promise(resolve => { this.resolveDone = resolve })
  }

  /** Resolves when every step of the plan was acked and checkpointed. */
  finishedAll (): Promise<void> { return this.done }

  get ackedStep (): number { return this.acked.step }

  async listen (where: { port: number, host?: string } | { path: string }): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen('path' in where ? where.path : { port: where.port, host: where.host ?? '127.0.0.1' }, () => resolve())
    })
    const a = this.server.address()
    return typeof a === 'string' ? a : `${a!.address}:${a!.port}`
  }

  async close (): Promise<void> {
    await new Promise<void>(resolve => this.server.close(() => resolve()))
  }

  /**
   * Ctrl-C: stop listening, end the core's connection, count the acks that already arrived, and
   * checkpoint there, so a restart resumes after the last step the core acknowledged.
   */
  async shutdown (graceMs = 5_000): Promise<void> {
    const closing = this.close()
    if (this.active !== null) {
      const { socket, session } = this.active
      socket.end()
      const timer = setTimeout(() => socket.destroy(), graceMs)
      await session
      clearTimeout(timer)
    }
    await closing
    await this.checkpoint()
  }

  private stateAt (step: number): StreamState | undefined {
    if (step === this.acked.step) return this.acked
    return this.recent.get(step) ?? this.o.run.checkpoints.find(c => c.step === step)
  }

  private async serve (socket: net.Socket): Promise<void> {
    socket.setNoDelay(true)
    if (this.busy) {
      socket.end(jsonFrame({ type: 'error', message: 'another model core is connected; one at a time' }))
      return
    }
    this.busy = true
    const closed = new Promise<void>(resolve => socket.once('close', () => resolve()))
    socket.on('error', err => this.o.log(`batch server: connection error: ${err.message}`))
    const session = this.session(socket, closed)
    this.active = { socket, session: session.then(() => {}, () => {}) }
    try {
      await session
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      this.o.log(`batch server: ${message}`)
      if (!socket.destroyed) socket.end(jsonFrame({ type: 'error', message }))
    } finally {
      this.busy = false
      this.active = null
      socket.destroy()
    }
  }

  private async session (socket: net.Socket, closed: Promise<void>): Promise<void> {
    const messages = jsonMessages(socket)
    const first = await Promise.race([messages.next(), closed.then(() => null)])
    if (first === null || first.done === true) return
    const hello = first.value
    if (hello.type !== 'hello' || hello.version !== PROTOCOL_VERSION) throw new SluiceError('protocol', `expected {"type": "hello", "version": ${PROTOCOL_VERSION}}, got ${JSON.stringify(hello).slice(0, 200)}`, { retryable: false })
    const wanted = typeof hello.next_step === 'number' ? hello.next_step : this.acked.step
    const start = this.stateAt(wanted)
    if (start === undefined) {
      const held = [...new Set([this.o.run.checkpoints.map(c => c.step), [...this.recent.keys()], [this.acked.step]].flat())].sort((a, b) => a - b)
      throw new SluiceError('protocol', `cannot resume at step ${wanted}: this run can resume at steps ${held.join(', ')}`, { retryable: false })
    }
    // steps after the resume point were sent to a core that did not keep them: they are sent again, identically
    this.acked = structuredClone(start)
    for (const step of [...this.recent.keys()]) if (step > wanted) this.recent.delete(step)
    this.sinceCheckpoint = this.sinceCheckpoint.filter(a => a.batch.step < wanted)
    const { plan, training } = this.o
    socket.write(jsonFrame({
      type: 'handshake', version: PROTOCOL_VERSION, run_id: this.o.run.runId, plan_id: planId(plan), snapshot_id: training.snapshotId,
      vocab_size: training.tokenizer.vocabSize, seq_len: plan.seqLen, micro_batch: plan.microBatch, next_step: wanted,
      stages: plan.stages.map(s => s.name), eos_id: training.tokenizer.eosId
    }))
    this.o.log(`batch server: model core connected at ${socket.remoteAddress ?? 'a Unix socket'}; streaming from step ${wanted}`)

    const inFlight: InFlight[] = []
    let wake: () => void = () => {}
    let lost = false
    void closed.then(() => { lost = true; wake() })
    const acks = (async () => {
      for await (const message of messages) {
        if (message.type !== 'ack') throw new SluiceError('protocol', `expected an ack, got ${JSON.stringify(message).slice(0, 200)}`, { retryable: false })
        const head = inFlight[0]
        if (head === undefined || message.step !== head.batch.step) throw new SluiceError('protocol', `ack for step ${String(message.step)}, but the oldest unacked step is ${head?.batch.step ?? 'none'}`, { retryable: false })
        inFlight.shift()
        await this.acknowledge(head, { step: head.batch.step, loss: typeof message.loss === 'number' ? message.loss : null, tokens: typeof message.tokens === 'number' ? message.tokens : 0 })
        wake()
      }
    })()
    let ackError: unknown = null
    acks.catch(err => { ackError = err; lost = true; wake() })

    const state = structuredClone(start)
    const stream = batchStream(plan, training.tokenizer, training.open, state)
    try {
      for await (const batch of stream) {
        while (inFlight.length >= this.o.prefetch && !lost) await new Promise<void>(resolve => { wake = resolve })
        if (lost) break
        inFlight.push({ batch, after: structuredClone(state) })
        if (!socket.write(frame(FRAME.arrow, batchToIpc(batch, plan.seqLen)))) {
          await Promise.race([new Promise(resolve => socket.once('drain', resolve)), closed])
        }
      }
      while (inFlight.length > 0 && !lost) await new Promise<void>(resolve => { wake = resolve })
    } finally {
      await stream.return(undefined)
    }
    // acks that arrived before the connection closed still count: let the reader finish them
    if (lost) await acks.catch(() => {})
    if (ackError !== null) throw ackError
    if (lost) {
      this.o.log(`batch server: model core gone after acking step ${this.acked.step - 1}; ${inFlight.length} unacked steps will be sent again`)
      return
    }
    await this.checkpoint()
    this.finished = true
    socket.end(jsonFrame({ type: 'end', steps: this.acked.step }))
    this.o.log(`batch server: every step of the plan acked (${this.acked.step} steps)`)
    this.resolveDone()
  }

  private async acknowledge (flight: InFlight, ack: Ack): Promise<void> {
    this.acked = flight.after
    this.recent.set(flight.after.step, flight.after)
    this.sinceCheckpoint.push({ batch: flight.batch, ack })
    this.o.onAck?.(ack, flight.batch)
    if (this.sinceCheckpoint.length >= this.o.checkpointEvery) await this.checkpoint()
  }

  private async checkpoint (): Promise<void> {
    if (this.sinceCheckpoint.length === 0 && this.o.run.checkpoints.at(-1)?.step === this.acked.step) return
    await this.o.onCheckpoint?.(this.sinceCheckpoint)
    const last = this.sinceCheckpoint.at(-1)
    if (last !== undefined) this.o.run.lineageStep = Math.max(this.o.run.lineageStep, last.batch.step)
    saveCheckpoint(this.o.runFile, this.o.run, this.acked)
    this.sinceCheckpoint = []
    this.recent.clear()
  }

  get complete (): boolean { return this.finished }
}
