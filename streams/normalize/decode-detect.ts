import { isUtf8 } from 'node:buffer'
import { forEachSequence } from './decode-encoder.ts'
import { JA_PUNCT, KO, ZH, ZH_PUNCT } from './decode-frequent.ts'

/** What detection chooses among, in the order that breaks ties (Chinese and English first: Ziya2's languages). */
export const CANDIDATES = ['utf-8', 'gb18030', 'big5', 'windows-1252', 'shift_jis', 'euc-jp', 'euc-kr'] as const
export type Candidate = typeof CANDIDATES[number]

export interface Detection {
  charset: Candidate
  /** Winner's score minus the runner-up's, in [0, 1]; 1 for valid UTF-8 with several multibyte characters. */
  confidence: number
  /** Each candidate's share of the sample's high bytes that its decoding explains (see `scoreAs`). */
  scores: Partial<Record<Candidate, number>>
}

/** Detection looks at this much from the first non-ASCII byte: enough for a stable score, bounded cost. */
const SAMPLE_BYTES = 16 * 1024

const HIRAGANA: [number, number] = [0x3041, 0x3096]
const KATAKANA: [number, number] = [0x30a1, 0x30fc]
const FREQUENT: Record<'zh' | 'ja' | 'ko', Array<string | [number, number]>> = {
  zh: [ZH, ZH_PUNCT],
  ja: [HIRAGANA, KATAKANA, JA_PUNCT],
  ko: [KO]
}
const FAMILY = { gb18030: 'zh', big5: 'zh', shift_jis: 'ja', 'euc-jp': 'ja', 'euc-kr': 'ko' } as const
type DoubleByte = keyof typeof FAMILY

const INVALID = 0
const VALID = 1
const COMMON = 2
const FREQUENT_CHAR = 3

/**
 * Each encoding's first-level block (symbols, kana or Hangul, the most used Han characters:
 * GB2312 level 1, Big5 A440-C67E, JIS level 1, KS X 1001 Hangul), as lead-byte ranges and the
 * lowest trail byte (GBK's and UHC's extensions, with trails below 0xA1, are rare characters).
 * A character from there is plausible even when it is not a frequent one, which matters for short texts.
 */
const COMMON_BLOCK: Record<DoubleByte, { leads: Array<[number, number]>, minTrail: number }> = {
  gb18030: { leads: [[0xa1, 0xa9], [0xb0, 0xd7]], minTrail: 0xa1 },
  big5: { leads: [[0xa1, 0xc6]], minTrail: 0x40 },
  shift_jis: { leads: [[0x81, 0x84], [0x88, 0x98]], minTrail: 0x40 },
  'euc-jp': { leads: [[0xa1, 0xa8], [0xb0, 0xcf]], minTrail: 0xa1 },
  'euc-kr': { leads: [[0xa1, 0xac], [0xb0, 0xc8]], minTrail: 0xa1 }
}

/**
 * Class of every byte pair (`lead << 8 | trail`) and of every single high byte in a double-byte
 * encoding, so scoring reads bytes instead of decoding each candidate (several times faster).
 * Built on first use, in tens of milliseconds per encoding.
 */
interface ByteClasses { pairs: Uint8Array, singles: Uint8Array }
const classes = new Map<DoubleByte, ByteClasses>()

function byteClasses (charset: DoubleByte): ByteClasses {
  let c = classes.get(charset)
  if (c !== undefined) return c
  const frequent = new Set<number>()
  for (const g of FREQUENT[FAMILY[charset]]) {
    if (typeof g === 'string') for (const ch of g) frequent.add(ch.codePointAt(0)!)
    else for (let cp = g[0]; cp <= g[1]; cp++) frequent.add(cp)
  }
  const pairs = new Uint8Array(0x10000)
  const singles = new Uint8Array(0x100)
  const { leads, minTrail } = COMMON_BLOCK[charset]
  const common = ([lead, trail]: number[]): boolean => trail! >= minTrail && leads.some(([from, to]) => lead! >= from && lead! <= to)
  forEachSequence(charset, (bytes, cp) => {
    const cls = frequent.has(cp) ? FREQUENT_CHAR : bytes.length === 2 && common(bytes) ? COMMON : VALID
    if (bytes.length === 2) pairs[bytes[0]! << 8 | bytes[1]!] = cls
    else if (bytes[0]! >= 0x80) singles[bytes[0]!] = cls
  })
  classes.set(charset, c = { pairs, singles })
  return c
}

export function highByteCount (bytes: Uint8Array): number {
  let n = 0
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) n++
  return n
}


/**
 * UTF-8's structure is distinctive and real UTF-8 has next to no errors, so every high byte
 * outside a well-formed sequence costs four: 5 * valid / high - 4.
 */
function utf8Score (s: Uint8Array, high: number): number {
  let valid = 0
  for (let i = 0; i < s.length;) {
    const b = s[i]!
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1
    let k = 0
    while (k < need && i + 1 + k < s.length && (s[i + 1 + k]! & 0xc0) === 0x80) k++
    if (need > 0 && k === need) valid += need + 1
    i += need > 0 && k === need ? need + 1 : 1
  }
  return 5 * valid / high - 4
}

/**
 * A wrong double-byte reading still yields characters, but seldom frequent ones: the score is the
 * share of high bytes in frequent characters, those in common ones counting half, each invalid
 * sequence costing two. Bytes are walked as the WHATWG decoders do, closely enough for scoring.
 */
const WEIGHT = [-2, 0, 0.5, 1] // per high byte, by class: INVALID, VALID, COMMON, FREQUENT_CHAR

function doubleByteScore (s: Uint8Array, high: number, charset: DoubleByte): number {
  const { pairs, singles } = byteClasses(charset)
  let hits = 0
  for (let i = 0; i < s.length;) {
    const b = s[i]!
    if (b < 0x80) { i++; continue }
    if (charset === 'gb18030' && s[i + 1]! >= 0x30 && s[i + 1]! <= 0x39) { i += 4; continue } // four-byte form: valid, rare
    const single = singles[b]!
    if (single !== INVALID) { hits += WEIGHT[single]!; i++; continue }
    const trail = i + 1 < s.length ? s[i + 1]! : 0
    const pair = pairs[b << 8 | trail]!
    if (pair === INVALID) { hits += 2 * WEIGHT[INVALID]!; i++; continue }
    // a pair with an ASCII trail explains one high byte: Latin "’s" read as Shift_JIS must not look like two
    hits += WEIGHT[pair]! * (trail >= 0x80 ? 2 : 1)
    i += 2
  }
  return hits / high
}

/**
 * Western text has isolated accented letters and curly quotes among ASCII; CJK bytes read as
 * windows-1252 become runs of accented letters. A lone high byte counts fully, one of a pair
 * half, longer runs not at all; the five bytes windows-1252 leaves undefined count nothing.
 */
function westernScore (s: Uint8Array, high: number): number {
  let hits = 0
  let run = 0
  let runHits = 0
  for (let i = 0; i <= s.length; i++) {
    const b = i < s.length ? s[i]! : 0
    if (b >= 0x80) {
      run++
      if (b !== 0x81 && b !== 0x8d && b !== 0x8f && b !== 0x90 && b !== 0x9d) runHits++
      continue
    }
    if (run === 1) hits += runHits
    else if (run === 2) hits += runHits / 2
    run = runHits = 0
  }
  return hits / high
}

/** How well `charset` explains `sample` (which must hold high bytes): about 1 for the right one, near or below 0 for wrong ones. */
export function scoreAs (sample: Uint8Array, charset: Candidate, high = highByteCount(sample)): number {
  if (charset === 'utf-8') return utf8Score(sample, high)
  if (charset === 'windows-1252') return westernScore(sample, high)
  return doubleByteScore(sample, high, charset)
}

/** The part of `bytes` detection reads: from the first high byte (always a lead byte), at most SAMPLE_BYTES. */
export function detectionSample (bytes: Uint8Array): Uint8Array {
  let first = 0
  while (first < bytes.length && bytes[first]! < 0x80) first++
  return bytes.subarray(first, first + SAMPLE_BYTES)
}

/**
 * The most likely charset of `bytes`, ignoring any declaration. Valid UTF-8 with non-ASCII bytes
 * is taken at once (legacy text is almost never valid UTF-8); otherwise every candidate is scored.
 */
export function detectCharset (bytes: Uint8Array): Detection {
  const sample = detectionSample(bytes)
  if (sample.length === 0) return { charset: 'utf-8', confidence: 1, scores: {} }
  if (isUtf8(bytes)) {
    const multibyte = highByteCount(sample) - countContinuationBytes(sample)
    return { charset: 'utf-8', confidence: 1 - 0.5 ** multibyte, scores: { 'utf-8': 1 } }
  }
  const high = highByteCount(sample)
  const scores: Partial<Record<Candidate, number>> = {}
  let best: Candidate = 'windows-1252'
  let first = -Infinity
  let second = -Infinity
  for (const c of CANDIDATES) {
    const s = scoreAs(sample, c, high)
    scores[c] = Math.round(s * 1000) / 1000
    if (s > first) { second = first; first = s; best = c } else if (s > second) second = s
  }
  return { charset: best, confidence: Math.round(Math.max(0, Math.min(1, first - second)) * 1000) / 1000, scores }
}

function countContinuationBytes (bytes: Uint8Array): number {
  let n = 0
  for (let i = 0; i < bytes.length; i++) if ((bytes[i]! & 0xc0) === 0x80) n++
  return n
}
