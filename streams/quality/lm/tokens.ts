import { fmix32 } from '../../dedup/shingles.ts'

/**
 * Tokenization of the n-gram language models, and the 64-bit token and n-gram keys they are
 * stored under (two 32-bit lanes, so lookups need no vocabulary strings).
 *
 * Both languages: NFKC (only when the text has non-ASCII characters), lower case, every decimal
 * digit folded to `0`. Each non-empty line is one sentence, scored as `<s> tokens </s>`; a line
 * without tokens is skipped. Lines, not sentences: web and Wikipedia lines are paragraphs, and
 * a sentence splitter would add its own errors for little gain in an n-gram model.
 *
 * - `zh`: every Han character is a token; so is every punctuation mark or symbol (Chinese
 *   punctuation carries fluency: keyword-stuffed pages show it); runs of other letters and digits
 *   (Latin words, numbers, kana) are one token each.
 * - `en`: words are runs of letters, digits and marks; an apostrophe inside a word is dropped
 *   (don't → dont); other punctuation and symbols separate words and are not tokens.
 *
 * Change anything here and bump `TOKENIZER_VERSION`: a model records the version it was trained
 * with and refuses to load under another.
 */
export type Lang = 'zh' | 'en'

export const TOKENIZER_VERSION = 1
export const BOS = '<s>'
export const EOS = '</s>'
export const UNK = '<unk>'

/** Character classes, one byte per BMP code unit. */
const SEP = 0
const NL = 1
const WORD = 2
const HAN = 3
const PUNCT = 4
const APOS = 5

const NON_ASCII = /[^\x00-\x7f]/

function classOf (cp: number): number {
  if (cp === 0x0a || cp === 0x2028 || cp === 0x2029) return NL
  const ch = String.fromCodePoint(cp)
  if (cp === 0x27 || cp === 0x2019 || cp === 0x02bc) return APOS
  if (/\p{Script=Han}/u.test(ch) && /[\p{L}\p{Nl}]/u.test(ch)) return HAN
  if (/[\p{L}\p{N}\p{M}]/u.test(ch)) return WORD
  if (/[\p{P}\p{S}]/u.test(ch)) return PUNCT
  return SEP
}

let classTable: Uint8Array | undefined
let foldTable: Uint16Array | undefined

/** Built once (~60 ms): a table lookup per character instead of a Unicode property match. */
function tables (): [Uint8Array, Uint16Array] {
  if (classTable !== undefined && foldTable !== undefined) return [classTable, foldTable]
  const cls = new Uint8Array(0x10000)
  const fold = new Uint16Array(0x10000)
  for (let cp = 0; cp < 0x10000; cp++) {
    fold[cp] = cp
    if (cp >= 0xd800 && cp < 0xe000) { cls[cp] = WORD; continue } // surrogates: resolved per pair
    cls[cp] = classOf(cp)
    if (/\p{Nd}/u.test(String.fromCharCode(cp))) fold[cp] = 0x30
  }
  classTable = cls
  foldTable = fold
  return [cls, fold]
}

const astralClasses = new Map<number, number>()
function astralClass (cp: number): number {
  let c = astralClasses.get(cp)
  if (c === undefined) { c = classOf(cp); astralClasses.set(cp, c) }
  return c
}

/** Lane seeds and multipliers: FNV-1a for the high lane, a murmur-style step for the low lane. */
const SEED_HI = 0x811c9dc5
const SEED_LO = 0x9747b28c
const MUL_HI = 0x01000193
const MUL_LO = 0x5bd1e995

/** The low lane is never 0: an empty slot of a model table has a 0 low lane. */
function finishLo (h: number): number {
  return fmix32(h) || 1
}

/** The 64-bit key (high lane, low lane) of one token, as the tokenizer computes it. */
export function hashToken (token: string): [number, number] {
  let hi = SEED_HI
  let lo = SEED_LO
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i)
    hi = Math.imul(hi ^ c, MUL_HI)
    lo = Math.imul(lo ^ c, MUL_LO)
    lo ^= lo >>> 15
  }
  return [fmix32(hi), finishLo(lo)]
}

/**
 * Extends an n-gram key by one word on the left: key(w0 w1..wk) = extend(key(w1..wk), key(w0)).
 * Left extension lets a scorer get the keys of all n-grams ending at a token in one pass.
 */
export function extendHi (hi: number, tokenHi: number): number {
  return fmix32((Math.imul(hi ^ 0x2545f491, 0x9e3779b1) + tokenHi) | 0)
}
export function extendLo (lo: number, tokenLo: number): number {
  return finishLo((Math.imul(lo ^ 0x68e31da4, 0x85ebca77) + tokenLo) | 0)
}

export const [BOS_HI, BOS_LO] = hashToken(BOS)
export const [EOS_HI, EOS_LO] = hashToken(EOS)

/** Token keys of a text with `<s>`/`</s>` around each line; views of buffers reused by the next call. */
export interface TokenKeys {
  hi: Uint32Array
  lo: Uint32Array
  /** Entries in `hi`/`lo`, markers included. */
  length: number
}

let bufHi = new Uint32Array(1 << 14)
let bufLo = new Uint32Array(1 << 14)

function fromCodes (codes: number[]): string {
  let s = ''
  for (let i = 0; i < codes.length; i += 8192) s += String.fromCharCode(...codes.slice(i, i + 8192))
  return s
}

function prepare (text: string): string {
  return (NON_ASCII.test(text) ? text.normalize('NFKC') : text).toLowerCase()
}

/**
 * One pass over the prepared text, shared by the fast path (keys only) and the string path
 * (`lines` given: the tokens as strings too), so both always cut the same tokens. No closures:
 * variables a closure writes live in a heap context, and this loop runs once per character.
 */
function scan (text: string, lang: Lang, lines: string[][] | null): TokenKeys {
  const [cls, fold] = tables()
  const t = prepare(text)
  const n = t.length
  // at most one token per code unit plus two markers per line
  const need = 2 * n + 2
  if (bufHi.length < need) { bufHi = new Uint32Array(need); bufLo = new Uint32Array(need) }
  const outHi = bufHi
  const outLo = bufLo
  const zh = lang === 'zh'
  const strings = lines !== null
  let len = 0
  let inLine = false
  let line: string[] = []
  let hi = SEED_HI
  let lo = SEED_LO
  let inWord = false
  let chars: number[] = []
  // i === n is a final line end
  for (let i = 0; i <= n; i++) {
    let c = i < n ? t.charCodeAt(i) : 0x0a
    let k = cls[c]!
    let c2 = -1
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < n) {
      const low = t.charCodeAt(i + 1)
      if (low >= 0xdc00 && low < 0xe000) { k = astralClass(0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00)); c2 = low; i++ }
    }
    if (k === HAN && !zh) k = WORD
    if (k === APOS) {
      // en: inside a word an apostrophe is dropped, elsewhere it separates; zh: punctuation
      if (zh) k = PUNCT
      else if (inWord && i + 1 < n && cls[t.charCodeAt(i + 1)] === WORD) continue
      else k = SEP
    }
    if (k === WORD) {
      c = fold[c]!
      hi = Math.imul(hi ^ c, MUL_HI); lo = Math.imul(lo ^ c, MUL_LO); lo ^= lo >>> 15
      if (strings) chars.push(c)
      if (c2 >= 0) {
        hi = Math.imul(hi ^ c2, MUL_HI); lo = Math.imul(lo ^ c2, MUL_LO); lo ^= lo >>> 15
        if (strings) chars.push(c2)
      }
      inWord = true
      continue
    }
    if (inWord) {
      if (!inLine) { inLine = true; outHi[len] = BOS_HI; outLo[len++] = BOS_LO; line = [] }
      outHi[len] = fmix32(hi); outLo[len++] = finishLo(lo)
      if (strings) { line.push(fromCodes(chars)); chars = [] }
      hi = SEED_HI; lo = SEED_LO; inWord = false
    }
    if (k === NL) {
      if (inLine) { outHi[len] = EOS_HI; outLo[len++] = EOS_LO; if (strings) lines.push(line) }
      inLine = false
      continue
    }
    if (k === HAN || (k === PUNCT && zh)) {
      let h = Math.imul(SEED_HI ^ c, MUL_HI)
      let l = Math.imul(SEED_LO ^ c, MUL_LO); l ^= l >>> 15
      if (c2 >= 0) { h = Math.imul(h ^ c2, MUL_HI); l = Math.imul(l ^ c2, MUL_LO); l ^= l >>> 15 }
      if (!inLine) { inLine = true; outHi[len] = BOS_HI; outLo[len++] = BOS_LO; line = [] }
      outHi[len] = fmix32(h); outLo[len++] = finishLo(l)
      if (strings) line.push(c2 >= 0 ? String.fromCharCode(c, c2) : String.fromCharCode(c))
    }
  }
  return { hi: outHi, lo: outLo, length: len }
}

/**
 * The token keys of a text, `<s>` and `</s>` around each line: what a model scores. A view of
 * buffers reused by the next call.
 *
 * @example
 * const { hi, lo, length } = tokenKeys('今天天气很好。\n明天下雨', 'zh') // 2 lines: 2 + 7 + 2 + 4 entries
 */
export function tokenKeys (text: string, lang: Lang): TokenKeys {
  return scan(text, lang, null)
}

/** The tokens of a text as strings, one array per non-empty line (no markers): for training and inspection. */
export function tokenize (text: string, lang: Lang): string[][] {
  const lines: string[][] = []
  scan(text, lang, lines)
  return lines
}
