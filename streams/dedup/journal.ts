import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { SluiceError } from '../../schemas/errors.ts'

/**
 * One change to the dedup state, in the order it was made: a key added to one of the Bloom
 * filters, or a representative's near-dup signature added to the index.
 */
export type StateChange =
  | { kind: 'url' | 'content' | 'record', key: string }
  | { kind: 'first', key: string, id: string }
  | { kind: 'near', id: string, sig: Uint32Array }

/** Next input offset per partition: where a transaction leaves the input. */
export type Positions = Record<number, number>

const MAGIC = 0x314a4453 // "SDJ1"
const KINDS = ['url', 'content', 'record', 'near', 'first'] as const

function encodeBlock (positions: Positions, changes: StateChange[]): Buffer {
  const parts: Buffer[] = []
  const header = Buffer.from(JSON.stringify(positions))
  const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b }
  parts.push(u32(header.length), header)
  for (const c of changes) {
    const text = Buffer.from(c.kind === 'near' ? c.id : c.key)
    parts.push(Buffer.of(KINDS.indexOf(c.kind)), u32(text.length), text)
    if (c.kind === 'near') parts.push(u32(c.sig.length), Buffer.from(c.sig.buffer, c.sig.byteOffset, c.sig.byteLength))
    if (c.kind === 'first') { const id = Buffer.from(c.id); parts.push(u32(id.length), id) }
  }
  const payload = Buffer.concat(parts)
  const frame = Buffer.alloc(12)
  frame.writeUInt32LE(MAGIC, 0)
  frame.writeUInt32LE(payload.length, 4)
  frame.writeUInt32LE(zlib.crc32(payload), 8)
  return Buffer.concat([frame, payload])
}

function decodeBlock (payload: Buffer): { positions: Positions, changes: StateChange[] } {
  let at = 0
  const u32 = () => { const n = payload.readUInt32LE(at); at += 4; return n }
  const headerLength = u32()
  const positions = JSON.parse(payload.toString('utf8', at, at + headerLength)) as Positions
  at += headerLength
  const changes: StateChange[] = []
  while (at < payload.length) {
    const kind = KINDS[payload[at++]!]!
    const length = u32()
    const text = payload.toString('utf8', at, at + length)
    at += length
    if (kind === 'first') {
      const idLength = u32()
      changes.push({ kind, key: text, id: payload.toString('utf8', at, at + idLength) })
      at += idLength
      continue
    }
    if (kind !== 'near') { changes.push({ kind, key: text }); continue }
    const words = u32()
    // copied: the payload buffer is reused for the next block
    const sig = new Uint32Array(words)
    for (let i = 0; i < words; i++) sig[i] = payload.readUInt32LE(at + i * 4)
    at += words * 4
    changes.push({ kind, id: text, sig })
  }
  return { positions, changes }
}

/** Partitions where `block` went past what the input commit says: the block never committed. */
const ahead = (block: Positions, committed: Positions) => Object.entries(block).some(([p, next]) => next > (committed[Number(p)] ?? 0))

export interface JournalReplay { blocks: number, changes: number, truncatedBytes: number }

/**
 * Write-ahead log of a stateful stage's state, one block per Kafka transaction, each tagged with
 * the input positions that transaction moves to. A block is appended and fsynced before its
 * transaction commits, so on restart every committed transaction's block is there; the blocks
 * past the committed positions (a transaction that never committed, or a torn write) are cut off.
 * What remains is exactly the state at the committed positions: a restart neither forgets a
 * representative nor remembers a document whose output was rolled back (it would become its own
 * duplicate when the input is read again).
 */
export class StateJournal {
  private constructor (readonly file: string, private readonly fd: number, private size: number) {}

  /**
   * Opens (or creates) the journal in `dir`, hands every change up to `committed` to `apply` in
   * the order it was made, and truncates the rest. Fails when the journal knows less than the
   * committed positions claim: another journal, or a lost one, would silently let duplicates through.
   */
  static open (dir: string, committed: Positions, apply: (change: StateChange) => void): { journal: StateJournal, replay: JournalReplay } {
    fs.mkdirSync(dir, { recursive: true })
    const file = path.join(dir, 'journal.log')
    const fd = fs.openSync(file, fs.existsSync(file) ? 'r+' : 'w+')
    const size = fs.fstatSync(fd).size
    const frame = Buffer.alloc(12)
    const known: Positions = {}
    const replay: JournalReplay = { blocks: 0, changes: 0, truncatedBytes: 0 }
    let at = 0
    while (at + 12 <= size) {
      fs.readSync(fd, frame, 0, 12, at)
      const length = frame.readUInt32LE(4)
      if (frame.readUInt32LE(0) !== MAGIC || at + 12 + length > size) break
      const payload = Buffer.alloc(length)
      fs.readSync(fd, payload, 0, length, at + 12)
      if (zlib.crc32(payload) !== frame.readUInt32LE(8)) break
      const block = decodeBlock(payload)
      if (ahead(block.positions, committed)) {
        // transactions run one at a time, so only the last block can be uncommitted; more means other topics' state
        if (at + 12 + length + 12 <= size) {
          fs.closeSync(fd)
          throw new SluiceError('config', `the dedup state in ${dir} is ahead of the committed input positions by more than one transaction: ` +
            'it belongs to other topics (another --topic-prefix?); point the worker at its own state folder', { retryable: false })
        }
        break
      }
      for (const change of block.changes) apply(change)
      Object.assign(known, block.positions)
      replay.blocks++
      replay.changes += block.changes.length
      at += 12 + length
    }
    replay.truncatedBytes = size - at
    if (at < size) {
      fs.ftruncateSync(fd, at)
      fs.fsyncSync(fd)
    }
    const behind = Object.entries(committed).filter(([p, next]) => next > 0 && known[Number(p)] !== next)
    if (behind.length > 0) {
      fs.closeSync(fd)
      const detail = behind.map(([p, next]) => `partition ${p}: committed ${next}, journal ${known[Number(p)] ?? 'nothing'}`).join('; ')
      throw new SluiceError('config', `the dedup state in ${dir} does not match the committed input positions (${detail}): ` +
        'point the worker at the state folder it ran with, or start the stage over on fresh topics', { retryable: false })
    }
    return { journal: new StateJournal(file, fd, at), replay }
  }

  /** Appends one transaction's changes and makes them durable; call before the transaction commits. */
  append (positions: Positions, changes: StateChange[]): void {
    const block = encodeBlock(positions, changes)
    fs.writeSync(this.fd, block, 0, block.length, this.size)
    fs.fsyncSync(this.fd)
    this.size += block.length
  }

  get bytes (): number { return this.size }

  close (): void {
    fs.closeSync(this.fd)
  }
}
