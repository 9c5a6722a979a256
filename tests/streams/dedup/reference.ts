import { looksTraditional, toSimplified } from '../../../streams/normalize/zh-convert.ts'

/**
 * The near-dedup signature path as it was before the throughput work (commit 93c07ff): plain,
 * obviously-correct code kept as the oracle the optimised `streams/dedup` code must match bit for
 * bit (signatures-golden.test.ts). Do not optimise this file.
 */

const SEPARATOR = 0
const WORD = 1
const CJK = 2

let classes: Uint8Array | undefined

function charClasses (): Uint8Array {
  if (classes !== undefined) return classes
  const word = /[\p{L}\p{N}\p{M}]/u
  const cjk = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u
  classes = new Uint8Array(0x10000)
  for (let c = 0; c < 0x10000; c++) {
    if (c >= 0xd800 && c <= 0xdfff) continue
    const ch = String.fromCharCode(c)
    if (cjk.test(ch)) classes[c] = CJK
    else if (word.test(ch)) classes[c] = WORD
  }
  return classes
}

export function referenceDedupText (text: string): string {
  const simplified = looksTraditional(text) > 0 ? toSimplified(text).text : text
  return (/[^\x00-\x7f]/.test(simplified) ? simplified.normalize('NFKC') : simplified).toLowerCase()
}

export function referenceShingleSize (text: string, lang: string | null, sizes: { words: number, chars: number }): number {
  if (lang === 'zh') return sizes.chars
  if (lang !== null) return sizes.words
  const cls = charClasses()
  let cjk = 0
  let letters = 0
  for (let i = 0; i < text.length; i++) {
    const k = cls[text.charCodeAt(i)]!
    if (k !== SEPARATOR) letters++
    if (k === CJK) cjk++
  }
  return cjk * 2 > letters ? sizes.chars : sizes.words
}

function forEachToken (norm: string, token: (start: number, end: number) => void): void {
  const cls = charClasses()
  let start = -1
  for (let i = 0; i < norm.length; i++) {
    const k = cls[norm.charCodeAt(i)]!
    if (k === WORD) {
      if (start < 0) start = i
      continue
    }
    if (start >= 0) token(start, i)
    start = -1
    if (k === CJK) token(i, i + 1)
  }
  if (start >= 0) token(start, norm.length)
}

function fmix32 (h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

const BASE = 0x01000193

/** A fresh array each call (the original shared one buffer). */
export function referenceShingleHashes (norm: string, n: number): Uint32Array {
  const out: number[] = []
  const window = new Uint32Array(n)
  let drop = 1
  for (let i = 1; i < n; i++) drop = Math.imul(drop, BASE)
  let tokens = 0
  let rolling = 0
  forEachToken(norm, (start, end) => {
    let h = 0x811c9dc5
    for (let i = start; i < end; i++) h = Math.imul(h ^ norm.charCodeAt(i), BASE)
    h = fmix32(h)
    const slot = tokens % n
    if (tokens >= n) rolling = (rolling - Math.imul(window[slot]!, drop)) | 0
    rolling = (Math.imul(rolling, BASE) + h) | 0
    window[slot] = h
    tokens++
    if (tokens >= n) out.push(fmix32(rolling))
  })
  if (tokens > 0 && tokens < n) out.push(fmix32(rolling))
  return Uint32Array.from(out)
}

function seededRandom (seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = Math.imul(s ^ (s >>> 15), s | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
}

export function referenceMinHash (params: { bands: number, rows: number, seed: number }, hashes: Uint32Array): Uint32Array {
  const k = params.bands * params.rows
  const next = seededRandom(params.seed)
  const a = next() | 1
  const b = next()
  const probe = next()
  const sig = new Uint32Array(k).fill(0xffffffff)
  const filled = new Uint8Array(k)
  for (let i = 0; i < hashes.length; i++) {
    const v = fmix32((Math.imul(a, hashes[i]!) + b) | 0)
    const bin = Math.floor((v / 0x100000000) * k)
    filled[bin] = 1
    if (v < sig[bin]!) sig[bin] = v
  }
  for (let bin = 0; bin < k; bin++) {
    if (filled[bin] === 1) continue
    for (let attempt = 1; ; attempt++) {
      const from = Math.floor((fmix32(probe ^ Math.imul(bin, 0x9e3779b1) ^ Math.imul(attempt, 0x85ebca6b)) / 0x100000000) * k)
      if (filled[from] === 1) { sig[bin] = sig[from]!; break }
    }
  }
  return sig
}

/** Charikar's SimHash with one plain counter per bit. */
export function referenceSimHash (hashes: Uint32Array): { hi: number, lo: number } {
  const counts = new Float64Array(64)
  for (let i = 0; i < hashes.length; i++) {
    const lo = hashes[i]!
    const hi = fmix32(lo ^ 0x9e3779b9)
    for (let bit = 0; bit < 32; bit++) {
      counts[bit]! += (lo >>> bit) & 1
      counts[32 + bit]! += (hi >>> bit) & 1
    }
  }
  let hi = 0
  let lo = 0
  for (let bit = 0; bit < 32; bit++) {
    if (counts[bit]! * 2 > hashes.length) lo |= 1 << bit
    if (counts[32 + bit]! * 2 > hashes.length) hi |= 1 << bit
  }
  return { hi: hi >>> 0, lo: lo >>> 0 }
}
