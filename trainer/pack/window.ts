import { buildSequence, pieceState, restorePiece, withEos, type Piece, type PieceState } from './sequence.ts'
import type { PackedSequence, TokenizedSample } from './types.ts'

export interface PackerIds { eos: number, pad: number }

/**
 * Ziya2 stage 1: documents joined with EOS and cut into windows of exactly `length` tokens; a
 * document longer than what is left of a window continues in the next one. Stateful: the partial
 * window is its state (`state()` / `restore()`), at most `length` tokens.
 *
 * @example
 * const packer = new WindowPacker(4096, { eos: 2, pad: 0 })
 * for (const s of samples) for (const seq of packer.push(s)) send(seq)
 */
export class WindowPacker {
  private pending: Piece[] = []
  private fill = 0

  constructor (readonly length: number, private readonly ids: PackerIds) {}

  push (sample: TokenizedSample): PackedSequence[] {
    const out: PackedSequence[] = []
    const total = withEos(sample)
    for (let from = 0; from < total;) {
      const to = Math.min(total, from + this.length - this.fill)
      this.pending.push({ sample, from, to, base: 0 })
      this.fill += to - from
      from = to
      if (this.fill === this.length) out.push(this.emit())
    }
    return out
  }

  /** The partial window, padded; nothing when it is empty. */
  flush (): PackedSequence[] {
    return this.fill === 0 ? [] : [this.emit()]
  }

  state (): PieceState[] {
    return this.pending.map(pieceState)
  }

  restore (state: PieceState[]): void {
    this.pending = state.map(restorePiece)
    this.fill = this.pending.reduce((n, p) => n + p.to - p.from, 0)
  }

  private emit (): PackedSequence {
    const seq = buildSequence(this.pending, this.length, this.ids, false)
    this.pending = []
    this.fill = 0
    return seq
  }
}
