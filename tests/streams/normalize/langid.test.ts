import { describe, expect, test } from 'vitest'
import { identifyLanguage } from '../../../streams/normalize/langid.ts'
import { langidSamples, measureLangid, SHORT } from '../../../ops/bench/langid.ts'

describe('identifyLanguage', () => {
  // the first 300 documents of every source: Chinese and English corpora, UDHR paragraphs in 37 other languages
  const samples = langidSamples(300)
  const figures = measureLangid('sluice', text => identifyLanguage(text).lang, samples)

  test.each(['zh', 'en', 'other'] as const)('is at least 99%% accurate on %s documents of %i+ characters', (lang) => {
    const t = figures.byLang[lang]
    expect(t.n).toBeGreaterThan(300)
    expect(t.correct / t.n).toBeGreaterThanOrEqual(0.99)
  })

  test('Japanese and Korean are other, even with many Han characters', () => {
    for (const source of ['udhr-jpn', 'udhr-kor']) {
      const texts = samples.filter(s => s.source === source && s.text.length >= SHORT)
      expect(texts.length).toBeGreaterThan(20)
      for (const s of texts) expect(identifyLanguage(s.text).lang, s.text).toBe('other')
    }
    expect(identifyLanguage('東京大学の研究者は新しい材料を開発したと発表した。').lang).toBe('other')
    expect(identifyLanguage('서울은 대한민국의 수도이며 가장 큰 도시이다.').lang).toBe('other')
  })

  test('Traditional Chinese is Chinese', () => {
    const r = identifyLanguage('人人生而自由，在尊嚴和權利上一律平等。他們賦有理性和良心，並應以兄弟關係的精神相對待。')
    expect(r.lang).toBe('zh')
    expect(r.confidence).toBeGreaterThan(0.9)
  })

  test('a mixed document goes to its larger part, with lower confidence and the ratios as signals', () => {
    const zh = '今天我们讨论数据清洗的流程，包括语言识别、繁简转换和去重。'
    const en = 'The quick brown fox jumps over the lazy dog, and then it runs back into the forest where it lives.'
    const pure = identifyLanguage(en)
    const mixed = identifyLanguage(`${en} ${zh.slice(0, 12)}`)
    expect(mixed.lang).toBe('en')
    expect(mixed.confidence).toBeLessThan(pure.confidence)
    expect(mixed.signals.langid_zh_ratio).toBeGreaterThan(0)
    expect(mixed.signals.langid_latin_ratio).toBeGreaterThan(0.5)
    expect(identifyLanguage(`${zh}${zh} ${en}`).lang).toBe('zh')
  })

  test('English is told from other Latin-script languages by function words and accents', () => {
    expect(identifyLanguage('Il est essentiel que les droits de l’homme soient protégés par un régime de droit.').lang).toBe('other')
    expect(identifyLanguage('Jeder hat das Recht auf Leben, Freiheit und Sicherheit der Person.').lang).toBe('other')
    expect(identifyLanguage('Todo individuo tiene derecho a la vida, a la libertad y a la seguridad de su persona.').lang).toBe('other')
    expect(identifyLanguage('Everyone has the right to life, liberty and security of person.').lang).toBe('en')
  })

  test('text without letters is other with zero confidence', () => {
    for (const text of ['', '12345 67.89', '!!! ??? 😀']) expect(identifyLanguage(text)).toMatchObject({ lang: 'other', confidence: 0 })
  })
})
