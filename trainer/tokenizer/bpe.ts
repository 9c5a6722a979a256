import type { BpeVocab } from './vocab.ts'

/** A growable list of token ids. */
export class IdBuffer {
  ids = new Uint32Array(1024)
  length = 0

  push (id: number): void {
    if (this.length === this.ids.length) this.grow(this.length + 1)
    this.ids[this.length++] = id
  }

  private grow (min: number): void {
    const next = new Uint32Array(Math.max(min, this.ids.length * 2))
    next.set(this.ids.subarray(0, this.length))
    this.ids = next
  }
}

/**
 * The code point at `at` (before `end`); its UTF-16 width is 2 exactly when it is above U+FFFF. A lone
 * surrogate has no UTF-8 form: it reads as U+FFFD, as TextEncoder writes it and as the reference
 * reads malformed input.
 */
export function codePointAt (text: string, at: number, end: number): number {
  const c = text.charCodeAt(at)
  if (c < 0xd800 || c >= 0xe000) return c
  const low = at + 1 < end ? text.charCodeAt(at + 1) : 0
  return c < 0xdc00 && low >= 0xdc00 && low < 0xe000 ? ((c - 0xd800) << 10) + (low - 0xdc00) + 0x10000 : 0xfffd
}

/** What to emit for a symbol that is not a piece: its UTF-8 bytes as byte pieces, or the unknown piece. */
export interface UnknownPolicy { byteIds: Uint32Array | null, unkId: number }

/**
 * SentencePiece's BPE encoding (bpe_model.cc): every character starts as a symbol; repeatedly the
 * adjacent pair whose concatenation is the highest-scoring piece merges, ties going to the leftmost
 * pair. A binary heap of candidate pairs over a doubly linked list of symbols, as the reference does;
 * a candidate is stale once either symbol has been merged away or has grown (sizes only grow), which
 * is the reference's own check. Scratch arrays are reused between calls: one encoder per thread.
 */
export class BpeEncoder {
  private key = new Int32Array(256)
  private size = new Int32Array(256)
  private prev = new Int32Array(256)
  private next = new Int32Array(256)
  private cp = new Int32Array(256)
  private frozen = new Uint8Array(256)
  private hScore = new Float64Array(256)
  private hLeft = new Int32Array(256)
  private hRight = new Int32Array(256)
  private hSize = new Int32Array(256)
  private hPiece = new Int32Array(256)
  private heapLength = 0

  constructor (private readonly vocab: BpeVocab, private readonly unknown: UnknownPolicy) {}

  /** Appends the ids of `text.slice(start, end)` (already normalised) to `out`. */
  encode (text: string, start: number, end: number, out: IdBuffer): void {
    const n = this.symbols(text, start, end)
    this.heapLength = 0
    for (let i = 1; i < n; i++) this.candidate(i - 1, i)
    const { key, size, prev, next } = this
    while (this.heapLength > 0) {
      const l = this.hLeft[0]!
      const r = this.hRight[0]!
      const merged = this.hSize[0]!
      const piece = this.hPiece[0]!
      this.pop()
      if (size[l] === 0 || size[r] === 0 || size[l]! + size[r]! !== merged) continue
      key[l] = piece
      size[l] = merged
      size[r] = 0
      const after = next[r]!
      next[l] = after
      if (after >= 0) prev[after] = l
      this.candidate(prev[l]!, l)
      this.candidate(l, after)
    }
    for (let i = 0; i !== -1 && n > 0; i = next[i]!) {
      const k = key[i]!
      if (k >= 0 && k < this.vocab.pieceCount) out.push(k)
      else this.emitUnknown(this.cp[i]!, out)
    }
  }

  /** Splits into one symbol per code point (a user-defined piece is one frozen symbol); returns the count. */
  private symbols (text: string, start: number, end: number): number {
    if (end - start > this.key.length) this.growSymbols(end - start)
    const { key, size, prev, next, cp, frozen, vocab } = this
    let n = 0
    for (let i = start; i < end; n++) {
      prev[n] = n - 1
      next[n] = n + 1
      frozen[n] = 0
      const user = vocab.userDefined?.get(text.charCodeAt(i))?.find(u => i + u.piece.length <= end && text.startsWith(u.piece, i))
      if (user !== undefined) {
        key[n] = user.id
        size[n] = user.piece.length
        frozen[n] = 1
        i += user.piece.length
        continue
      }
      const c = codePointAt(text, i, end)
      const width = c > 0xffff ? 2 : 1
      key[n] = vocab.charKey(c)
      cp[n] = c
      size[n] = width
      i += width
    }
    if (n > 0) next[n - 1] = -1
    return n
  }

  private candidate (l: number, r: number): void {
    if (l < 0 || r < 0 || this.frozen[l] === 1 || this.frozen[r] === 1) return
    const kl = this.key[l]!
    const kr = this.key[r]!
    if (kl < 0 || kr < 0) return
    const piece = this.vocab.pairs.get(kl, kr)
    if (piece >= 0) this.push(this.vocab.scores[piece]!, l, r, this.size[l]! + this.size[r]!, piece)
  }

  private emitUnknown (c: number, out: IdBuffer): void {
    const bytes = this.unknown.byteIds
    if (bytes === null) { out.push(this.unknown.unkId); return }
    if (c < 0x80) {
      out.push(bytes[c]!)
    } else if (c < 0x800) {
      out.push(bytes[0xc0 | (c >> 6)]!); out.push(bytes[0x80 | (c & 0x3f)]!)
    } else if (c < 0x10000) {
      out.push(bytes[0xe0 | (c >> 12)]!); out.push(bytes[0x80 | ((c >> 6) & 0x3f)]!); out.push(bytes[0x80 | (c & 0x3f)]!)
    } else {
      out.push(bytes[0xf0 | (c >> 18)]!); out.push(bytes[0x80 | ((c >> 12) & 0x3f)]!)
      out.push(bytes[0x80 | ((c >> 6) & 0x3f)]!); out.push(bytes[0x80 | (c & 0x3f)]!)
    }
  }

  /** Heap order: higher score first, then the leftmost pair (the reference's SymbolPairComparator). */
  private before (a: number, b: number): boolean {
    const sa = this.hScore[a]!
    const sb = this.hScore[b]!
    return sa > sb || (sa === sb && this.hLeft[a]! < this.hLeft[b]!)
  }

  private push (score: number, l: number, r: number, merged: number, piece: number): void {
    if (this.heapLength === this.hScore.length) this.growHeap()
    let at = this.heapLength++
    this.put(at, score, l, r, merged, piece)
    while (at > 0) {
      const parent = (at - 1) >> 1
      if (!this.before(at, parent)) break
      this.swap(at, parent)
      at = parent
    }
  }

  private pop (): void {
    const last = --this.heapLength
    if (last === 0) return
    this.put(0, this.hScore[last]!, this.hLeft[last]!, this.hRight[last]!, this.hSize[last]!, this.hPiece[last]!)
    let at = 0
    for (;;) {
      const l = 2 * at + 1
      if (l >= last) break
      const child = l + 1 < last && this.before(l + 1, l) ? l + 1 : l
      if (!this.before(child, at)) break
      this.swap(at, child)
      at = child
    }
  }

  private put (at: number, score: number, l: number, r: number, merged: number, piece: number): void {
    this.hScore[at] = score
    this.hLeft[at] = l
    this.hRight[at] = r
    this.hSize[at] = merged
    this.hPiece[at] = piece
  }

  private swap (a: number, b: number): void {
    const s = this.hScore[a]!; const l = this.hLeft[a]!; const r = this.hRight[a]!; const m = this.hSize[a]!; const p = this.hPiece[a]!
    this.put(a, this.hScore[b]!, this.hLeft[b]!, this.hRight[b]!, this.hSize[b]!, this.hPiece[b]!)
    this.put(b, s, l, r, m, p)
  }

  private growSymbols (min: number): void {
    let n = this.key.length
    while (n < min) n *= 2
    this.key = new Int32Array(n); this.size = new Int32Array(n); this.prev = new Int32Array(n)
    this.next = new Int32Array(n); this.cp = new Int32Array(n); this.frozen = new Uint8Array(n)
  }

  private growHeap (): void {
    const n = this.hScore.length * 2
    const grown = <T extends Int32Array | Float64Array>(a: T, make: new (n: number) => T): T => { const b = new make(n); b.set(a); return b }
    this.hScore = grown(this.hScore, Float64Array)
    this.hLeft = grown(this.hLeft, Int32Array)
    this.hRight = grown(this.hRight, Int32Array)
    this.hSize = grown(this.hSize, Int32Array)
    this.hPiece = grown(this.hPiece, Int32Array)
  }
}
