import fs from 'node:fs'
import zlib from 'node:zlib'
import { expect, test } from 'vitest'
import { cleanText } from '../../../streams/normalize/clean.ts'
import { decodeAs } from '../../../streams/normalize/decode-text.ts'

const SHARED = '../shared/data'
const lines = (file: string): string[] => zlib.gunzipSync(fs.readFileSync(`${SHARED}/${file}`)).toString('utf8').split('\n').filter(l => l.trim() !== '')
const clue = lines('web/zh/CLUECorpusSmall_sampled.txt.gz')
const zhwiki = lines('web/zh/zhwiki_sampled.txt.gz')
const english = ['web/en/olmo-c4-sample.01.json.gz', 'web/en/olmo-c4_100_domains-theguardian.jsonl.gz', 'web/en/dolma-cc_en_head-0091.jsonl.gz']
  .flatMap(f => lines(f).map(l => (JSON.parse(l) as { text: string }).text))

test('Chinese punctuation is kept, full-width letters and digits become ASCII', () => {
  const punct = /[，。！？：；（）《》“”、…]/g
  for (const doc of clue) expect(cleanText(doc).text.match(punct)?.join('')).toBe(doc.match(punct)?.join(''))
  expect(cleanText('ＧＰＴ－４模型的准确率为９８．５％，领先！').text).toBe('GPT-4模型的准确率为98.5%，领先！')
  expect(cleanText('使用Python，Java等语言……共１，０００人').text).toBe('使用Python，Java等语言……共1，000人')
  expect(cleanText('　　第一章　开始').text).toBe('第一章 开始')
})

test('NFKC folds compatibility forms but not the ellipsis or spacing accents', () => {
  const out = cleanText('ﬁnd ｶﾞｲﾄﾞ ① x² ㈱ e\u0301 don´t ……')
  expect(out.text).toBe('find ガイド 1 x2 (株) é don´t ……')
  expect(out.signals.clean_nfkc_changed).toBeGreaterThanOrEqual(6)
})

test('UTF-8 read as windows-1252 or Latin-1 is repaired; real Latin text is not touched', () => {
  const samples = [...english.filter(t => /[^\x00-\x7f]/.test(t)).slice(0, 10), ...zhwiki.filter(t => /[^\x00-\x7f]/.test(t)).slice(0, 50)]
  expect(samples.length).toBeGreaterThan(50)
  for (const text of samples) {
    const utf8 = Buffer.from(text, 'utf8')
    for (const broken of [decodeAs(utf8, 'windows-1252'), utf8.toString('latin1')]) {
      const out = cleanText(broken)
      expect(out.text).toBe(cleanText(text).text)
      expect(out.signals.clean_mojibake_repaired).toBeGreaterThan(0)
    }
  }
  expect(cleanText('It’s CafÃ© â€œnaÃ¯veâ€\u009d').text).toBe('It’s Café “naïve”')
  for (const latin of ['Größe“ und Ça va', 'São Paulo — Ñandú, ½ €', 'Ã la carte']) expect(cleanText(latin).signals.clean_mojibake_repaired).toBe(0)
})

test('control, invisible, emoji and decorative characters go; ordinary symbols stay', () => {
  const out = cleanText('a\u0007b\u200bc\u00ad\ufeffd 好😀👍🏽🇨🇳 ★●┌─┐\ue001 © ™ → ± ¥ ※ ①')
  expect(out.text).toBe('abcd 好 © TM → ± ¥ ※ 1') // ™ is kept as a symbol, then NFKC spells it
  expect(out.signals).toMatchObject({ clean_control_removed: 1, clean_invisible_removed: 3, clean_emoji_removed: 5, clean_symbol_removed: 6 })
  expect(cleanText('好😀', { removeEmoji: false }).text).toBe('好😀')
  expect(cleanText('CafÃ©', { repairMojibake: false }).text).toBe('CafÃ©')
})

test('whitespace: line endings, runs of blanks, blank lines', () => {
  const out = cleanText('  one  two\t\tthree \r\n\r\n\r\n\r\nfour\tfive\rsix\u2028seven  \n\n')
  expect(out.text).toBe('one two three\n\nfour\tfive\nsix\nseven')
  expect(out.signals.clean_whitespace_collapsed).toBeGreaterThanOrEqual(8)
})

test('cleaning is idempotent on real text: cleaned text comes back unchanged, with every signal 0', () => {
  for (const doc of [...clue, ...zhwiki.slice(0, 500), ...english]) {
    const once = cleanText(doc)
    const twice = cleanText(once.text)
    expect(twice.text).toBe(once.text)
    expect(Object.values(twice.signals).every(v => v === 0)).toBe(true)
  }
})
