import { PIECE_TYPE, type SentencePieceModel } from './model.ts'

/** Open-addressing hash table from a pair of non-negative integers to a value (-1: absent). */
class PairTable {
  private readonly left: Int32Array
  private readonly right: Int32Array
  private readonly value: Int32Array
  private readonly mask: number

  constructor (capacity: number) {
    let size = 16
    while (size < capacity * 2) size *= 2
    this.left = new Int32Array(size).fill(-1)
    this.right = new Int32Array(size)
    this.value = new Int32Array(size)
    this.mask = size - 1
  }

  private slot (l: number, r: number): number {
    let h = (Math.imul(l, 0x9e3779b1) ^ Math.imul(r + 0x7f4a7c15, 0x85ebca6b)) >>> 0
    h = (h ^ (h >>> 15)) & this.mask
    while (this.left[h] !== -1 && (this.left[h] !== l || this.right[h] !== r)) h = (h + 1) & this.mask
    return h
  }

  set (l: number, r: number, v: number): void {
    const h = this.slot(l, r)
    this.left[h] = l
    this.right[h] = r
    this.value[h] = v
  }

  get (l: number, r: number): number {
    const h = this.slot(l, r)
    return this.left[h] === -1 ? -1 : this.value[h]!
  }
}

/**
 * The BPE vocabulary as integer keys. A symbol during merging is always a single character or a
 * mergeable piece (merges only ever produce pieces), so it gets a key: the piece id when it is one,
 * otherwise a key past the pieces for characters that occur inside some piece, otherwise -1 (it can
 * never merge). `pairs` maps every split of every mergeable piece into two keyed halves to the
 * piece, so "is left+right a piece" is one integer lookup instead of a string concatenation.
 * `adjacent` holds every pair of code points that follow each other inside a mergeable piece.
 */
export class BpeVocab {
  readonly pieceCount: number
  readonly scores: Float32Array
  readonly pairs: PairTable
  readonly adjacent: PairTable
  /** User-defined pieces by first UTF-16 unit, longest first (matched whole and never merged further), or null. */
  readonly userDefined: Map<number, { piece: string, id: number }[]> | null
  private readonly bmpKeys = new Int32Array(0x10000).fill(-1)
  private readonly astralKeys = new Map<number, number>()

  constructor (model: SentencePieceModel, readonly ids: ReadonlyMap<string, number>) {
    this.pieceCount = model.pieces.length
    this.scores = model.scores
    let nextCharKey = this.pieceCount
    const keyOf = (s: string): number => {
      const id = ids.get(s)
      if (id !== undefined) return id
      const cp = s.codePointAt(0)!
      return s.length === (cp > 0xffff ? 2 : 1) ? this.charKey(cp) : -1
    }
    const multi: number[] = []
    for (const [piece, id] of ids) {
      const cp = piece.codePointAt(0)!
      if (piece.length === (cp > 0xffff ? 2 : 1)) this.setCharKey(cp, id)
      else multi.push(id)
    }
    for (const id of multi) {
      for (const ch of model.pieces[id]!) if (this.charKey(ch.codePointAt(0)!) === -1) this.setCharKey(ch.codePointAt(0)!, nextCharKey++)
    }
    let splits = 0
    for (const id of multi) splits += model.pieces[id]!.length
    this.pairs = new PairTable(splits)
    this.adjacent = new PairTable(splits)
    for (const id of multi) {
      const piece = model.pieces[id]!
      const cps = [...piece].map(ch => ch.codePointAt(0)!)
      for (let k = 1; k < cps.length; k++) this.adjacent.set(cps[k - 1]!, cps[k]!, 1)
      for (let at = 1; at < piece.length; at++) {
        const unit = piece.charCodeAt(at)
        if (unit >= 0xdc00 && unit < 0xe000) continue
        const l = keyOf(piece.slice(0, at))
        const r = keyOf(piece.slice(at))
        if (l !== -1 && r !== -1) this.pairs.set(l, r, id)
      }
    }
    const user = new Map<number, { piece: string, id: number }[]>()
    model.types.forEach((t, id) => {
      if (t !== PIECE_TYPE.userDefined) return
      const piece = model.pieces[id]!
      const list = user.get(piece.charCodeAt(0)) ?? []
      list.push({ piece, id })
      list.sort((a, b) => b.piece.length - a.piece.length)
      user.set(piece.charCodeAt(0), list)
    })
    this.userDefined = user.size > 0 ? user : null
  }

  charKey (cp: number): number {
    return cp < 0x10000 ? this.bmpKeys[cp]! : this.astralKeys.get(cp) ?? -1
  }

  private setCharKey (cp: number, key: number): void {
    if (cp < 0x10000) this.bmpKeys[cp] = key
    else this.astralKeys.set(cp, key)
  }
}
