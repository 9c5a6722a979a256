import { buildSequence, pieceState, restorePiece, withEos, type Piece, type PieceState } from './sequence.ts'
import type { PackedSequence, TokenizedSample } from './types.ts'
import type { PackerIds } from './window.ts'

interface Bin { task: string, fill: number, pieces: Piece[] }

export interface BestFitOptions {
  /** Leave prompt tokens out of the loss (padding always is). */
  maskPrompts: boolean
  /** Open sequences kept at once; when one more is needed the fullest is sent. Bounds memory and the resume state. */
  openBins: number
}

export interface BestFitState { bins: Array<{ task: string, pieces: PieceState[] }>, truncated: number }

/**
 * Ziya2 stages 2 and 3: only samples of the same task share a sequence; each sample goes whole
 * into the open sequence of its task that it fills best without exceeding `length` (a new one when
 * none has room), and the rest is padding. A sample longer than a sequence is cut to fit and
 * counted in `truncated`. Stateful: the open sequences are its state.
 */
export class BestFitPacker {
  private bins: Bin[] = []
  truncated = 0

  constructor (readonly length: number, private readonly ids: PackerIds, private readonly opts: BestFitOptions) {}

  push (sample: TokenizedSample): PackedSequence[] {
    let size = withEos(sample)
    if (size > this.length) { size = this.length; this.truncated++ }
    const piece: Piece = { sample, from: 0, to: size, base: 0 }
    let best: Bin | null = null
    for (const bin of this.bins) {
      if (bin.task !== sample.task || bin.fill + size > this.length) continue
      if (best === null || bin.fill > best.fill) best = bin
    }
    const out: PackedSequence[] = []
    if (best === null) {
      if (this.bins.length >= this.opts.openBins) out.push(this.emit(this.fullest()))
      best = { task: sample.task, fill: 0, pieces: [] }
      this.bins.push(best)
    }
    best.pieces.push(piece)
    best.fill += size
    if (best.fill === this.length) out.push(this.emit(best))
    return out
  }

  /** Every open sequence, oldest first. */
  flush (): PackedSequence[] {
    const out: PackedSequence[] = []
    while (this.bins.length > 0) out.push(this.emit(this.bins[0]!))
    return out
  }

  state (): BestFitState {
    return { bins: this.bins.map(b => ({ task: b.task, pieces: b.pieces.map(pieceState) })), truncated: this.truncated }
  }

  restore (state: BestFitState): void {
    this.bins = state.bins.map(b => {
      const pieces = b.pieces.map(restorePiece)
      return { task: b.task, pieces, fill: pieces.reduce((n, p) => n + p.to - p.from, 0) }
    })
    this.truncated = state.truncated
  }

  /** The fullest open sequence; the oldest among equals. */
  private fullest (): Bin {
    return this.bins.reduce((a, b) => b.fill > a.fill ? b : a)
  }

  private emit (bin: Bin): PackedSequence {
    this.bins.splice(this.bins.indexOf(bin), 1)
    return buildSequence(bin.pieces, this.length, this.ids, this.opts.maskPrompts)
  }
}
