import { SluiceError } from '../../schemas/errors.ts'
import { protoFields } from './protobuf.ts'

/** `ModelProto.SentencePiece.Type` (sentencepiece_model.proto). */
export const PIECE_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const

const MODEL_TYPES: Record<number, string> = { 1: 'unigram', 2: 'bpe', 3: 'word', 4: 'char' }

/** The parts of a SentencePiece `ModelProto` that encoding and decoding read. */
export interface SentencePieceModel {
  pieces: string[]
  scores: Float32Array
  types: Uint8Array
  modelType: string
  byteFallback: boolean
  treatWhitespaceAsSuffix: boolean
  unkPiece: string
  bosPiece: string
  eosPiece: string
  padPiece: string
  unkSurface: string
  normalizer: NormalizerSpec
  /** Length of the denormalizer's precompiled character map (0: decoding output is not rewritten). */
  denormalizerCharsmapBytes: number
}

export interface NormalizerSpec {
  name: string
  /** Length of the precompiled character map; 0 is the identity normaliser LLaMA uses. */
  charsmapBytes: number
  addDummyPrefix: boolean
  removeExtraWhitespaces: boolean
  escapeWhitespaces: boolean
}

// ignoreBOM keeps a leading U+FEFF: LLaMA has it as a piece of its own
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

function text (bytes: Uint8Array, what: string): string {
  try {
    return utf8.decode(bytes)
  } catch (err) {
    throw new SluiceError('config', `not a valid SentencePiece model: ${what} is not UTF-8`, { retryable: false, cause: err })
  }
}

function normalizerSpec (bytes: Uint8Array | null): NormalizerSpec {
  // proto2 defaults: a model without the message normalises like one with an empty message
  const spec: NormalizerSpec = { name: '', charsmapBytes: 0, addDummyPrefix: true, removeExtraWhitespaces: true, escapeWhitespaces: true }
  for (const f of protoFields(bytes ?? new Uint8Array(0))) {
    if (f.field === 1) spec.name = text(f.bytes, 'normalizer name')
    else if (f.field === 2) spec.charsmapBytes = f.bytes.length
    else if (f.field === 3) spec.addDummyPrefix = f.int !== 0
    else if (f.field === 4) spec.removeExtraWhitespaces = f.int !== 0
    else if (f.field === 5) spec.escapeWhitespaces = f.int !== 0
  }
  return spec
}

/**
 * Reads a serialized SentencePiece `ModelProto` (field numbers from sentencepiece_model.proto).
 * Fields encoding does not depend on (training inputs, self-test data) are passed over.
 *
 * @example
 * const model = parseModelProto(fs.readFileSync('../shared/data/tokenizers/llama2/tokenizer.model'))
 */
export function parseModelProto (bytes: Uint8Array): SentencePieceModel {
  const pieces: string[] = []
  const scores: number[] = []
  const types: number[] = []
  let trainer: Uint8Array | null = null
  let normalizer: Uint8Array | null = null
  let denormalizer: Uint8Array | null = null
  for (const f of protoFields(bytes)) {
    if (f.field === 1) {
      let piece = ''
      let score = 0
      let type: number = PIECE_TYPE.normal
      for (const p of protoFields(f.bytes)) {
        if (p.field === 1) piece = text(p.bytes, `piece ${pieces.length}`)
        else if (p.field === 2) score = p.float
        else if (p.field === 3) type = p.int
      }
      pieces.push(piece)
      scores.push(score)
      types.push(type)
    } else if (f.field === 2) trainer = f.bytes
    else if (f.field === 3) normalizer = f.bytes
    else if (f.field === 5) denormalizer = f.bytes
  }
  const model: SentencePieceModel = {
    pieces,
    scores: Float32Array.from(scores),
    types: Uint8Array.from(types),
    modelType: 'unigram',
    byteFallback: false,
    treatWhitespaceAsSuffix: false,
    unkPiece: '<unk>',
    bosPiece: '<s>',
    eosPiece: '</s>',
    padPiece: '<pad>',
    unkSurface: ' \u2047 ',
    normalizer: normalizerSpec(normalizer),
    denormalizerCharsmapBytes: denormalizer === null ? 0 : normalizerSpec(denormalizer).charsmapBytes
  }
  for (const f of protoFields(trainer ?? new Uint8Array(0))) {
    if (f.field === 3) model.modelType = MODEL_TYPES[f.int] ?? `type ${f.int}`
    else if (f.field === 24) model.treatWhitespaceAsSuffix = f.int !== 0
    else if (f.field === 35) model.byteFallback = f.int !== 0
    else if (f.field === 44) model.unkSurface = text(f.bytes, 'unk_surface')
    else if (f.field === 45) model.unkPiece = text(f.bytes, 'unk_piece')
    else if (f.field === 46) model.bosPiece = text(f.bytes, 'bos_piece')
    else if (f.field === 47) model.eosPiece = text(f.bytes, 'eos_piece')
    else if (f.field === 48) model.padPiece = text(f.bytes, 'pad_piece')
  }
  if (pieces.length === 0) throw new SluiceError('config', 'not a SentencePiece model: it has no pieces', { retryable: false })
  return model
}
