import { expect, test } from 'vitest'
import { foldsAlone } from '../../../streams/dedup/fold.ts'
import { dedupText } from '../../../streams/dedup/shingles.ts'
import { referenceDedupText } from './reference.ts'

/**
 * `dedupText`'s fast path folds a text character by character. That equals NFKC + lower case when
 * no character's decomposition starts with a unit that reorders (combining class ≠ 0) or composes
 * with what precedes it, and no lower-case mapping depends on the neighbours. These tests check
 * those premises over the whole of Unicode as this Node's ICU has it, then fuzz the result.
 */

/** Every code point that is not first in some canonical decomposition: all that can compose with a predecessor. */
function possibleSeconds (): Set<number> {
  const seconds = new Set<number>()
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue
    const d = String.fromCodePoint(cp).normalize('NFD')
    if (d.length < 2) continue
    const points = [...d]
    for (const x of points.slice(1)) seconds.add(x.codePointAt(0)!)
  }
  return seconds
}

/** Canonical combining class 0, probed by reordering: a non-zero class moves past U+0301 (230) or U+0334 (1). */
function starter (x: string): boolean {
  return ('a\u0301' + x).normalize('NFD') === 'a\u0301' + x && ('a' + x + '\u0334').normalize('NFD') === 'a' + x + '\u0334'
}

test('every character the fast path folds alone is its own NFKC + lower case and cannot interact with its neighbours', () => {
  const seconds = possibleSeconds()
  expect(seconds.has(0x0301)).toBe(true)
  expect(seconds.has(0x1161)).toBe(true)
  const problems: string[] = []
  let fast = 0
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue
    const folded = foldsAlone(cp)
    if (folded === null) continue
    fast++
    const ch = String.fromCodePoint(cp)
    const nfkc = ch.normalize('NFKC')
    const first = [...ch.normalize('NFKD')][0]!
    if (folded !== nfkc.toLowerCase()) problems.push(`U+${cp.toString(16)} folds to ${folded}`)
    if (seconds.has(first.codePointAt(0)!)) problems.push(`U+${cp.toString(16)} starts with a possible second`)
    if (!starter(first)) problems.push(`U+${cp.toString(16)} starts with a non-starter`)
    if (nfkc.includes('Σ')) problems.push(`U+${cp.toString(16)} has a final-sigma context`)
  }
  expect(problems.slice(0, 10)).toEqual([])
  expect(fast).toBeGreaterThan(100_000)
})

test('what the fast path refuses: marks, jamo that join, Σ, İ, lone surrogates, Traditional-only Han', () => {
  for (const cp of [0x0301, 0x1161, 0x11a8, 0x03a3, 0x0130, 0xd800, 0xdc00, 0x6f22 /* 漢 */, 0x2f800]) {
    expect(foldsAlone(cp), `U+${cp.toString(16)}`).toBeNull()
  }
  expect(foldsAlone(0xff21)).toBe('a')
  expect(foldsAlone(0xfb01)).toBe('fi')
  expect(foldsAlone(0x00e9)).toBe('é')
  expect(foldsAlone(0xfe0f)).toBe('\ufe0f')
  expect(foldsAlone(0x1f600)).toBe('😀')
})

test('dedupText equals NFKC + lower case (after Traditional → Simplified) on random mixes of tricky characters', () => {
  const pools = [
    'abcXYZ019 ,.!?-_', 'ÀÉÎõüçñßæøÅ', 'ΑΒΓΣσςΆΈάέ', 'ДЖЯжяЁё', '汉语中文字测试', '漢語體這個', 'あいうアイウガパ',
    'ｱｲｳｶﾞﾊﾟﾞﾟ', 'ＡＢＣａｂｃ１２３，。！', '가나다한국', 'ᄀᄁ\u1161\u1162\u11a8\u11a9', '\u0300\u0301\u0308\u0323\u0334\u0345',
    'ﬁﬂﬃ…‥Ⅻⅷ½²㎏㍻', 'İıĲǅǈ', '\u200b\u200c\u200d\ufe0e\ufe0f\u00ad\u3000', '⼀⼆⺟豈更車兀', '\ufffd\ue000\uf8ff'
  ].map(p => [...p])
  const astral = ['😀', '👍🏽', '🇨🇳', '𠀀', '𪚥', '𝐀', '🄰', '🈐', '丽', '\ud83d', '\ude00']
  // every other text only from what the fast path folds alone, so that it is taken
  const alone = (ch: string): boolean => [...ch].every(x => foldsAlone(x.codePointAt(0)!) !== null)
  const fastPools = pools.map(p => p.filter(alone)).filter(p => p.length > 0)
  const fastAstral = astral.filter(alone)
  let s = 12345
  const next = (n: number): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s % n
  }
  const mismatches: string[] = []
  for (let t = 0; t < 20_000; t++) {
    const [p, a] = t % 2 === 0 ? [pools, astral] : [fastPools, fastAstral]
    let text = ''
    for (let i = 1 + next(24); i > 0; i--) {
      if (next(8) === 0) text += a[next(a.length)]!
      else { const pool = p[next(p.length)]!; text += pool[next(pool.length)]! }
    }
    if (dedupText(text) !== referenceDedupText(text)) mismatches.push(JSON.stringify(text))
  }
  expect(mismatches.slice(0, 10)).toEqual([])
})

test('folding examples', () => {
  expect(dedupText('ＦＵＬＬ ﬁne Café')).toBe('full fine café')
  expect(dedupText('ΟΔΥΣΣΕΥΣ')).toBe('οδυσσευς')
  expect(dedupText('漢語 İ')).toBe(referenceDedupText('漢語 İ'))
  expect(dedupText('汉语，测试。')).toBe('汉语,测试。')
})
