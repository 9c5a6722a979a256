import fs from 'node:fs'
import { SluiceError } from '../../schemas/errors.ts'
import { BpeEncoder, codePointAt, IdBuffer } from './bpe.ts'
import { parseModelProto, PIECE_TYPE, type SentencePieceModel } from './model.ts'
import { BpeVocab } from './vocab.ts'

const SPACE_SYMBOL = '\u2581'
/** Segments up to this many UTF-16 units are cached: words and short phrases repeat, long runs do not. */
const CACHE_MAX_UNITS = 32
/** Cleared when it grows past this many segments, so memory stays bounded on endless input. */
const CACHE_MAX_ENTRIES = 500_000

function unsupported (message: string): never {
  throw new SluiceError('config', `unsupported SentencePiece model: ${message}`, { retryable: false })
}

/** The reference's IsValidDecodeUTF8: one well-formed character's byte length at `at`, or 0. */
function utf8Length (b: Uint8Array, at: number): number {
  const c = b[at]!
  const trail = (k: number) => at + k < b.length && (b[at + k]! & 0xc0) === 0x80
  if (c < 0x80) return 1
  if (c >= 0xc2 && c < 0xe0) return trail(1) ? 2 : 0
  if (c >= 0xe0 && c < 0xf0) {
    if (!trail(1) || !trail(2)) return 0
    const cp = ((c & 0x0f) << 12) | ((b[at + 1]! & 0x3f) << 6)
    return cp >= 0x800 && (cp < 0xd800 || cp >= 0xe000) ? 3 : 0
  }
  if (c >= 0xf0 && c < 0xf5) {
    if (!trail(1) || !trail(2) || !trail(3)) return 0
    const cp = ((c & 0x07) << 18) | ((b[at + 1]! & 0x3f) << 12)
    return cp >= 0x10000 && cp <= 0x10ffff ? 4 : 0
  }
  return 0
}

/**
 * A SentencePiece BPE tokenizer that encodes exactly like the reference library's `encode(text)`
 * (no BOS/EOS): the identity normaliser (optional dummy prefix, spaces to U+2581), BPE merges by
 * piece score, byte fallback, user-defined pieces. Unigram models and normalisers with a
 * precompiled character map (nmt_nfkc) are refused rather than encoded differently.
 *
 * Normalised text is cut between any two characters that never follow each other inside a
 * mergeable piece (before a run of U+2581, around most punctuation, between many CJK characters)
 * and the segments are encoded apart, short ones through a cache. That is exact: no merge can
 * produce a piece spanning the cut, so merges on the two sides never interact, and the
 * reference's order (best score, then leftmost) within each side is unchanged.
 *
 * @example
 * const tok = SentencePieceTokenizer.fromFile('../shared/data/tokenizers/llama2/tokenizer.model')
 * tok.encode('Hello world') // Uint32Array [15043, 3186]
 */
export class SentencePieceTokenizer {
  readonly vocabSize: number
  readonly unkId: number
  readonly bosId: number
  readonly eosId: number
  readonly padId: number
  private readonly ids = new Map<string, number>()
  private readonly encoder: BpeEncoder
  private readonly out = new IdBuffer()
  /** A segment's ids: one id as a number (most words), more as an array. */
  private readonly cache = new Map<string, number | Uint32Array>()
  private readonly vocab: BpeVocab
  private readonly space: string
  private readonly byteOf: Int16Array

  constructor (readonly model: SentencePieceModel) {
    const { pieces, types, normalizer } = model
    if (model.modelType !== 'bpe') unsupported(`model type ${model.modelType} (only BPE models such as LLaMA's are supported)`)
    if (normalizer.charsmapBytes > 0) unsupported(`normalizer "${normalizer.name}" rewrites text with a precompiled character map (only the identity normalizer is supported)`)
    if (model.denormalizerCharsmapBytes > 0) unsupported('a denormalizer rewrites decoded text')
    if (model.treatWhitespaceAsSuffix) unsupported('treat_whitespace_as_suffix')
    const mergeable = new Map<string, number>()
    let unk = -1
    this.byteOf = new Int16Array(pieces.length).fill(-1)
    for (const [id, piece] of pieces.entries()) {
      const type = types[id]!
      if (piece === '') unsupported(`piece ${id} is empty`)
      if (this.ids.has(piece)) unsupported(`piece "${piece}" is defined twice (${this.ids.get(piece)} and ${id})`)
      this.ids.set(piece, id)
      if (type === PIECE_TYPE.normal || type === PIECE_TYPE.userDefined) {
        mergeable.set(piece, id)
      } else if (type === PIECE_TYPE.unused) {
        unsupported(`piece ${id} "${piece}" is UNUSED (the reference re-splits merges into unused pieces; not implemented)`)
      } else if ([...piece].length === 1) {
        // the reference looks a single-character symbol up among these first; refused rather than mirrored
        unsupported(`piece ${id} "${piece}" is a one-character control, unknown or byte piece`)
      }
      if (type === PIECE_TYPE.unknown) {
        if (unk !== -1) unsupported(`two unknown pieces (${unk} and ${id})`)
        unk = id
      } else if (type === PIECE_TYPE.byte) {
        if (!model.byteFallback) unsupported(`byte piece ${piece} although byte_fallback is off`)
        const m = /^<0x([0-9A-F]{2})>$/.exec(piece)
        if (m === null) unsupported(`byte piece ${id} "${piece}" is not <0xXX>`)
        this.byteOf[id] = parseInt(m[1]!, 16)
      }
    }
    if (unk === -1) unsupported('no unknown piece')
    this.vocabSize = pieces.length
    this.unkId = unk
    const special = (piece: string, type: number) => { const id = this.ids.get(piece); return id !== undefined && types[id] === type ? id : -1 }
    this.bosId = special(model.bosPiece, PIECE_TYPE.control)
    this.eosId = special(model.eosPiece, PIECE_TYPE.control)
    this.padId = special(model.padPiece, PIECE_TYPE.control)
    const byteIds = model.byteFallback
      ? Uint32Array.from({ length: 256 }, (_, b) => this.ids.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`) ?? unk)
      : null
    this.vocab = new BpeVocab(model, mergeable)
    this.encoder = new BpeEncoder(this.vocab, { byteIds, unkId: unk })
    this.space = normalizer.escapeWhitespaces ? SPACE_SYMBOL : ' '
  }

  static fromFile (file: string): SentencePieceTokenizer {
    let bytes: Buffer
    try {
      bytes = fs.readFileSync(file)
    } catch (err) {
      throw new SluiceError('io', `cannot read the tokenizer model ${file}: ${(err as Error).message}`, { retryable: false, cause: err })
    }
    return new SentencePieceTokenizer(parseModelProto(bytes))
  }

  pieceOf (id: number): string {
    const piece = this.model.pieces[id]
    if (piece === undefined) throw new SluiceError('config', `token id ${id} is outside the vocabulary (0..${this.vocabSize - 1})`, { retryable: false })
    return piece
  }

  /** The id of a piece, or undefined when the vocabulary lacks it (the reference answers the unknown id). */
  idOf (piece: string): number | undefined {
    return this.ids.get(piece)
  }

  /** The token ids of `text`, as the reference's `encode(text)` gives them (no BOS/EOS). */
  encode (text: string): Uint32Array {
    const { normalizer } = this.model
    let t = text
    if (normalizer.removeExtraWhitespaces) t = t.replace(/^ +| +$/g, '').replace(/ {2,}/g, ' ')
    if (t === '') return new Uint32Array(0)
    if (normalizer.escapeWhitespaces) t = t.replaceAll(' ', SPACE_SYMBOL)
    if (normalizer.addDummyPrefix) t = this.space + t
    const out = this.out
    out.length = 0
    const adjacent = this.vocab.adjacent
    let start = 0
    let before = -1
    for (let at = 0; at < t.length; at += before > 0xffff ? 2 : 1) {
      const c = codePointAt(t, at, t.length)
      if (before !== -1 && adjacent.get(before, c) === -1) {
        this.segment(t, start, at)
        start = at
      }
      before = c
    }
    this.segment(t, start, t.length)
    if (this.model.byteFallback) return out.ids.slice(0, out.length)
    // the reference merges a run of unknown characters into one unknown token
    return out.ids.slice(0, out.length).filter((id, i, ids) => id !== this.unkId || i === 0 || ids[i - 1] !== this.unkId)
  }

  private segment (t: string, start: number, end: number): void {
    const out = this.out
    if (end - start > CACHE_MAX_UNITS) { this.encoder.encode(t, start, end, out); return }
    const key = t.slice(start, end)
    const hit = this.cache.get(key)
    if (typeof hit === 'number') { out.push(hit); return }
    if (hit !== undefined) { for (let i = 0; i < hit.length; i++) out.push(hit[i]!); return }
    const from = out.length
    this.encoder.encode(t, start, end, out)
    if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache.clear()
    this.cache.set(key, out.length - from === 1 ? out.ids[from]! : out.ids.slice(from, out.length))
  }

  /**
   * The text of `ids`, as the reference's `decode(ids)` gives it: control pieces vanish, the unknown
   * piece reads as unk_surface, runs of byte pieces are decoded as UTF-8 with each malformed byte
   * as U+FFFD, U+2581 becomes a space and the dummy prefix's space is dropped.
   */
  decode (ids: ArrayLike<number>): string {
    const { normalizer } = this.model
    const parts: string[] = []
    const bytes: number[] = []
    let textEmpty = true
    let bosSpace = true
    let bosSpaceSeen = false
    const flushBytes = () => {
      if (bytes.length === 0) return
      const b = Uint8Array.from(bytes)
      for (let at = 0; at < b.length;) {
        const n = utf8Length(b, at)
        parts.push(n === 0 ? '\ufffd' : Buffer.from(b.subarray(at, at + n)).toString('utf8'))
        at += Math.max(n, 1)
      }
      textEmpty = false
      bytes.length = 0
    }
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!
      const piece = this.pieceOf(id)
      const type = this.model.types[id]
      if (type === PIECE_TYPE.byte) { bytes.push(this.byteOf[id]!); continue }
      flushBytes()
      if (bosSpaceSeen || !textEmpty) bosSpace = false
      bosSpaceSeen = false
      let surface: string
      if (type === PIECE_TYPE.control) {
        surface = ''
      } else if (type === PIECE_TYPE.unknown) {
        surface = this.model.unkSurface
      } else {
        let p = piece
        if (bosSpace && (normalizer.addDummyPrefix || normalizer.removeExtraWhitespaces) && p.startsWith(SPACE_SYMBOL)) {
          p = p.slice(SPACE_SYMBOL.length)
          bosSpaceSeen = !normalizer.removeExtraWhitespaces
        }
        surface = p.replaceAll(SPACE_SYMBOL, ' ')
      }
      if (surface !== '') textEmpty = false
      parts.push(surface)
    }
    flushBytes()
    return parts.join('')
  }
}
