import { SluiceError } from '../../../schemas/errors.ts'
import { modelId } from '../models.ts'
import { TDigest } from '../tdigest.ts'
import { BOS_LOG10, FORMAT_VERSION, HEADER_BYTES, LANG_CODES, LOAD, MAGIC, MAX_ORDER, NgramModel, SLOT_BYTES, slotOf, type ModelMeta } from './model.ts'
import { fmix32 } from '../../dedup/shingles.ts'
import { BOS, EOS, TOKENIZER_VERSION, UNK, extendHi, extendLo, hashToken, tokenize, type Lang } from './tokens.ts'

export interface TrainOptions {
  lang: Lang
  /** n-gram order (default 5, at most 8). */
  order?: number
  /**
   * Documents whose perplexities make the percentile scale (typical web text of the language).
   * Default: every tenth training document, held out of training.
   */
  calibration?: Iterable<string>
  /** Discounts when Chen–Goodman's estimate is undefined or out of range (lmplz's --discount_fallback). */
  discountFallback?: [number, number, number]
  /** Also return the model as ARPA text (for KenLM and inspection). */
  arpa?: boolean
  /** Called at each phase and every 1,000 documents. */
  onProgress?: (phase: string, done: number) => void
}

export interface TrainStats extends ModelMeta {
  bytes: number
  seconds: number
  /** Distinct n-grams whose 64-bit keys collided with another's in the same table (kept: the first). */
  keyCollisions: number
}

export interface TrainedModel {
  bytes: Uint8Array
  id: string
  stats: TrainStats
  arpa?: string
}

const DEFAULT_FALLBACK: [number, number, number] = [0.5, 1, 1.5]
const ROOT = 0

/**
 * n-grams of one order as a trie level: entry i is (prefix[i], word[i]), prefix an entry of the
 * order below (ROOT for unigrams); an open-addressing index finds an entry by its pair.
 */
class Level {
  prefix = new Uint32Array(1024)
  word = new Uint32Array(1024)
  count = new Uint32Array(1024)
  size = 0
  private index = new Int32Array(2048)
  private mask = 2047

  private static hash (p: number, w: number): number {
    return fmix32(Math.imul(p ^ Math.imul(w, 0x85ebca77), 0x9e3779b1) ^ w)
  }

  /** The entry of (p, w), or −1. */
  find (p: number, w: number): number {
    let s = Level.hash(p, w) & this.mask
    for (;;) {
      const i = this.index[s]! - 1
      if (i < 0) return -1
      if (this.word[i] === w && this.prefix[i] === p) return i
      s = (s + 1) & this.mask
    }
  }

  /** Counts one occurrence of (p, w); returns its entry. */
  add (p: number, w: number): number {
    let s = Level.hash(p, w) & this.mask
    for (;;) {
      const i = this.index[s]! - 1
      if (i < 0) break
      if (this.word[i] === w && this.prefix[i] === p) { this.count[i]!++; return i }
      s = (s + 1) & this.mask
    }
    if (this.size === this.prefix.length) {
      const grow = (a: Uint32Array) => { const b = new Uint32Array(a.length * 2); b.set(a); return b }
      this.prefix = grow(this.prefix); this.word = grow(this.word); this.count = grow(this.count)
    }
    const i = this.size++
    this.prefix[i] = p; this.word[i] = w; this.count[i] = 1
    this.index[s] = i + 1
    if (this.size * 2 > this.index.length) this.rehash()
    return i
  }

  private rehash (): void {
    this.index = new Int32Array(this.index.length * 2)
    this.mask = this.index.length - 1
    for (let i = 0; i < this.size; i++) {
      let s = Level.hash(this.prefix[i]!, this.word[i]!) & this.mask
      while (this.index[s] !== 0) s = (s + 1) & this.mask
      this.index[s] = i + 1
    }
  }
}

/** Where each n-gram of one order goes in its table. */
interface Layout {
  /** Home slots (`slotOf`'s range). */
  slots: number
  /** Slots in the file: the home slots, the overflow past the last one, and an empty sentinel. */
  physical: number
  /** Entries in table order (64-bit duplicates left out) and their slots. */
  entry: Uint32Array
  position: Uint32Array
  collisions: number
}

/** Indices of `keys` sorted by value: LSD radix sort, two 16-bit passes. */
function sortByKey (keys: Uint32Array): Uint32Array {
  let from = Uint32Array.from({ length: keys.length }, (_, i) => i)
  let to = new Uint32Array(keys.length)
  for (const shift of [0, 16]) {
    const counts = new Uint32Array(65537)
    for (let i = 0; i < keys.length; i++) counts[((keys[i]! >>> shift) & 0xffff) + 1]!++
    for (let b = 1; b <= 65536; b++) counts[b]! += counts[b - 1]!
    for (let i = 0; i < from.length; i++) { const e = from[i]!; to[counts[(keys[e]! >>> shift) & 0xffff]!++] = e }
    const t = from; from = to; to = t
  }
  return from
}

/**
 * Ordered linear probing: entries sorted by the key's high lane, each at its home slot or the
 * first free slot after the previous one, never wrapping (the overflow goes past the end). Then
 * a lookup stops at the first slot whose high lane is larger than the one it seeks, so a miss
 * reads about as many slots as a hit (3 at load 0.8, against 13 for plain linear probing).
 */
function layOut (hi: Uint32Array, lo: Uint32Array): Layout {
  const slots = Math.max(1, Math.ceil(hi.length / LOAD))
  const order = sortByKey(hi)
  const entry = new Uint32Array(order.length)
  const position = new Uint32Array(order.length)
  let placed = 0
  let collisions = 0
  let next = 0
  for (let k = 0; k < order.length; k++) {
    const e = order[k]!
    let dup = false
    for (let j = k - 1; j >= 0 && hi[order[j]!] === hi[e]; j--) if (lo[order[j]!] === lo[e]) { dup = true; break }
    if (dup) { collisions++; continue }
    const s = Math.max(slotOf(hi[e]!, slots), next)
    entry[placed] = e
    position[placed++] = s
    next = s + 1
  }
  return { slots, physical: Math.max(slots, next) + 1, entry: entry.subarray(0, placed), position: position.subarray(0, placed), collisions }
}

/** Chen & Goodman's modified Kneser–Ney discounts (their eq. 26) from the counts of adjusted counts 1..4; null when undefined or out of range. */
export function chenGoodmanDiscounts (t: readonly number[]): [number, number, number] | null {
  const [t1, t2, t3, t4] = t as [number, number, number, number]
  if (t1 === 0 || t2 === 0 || t3 === 0 || t4 === 0) return null
  const y = t1 / (t1 + 2 * t2)
  const d: [number, number, number] = [1 - 2 * y * t2 / t1, 2 - 3 * y * t3 / t2, 3 - 4 * y * t4 / t3]
  return d.every((x, j) => x >= 0 && x <= j + 1) ? d : null
}

/**
 * log10 γ as stored: a context with extensions always gets a non-zero backoff, because scoring
 * reads "backoff ≠ 0" as "longer n-grams may follow" (γ is below 1 whenever D1 < 1; the guard is
 * for fallback discounts of 1).
 */
function storedBackoff (gamma: number, extendable: boolean): number {
  const l = Math.log10(gamma)
  return extendable && Math.fround(l) === 0 ? -1e-7 : l
}

function quartiles (d: TDigest): [number, number, number] {
  return [d.quantile(0.25), d.quantile(0.5), d.quantile(0.75)]
}

/**
 * Trains an n-gram language model with interpolated modified Kneser–Ney smoothing, as KenLM's
 * lmplz does (no pruning), in five named steps:
 *
 * 1. count: every n-gram of order 1..N of `<s> line </s>` (`tokens.ts`), as a trie of counts;
 * 2. adjust: the highest order and n-grams starting with `<s>` keep their counts, every other
 *    n-gram gets its continuation count (distinct words seen to its left);
 * 3. discount: per order D1, D2, D3+ from the counts of adjusted counts 1..4 (Chen & Goodman);
 * 4. interpolate: p(w|h) = (a(hw) − D(a(hw))) / Σa(h·) + γ(h) p(w|h'), γ(h) = (D1 N1(h·) +
 *    D2 N2(h·) + D3+ N3+(h·)) / Σa(h·); unigrams interpolate with the uniform distribution over
 *    the vocabulary (`<unk>` and `</s>` in, `<s>` out), which is also `<unk>`'s probability;
 * 5. write: per order a hash table of 64-bit keys with log10 p and log10 γ (`model.ts`), then the
 *    t-digest of the calibration documents' perplexities under the model just built.
 *
 * Everything is in memory: about 100 bytes per distinct n-gram while training (490 MB peak RSS for
 * the 3.1M n-grams of the English reference model).
 *
 * @example
 * const { bytes, id, stats } = trainNgramModel(zhWikiLines, { lang: 'zh', calibration: zhWebDocs })
 * saveModel(modelsDir, 'lm.zh', id, 'lm', bytes)
 */
export function trainNgramModel (texts: Iterable<string>, opts: TrainOptions): TrainedModel {
  const started = performance.now()
  const N = opts.order ?? 5
  if (!Number.isInteger(N) || N < 1 || N > MAX_ORDER) throw new SluiceError('config', `order must be an integer in [1, ${MAX_ORDER}], got ${N}`, { retryable: false })
  const fallback = opts.discountFallback ?? DEFAULT_FALLBACK
  const progress = opts.onProgress ?? (() => {})

  // 1. count
  const vocab = new Map<string, number>([[UNK, 0], [BOS, 1], [EOS, 2]])
  const words: string[] = [UNK, BOS, EOS]
  const idOf = (t: string) => {
    let id = vocab.get(t)
    if (id === undefined) { id = words.length; vocab.set(t, id); words.push(t) }
    return id
  }
  const levels = Array.from({ length: N + 1 }, () => new Level())
  const heldOut: string[] = []
  let documents = 0
  let sentences = 0
  let tokens = 0
  let ends = new Uint32Array(N + 1)
  let next = new Uint32Array(N + 1)
  let seq = new Uint32Array(1024)
  for (const text of texts) {
    documents++
    if (opts.calibration === undefined && documents % 10 === 0) { heldOut.push(text); continue }
    if (documents % 1000 === 0) progress('count', documents)
    for (const line of tokenize(text, opts.lang)) {
      sentences++
      tokens += line.length
      const len = line.length + 2
      if (seq.length < len) seq = new Uint32Array(len * 2)
      seq[0] = 1
      for (let i = 0; i < line.length; i++) seq[i + 1] = idOf(line[i]!)
      seq[len - 1] = 2
      for (let i = 0; i < len; i++) {
        const w = seq[i]!
        next[1] = levels[1]!.add(ROOT, w)
        const longest = Math.min(N, i + 1)
        for (let n = 2; n <= longest; n++) next[n] = levels[n]!.add(ends[n - 1]!, w)
        const t = ends; ends = next; next = t
      }
    }
  }
  progress('adjust', documents)
  if (levels[1]!.size === 0) throw new SluiceError('config', 'no training text has a token; check --lang and the input files', { retryable: false })

  // 2. adjust: suffix links, <s>-initial flags, continuation counts
  const bosUnigram = levels[1]!.find(ROOT, 1)
  const suffix: Uint32Array[] = [new Uint32Array(0)]
  const first: Uint32Array[] = [new Uint32Array(0)]
  const bos: Uint8Array[] = [new Uint8Array(0)]
  for (let n = 1; n <= N; n++) {
    const L = levels[n]!
    const suf = new Uint32Array(L.size)
    const fst = new Uint32Array(L.size)
    const b = new Uint8Array(L.size)
    for (let e = 0; e < L.size; e++) {
      const p = L.prefix[e]!
      if (n === 1) { suf[e] = ROOT; fst[e] = L.word[e]!; b[e] = e === bosUnigram ? 1 : 0; continue }
      const ps = n === 2 ? ROOT : suffix[n - 1]![p]!
      const s = levels[n - 1]!.find(ps, L.word[e]!)
      if (s < 0) throw new Error(`internal: the suffix of a ${n}-gram is not counted`)
      suf[e] = s
      fst[e] = first[n - 1]![p]!
      b[e] = bos[n - 1]![p]!
    }
    suffix.push(suf); first.push(fst); bos.push(b)
  }
  const adjusted: Uint32Array[] = [new Uint32Array(0)]
  for (let n = 1; n <= N; n++) {
    const L = levels[n]!
    if (n === N) { adjusted.push(L.count.slice(0, L.size)); continue }
    const cont = new Uint32Array(L.size)
    const up = levels[n + 1]!
    for (let e = 0; e < up.size; e++) cont[suffix[n + 1]![e]!]!++
    for (let e = 0; e < L.size; e++) if (bos[n]![e] === 1) cont[e] = L.count[e]!
    adjusted.push(cont)
  }

  // 3. discount
  const countOfCounts: number[][] = []
  const discounts: number[][] = []
  const discountFallback: number[] = []
  for (let n = 1; n <= N; n++) {
    const t = [0, 0, 0, 0]
    const a = adjusted[n]!
    for (let e = 0; e < a.length; e++) {
      if (n === 1 && e === bosUnigram) continue
      const c = a[e]!
      if (c >= 1 && c <= 4) t[c - 1]!++
    }
    countOfCounts.push(t)
    const d = chenGoodmanDiscounts(t)
    if (d === null) discountFallback.push(n)
    discounts.push(d ?? [...fallback])
  }
  const discount = (n: number, c: number) => c === 0 ? 0 : discounts[n - 1]![Math.min(c, 3) - 1]!
  progress('interpolate', documents)

  // 4. interpolate: context sums (Σa, N1, N2, N3+) of the order below, then probabilities order by order
  const prob: Float64Array[] = [new Float64Array(0)]
  const gamma: Float64Array[] = [] // gamma[n][e]: γ of order-n entry e as a context (n < N)
  const hasExtensions: Uint8Array[] = [] // hasExtensions[n][e]: order-n entry e is the context of an (n+1)-gram
  const vocabSize = levels[1]!.size // <s> out, <unk> in
  let uniGamma = 0
  for (let n = 1; n <= N; n++) {
    const L = levels[n]!
    const a = adjusted[n]!
    const ctxSize = n === 1 ? 1 : levels[n - 1]!.size
    const denom = new Float64Array(ctxSize)
    const nk = new Float64Array(ctxSize)
    for (let e = 0; e < L.size; e++) {
      if (n === 1 && e === bosUnigram) continue
      const c = n === 1 ? 0 : L.prefix[e]!
      denom[c] = denom[c]! + a[e]!
      nk[c] = nk[c]! + discount(n, a[e]!)
    }
    const g = new Float64Array(ctxSize)
    for (let c = 0; c < ctxSize; c++) g[c] = denom[c]! > 0 ? nk[c]! / denom[c]! : 1
    if (n === 1) uniGamma = g[0]!
    else { gamma[n - 1] = g; hasExtensions[n - 1] = Uint8Array.from(denom, d => d > 0 ? 1 : 0) }
    const p = new Float64Array(L.size)
    for (let e = 0; e < L.size; e++) {
      if (n === 1) {
        p[e] = e === bosUnigram ? 0 : (a[e]! - discount(1, a[e]!)) / denom[0]! + uniGamma / vocabSize
        continue
      }
      const c = L.prefix[e]!
      p[e] = (a[e]! - discount(n, a[e]!)) / denom[c]! + g[c]! * prob[n - 1]![suffix[n]![e]!]!
    }
    prob.push(p)
  }
  gamma[N] = new Float64Array(levels[N]!.size).fill(1)
  hasExtensions[N] = new Uint8Array(levels[N]!.size)
  const unkLog10 = Math.log10(uniGamma / vocabSize)
  progress('write', documents)

  // 5. write
  const tokenKey = words.map(hashToken)
  const keyHi: Uint32Array[] = [new Uint32Array(0)]
  const keyLo: Uint32Array[] = [new Uint32Array(0)]
  const layouts: Layout[] = []
  let offset = Math.ceil((HEADER_BYTES + 16 * N) / SLOT_BYTES) * SLOT_BYTES
  const offsets = [0]
  let collisions = 0
  for (let n = 1; n <= N; n++) {
    const L = levels[n]!
    const hi = new Uint32Array(L.size)
    const lo = new Uint32Array(L.size)
    for (let e = 0; e < L.size; e++) {
      const [th, tl] = tokenKey[n === 1 ? L.word[e]! : first[n]![e]!]!
      if (n === 1) { hi[e] = th; lo[e] = tl; continue }
      hi[e] = extendHi(keyHi[n - 1]![suffix[n]![e]!]!, th)
      lo[e] = extendLo(keyLo[n - 1]![suffix[n]![e]!]!, tl)
    }
    keyHi.push(hi); keyLo.push(lo)
    const layout = layOut(hi, lo)
    collisions += layout.collisions
    layouts[n] = layout
    offsets.push(offset)
    offset += layout.physical * SLOT_BYTES
  }
  const tablesEnd = offset
  const build = (digest: Uint8Array, meta: Uint8Array): Uint8Array => {
    const digestOffset = tablesEnd
    const metaOffset = digestOffset + digest.byteLength
    const total = Math.ceil((metaOffset + meta.byteLength) / SLOT_BYTES) * SLOT_BYTES
    const buf = new ArrayBuffer(total)
    const bytes = new Uint8Array(buf)
    const u = new Uint32Array(buf)
    const f = new Float32Array(buf)
    bytes.set(Buffer.from(MAGIC, 'latin1'), 0)
    u.set([FORMAT_VERSION, TOKENIZER_VERSION, LANG_CODES[opts.lang], N], 2)
    f[6] = unkLog10
    u.set([digestOffset, digest.byteLength, metaOffset, meta.byteLength], 7)
    for (let n = 1; n <= N; n++) {
      const { slots, physical, entry, position } = layouts[n]!
      u.set([slots, levels[n]!.size, offsets[n]!, physical], (HEADER_BYTES >> 2) + 4 * (n - 1))
      const base = offsets[n]! >> 2
      for (let k = 0; k < entry.length; k++) {
        const e = entry[k]!
        const r = base + (position[k]! << 2)
        u[r] = keyHi[n]![e]!
        u[r + 1] = keyLo[n]![e]!
        f[r + 2] = n === 1 && e === bosUnigram ? BOS_LOG10 : Math.log10(prob[n]![e]!)
        f[r + 3] = n === N ? 0 : storedBackoff(gamma[n]![e]!, hasExtensions[n]![e] === 1)
      }
    }
    bytes.set(digest, digestOffset)
    bytes.set(meta, metaOffset)
    return bytes
  }

  const base: Omit<ModelMeta, 'calibration'> = {
    lang: opts.lang,
    order: N,
    tokenizerVersion: TOKENIZER_VERSION,
    documents: documents - heldOut.length,
    sentences,
    tokens,
    vocabulary: words.length - 1,
    ngrams: levels.slice(1).map(l => l.size),
    discounts,
    discountFallback,
    countOfCounts
  }
  // the calibration documents are scored by the model itself, before its digest is known
  const draft = NgramModel.fromBytes(build(new TDigest().add(1).serialize(), Buffer.from(JSON.stringify({ ...base, calibration: { documents: 0, source: 'held-out', quartiles: [0, 0, 0] } }))))
  progress('calibrate', 0)
  const digest = new TDigest()
  let calibrated = 0
  for (const text of opts.calibration ?? heldOut) {
    const ppl = draft.perplexity(text)
    if (ppl === null) continue
    digest.add(ppl)
    if (++calibrated % 1000 === 0) progress('calibrate', calibrated)
  }
  if (calibrated === 0) {
    throw new SluiceError('config', opts.calibration === undefined
      ? `no held-out document has a token (every tenth of ${documents} training documents is held out for calibration): give more documents or a calibration set`
      : 'no calibration document has a token: give typical web text of the language (--calibrate)', { retryable: false })
  }
  const meta: ModelMeta = { ...base, calibration: { documents: calibrated, source: opts.calibration === undefined ? 'held-out' : 'given', quartiles: quartiles(digest) } }
  const bytes = build(digest.serialize(), Buffer.from(JSON.stringify(meta)))
  const id = modelId(`lm-${opts.lang}`, bytes)
  const stats: TrainStats = { ...meta, bytes: bytes.byteLength, seconds: (performance.now() - started) / 1000, keyCollisions: collisions }
  const out: TrainedModel = { bytes, id, stats }
  if (opts.arpa === true) out.arpa = toArpa()
  return out

  /** ARPA text of the model (the n-grams in trie order, words as the tokenizer cut them). */
  function toArpa (): string {
    const parts: string[] = ['\\data\\']
    for (let n = 1; n <= N; n++) parts.push(`ngram ${n}=${levels[n]!.size + (n === 1 ? 1 : 0)}`)
    const text = (n: number, e: number): string => n === 1 ? words[levels[1]!.word[e]!]! : `${text(n - 1, levels[n]!.prefix[e]!)} ${words[levels[n]!.word[e]!]!}`
    for (let n = 1; n <= N; n++) {
      parts.push('', `\\${n}-grams:`)
      if (n === 1) parts.push(`${unkLog10}\t${UNK}\t0`)
      for (let e = 0; e < levels[n]!.size; e++) {
        const p = n === 1 && e === bosUnigram ? BOS_LOG10 : Math.log10(prob[n]![e]!)
        parts.push(n === N ? `${p}\t${text(n, e)}` : `${p}\t${text(n, e)}\t${Math.log10(gamma[n]![e]!)}`)
      }
    }
    parts.push('', '\\end\\', '')
    return parts.join('\n')
  }
}
