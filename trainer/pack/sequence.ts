import type { PackedSequence, SequenceSpan, TokenizedSample } from './types.ts'

/** A piece of one sample placed in a sequence: tokens [from, to) of the sample followed by EOS. */
export interface Piece {
  sample: TokenizedSample
  /** Range in the sample's token stream, where index `tokens.length` is the EOS the packer appends. */
  from: number
  to: number
  /** Where `sample.tokens` starts in the whole document (non-zero for a piece restored from a resume state). */
  base: number
}

/** The tokens of a piece: the slice of the sample, plus EOS when the piece reaches the end. */
export function pieceLength (p: Piece): number {
  return p.to - p.from
}

/** Pieces in order, then padding, as one sequence of `length` tokens with segments, positions, loss mask and spans. */
export function buildSequence (pieces: Piece[], length: number, ids: { eos: number, pad: number }, maskPrompts: boolean): PackedSequence {
  const tokens = new Uint32Array(length).fill(ids.pad)
  const segments = new Int32Array(length).fill(-1)
  const positions = new Int32Array(length)
  const lossMask = new Uint8Array(length)
  const spans: SequenceSpan[] = []
  let at = 0
  for (const [segment, p] of pieces.entries()) {
    const { sample } = p
    const body = Math.min(p.to, sample.tokens.length)
    tokens.set(sample.tokens.subarray(p.from, body), at)
    if (p.to > sample.tokens.length) tokens[at + body - p.from] = ids.eos
    const n = pieceLength(p)
    for (let i = 0; i < n; i++) {
      segments[at + i] = segment
      positions[at + i] = i
      lossMask[at + i] = maskPrompts && p.from + i < sample.promptTokens ? 0 : 1
    }
    spans.push({ docId: sample.docId, source: sample.source, task: sample.task, start: at, end: at + n, docOffset: p.base + p.from })
    at += n
  }
  if (at > length) throw new Error(`packer bug: ${at} tokens for a sequence of ${length}`)
  return { tokens, segments, positions, lossMask, spans }
}

/** Token count of a sample with its EOS. */
export const withEos = (s: TokenizedSample): number => s.tokens.length + 1

/** A piece as JSON for a resume state: only its own tokens, base64. */
export interface PieceState {
  docId: string
  source: string
  task: string
  /** Prompt tokens left in the piece. */
  promptTokens: number
  tokens: string
  docOffset: number
  eos: boolean
}

export function pieceState (p: Piece): PieceState {
  const body = p.sample.tokens.subarray(p.from, Math.min(p.to, p.sample.tokens.length))
  return {
    docId: p.sample.docId,
    source: p.sample.source,
    task: p.sample.task,
    promptTokens: Math.max(0, p.sample.promptTokens - p.from),
    tokens: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('base64'),
    docOffset: p.base + p.from,
    eos: p.to > p.sample.tokens.length
  }
}

export function restorePiece (s: PieceState): Piece {
  const bytes = Buffer.from(s.tokens, 'base64')
  const tokens = new Uint32Array(bytes.byteLength / 4)
  new Uint8Array(tokens.buffer).set(bytes)
  return { sample: { docId: s.docId, source: s.source, task: s.task, tokens, promptTokens: s.promptTokens }, from: 0, to: tokens.length + (s.eos ? 1 : 0), base: s.docOffset }
}
