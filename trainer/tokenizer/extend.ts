import { SluiceError } from '../../schemas/errors.ts'
import { parseModelProto, PIECE_TYPE } from './model.ts'
import { protoFields } from './protobuf.ts'
import { ProtoWriter } from './protobuf-writer.ts'

const HAN = /\p{Script=Han}/gu

/** How often each Han character (by code point) occurs in `texts`; adds to `counts` when given. */
export function countHan (texts: Iterable<string>, counts = new Map<number, number>()): Map<number, number> {
  for (const text of texts) {
    for (const [c] of text.matchAll(HAN)) {
      const cp = c.codePointAt(0)!
      counts.set(cp, (counts.get(cp) ?? 0) + 1)
    }
  }
  return counts
}

export interface NewPiece { piece: string, count: number }

/**
 * The characters of `counts` that are not a piece of `vocabulary`, most frequent first; equal counts
 * by code point, so the same text always gives the same pieces in the same order.
 */
export function missingCharacters (counts: ReadonlyMap<number, number>, vocabulary: ReadonlySet<string>): NewPiece[] {
  return [...counts]
    .map(([cp, count]) => ({ cp, piece: String.fromCodePoint(cp), count }))
    .filter(c => !vocabulary.has(c.piece))
    .sort((a, b) => b.count - a.count || a.cp - b.cp)
    .map(({ piece, count }) => ({ piece, count }))
}

const f32 = new Float32Array(1)
const f32Bits = new Int32Array(f32.buffer)

/** The next float32 below a negative float32 (for negatives, one more in the bit pattern is one step away from zero). */
function float32Below (x: number): number {
  f32[0] = x
  f32Bits[0] = f32Bits[0]! + 1
  return f32[0]!
}

/**
 * Scores for `n` appended pieces: each strictly below every score of the base and below the one
 * before it, one apart where float32 can hold that (past 2^24 in magnitude, such as LLaMA's -1e9 for
 * whitespace-only pieces, one float32 step apart).
 *
 * Why this is enough: SentencePiece BPE starts from single characters and merges the adjacent pair
 * whose concatenation is the best-scoring piece, so the score of a one-character piece is never
 * looked at when encoding; the new pieces change nothing but turning a character that fell back to
 * bytes (or unk) into one token. Ranking them below everything, most frequent first, still keeps
 * the convention that a piece's score falls with its id, for tools that read merges from scores.
 */
export function appendedScores (baseScores: ArrayLike<number>, n: number): Float32Array {
  let score = 0
  for (let i = 0; i < baseScores.length; i++) score = Math.min(score, baseScores[i]!)
  const scores = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    const next = Math.fround(score - 1)
    score = next < score ? next : float32Below(score)
    scores[i] = score
  }
  return scores
}

/**
 * A copy of the serialized `ModelProto` with `pieces` appended after its last piece (ModelProto.pieces
 * = 1; SentencePiece piece = 1, score = 2, type = 3 in sentencepiece_model.proto). Every other byte is
 * the base's, so fields this code does not know (trainer and normalizer specs, self-test data,
 * fields of later versions) survive unchanged.
 */
export function appendPieces (base: Uint8Array, pieces: readonly { piece: string, score: number }[]): Uint8Array {
  let end = -1
  for (const f of protoFields(base)) {
    // `bytes` is a view into `base`, so where it ends is where the field ends
    if (f.field === 1) end = f.bytes.byteOffset - base.byteOffset + f.bytes.length
  }
  if (end < 0) throw new SluiceError('config', 'not a SentencePiece model: it has no pieces', { retryable: false })
  const added = new ProtoWriter()
  for (const p of pieces) added.bytes(1, new ProtoWriter().string(1, p.piece).float(2, p.score).varint(3, PIECE_TYPE.normal).finish())
  return Buffer.concat([base.subarray(0, end), added.finish(), base.subarray(end)])
}

export interface Extension {
  /** The new serialized model. */
  bytes: Uint8Array
  baseVocabSize: number
  /** The appended pieces in id order (the first has id `baseVocabSize`) with their counts in the text. */
  added: NewPiece[]
  /** Han characters in the text, all and distinct, and how many distinct ones the base lacked. */
  hanCharacters: number
  distinctHan: number
  missingHan: number
}

/**
 * Ziya2's vocabulary extension: the `add` most frequent Han characters of `counts` that the base
 * model lacks become new normal pieces at the end of its vocabulary; base ids are unchanged. Fewer
 * are added when the text has fewer missing characters.
 *
 * @example
 * const base = fs.readFileSync('../shared/data/tokenizers/llama2/tokenizer.model')
 * const { bytes } = extendVocabulary(base, countHan(readTexts('zh.jsonl')), 7400)
 */
export function extendVocabulary (base: Uint8Array, counts: ReadonlyMap<number, number>, add: number): Extension {
  const model = parseModelProto(base)
  const vocabulary = new Set(model.pieces)
  const missing = missingCharacters(counts, vocabulary)
  const added = missing.slice(0, add)
  const scores = appendedScores(model.scores, added.length)
  let hanCharacters = 0
  for (const c of counts.values()) hanCharacters += c
  return {
    bytes: appendPieces(base, added.map((p, i) => ({ piece: p.piece, score: scores[i]! }))),
    baseVocabSize: model.pieces.length,
    added,
    hanCharacters,
    distinctHan: counts.size,
    missingHan: missing.length
  }
}
