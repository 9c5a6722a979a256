import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Command } from 'commander'
import { describe, expect, test } from 'vitest'
import { DOCUMENTS_SCHEMA, DOCUMENTS_SPEC } from '../../../lake/documents-table.ts'
import { IcebergTable } from '../../../lake/iceberg/table.ts'
import { readTexts, registerTrainLm } from '../../../ops/commands/quality-lm.ts'
import { SluiceError } from '../../../schemas/errors.ts'
import { bucketer, bucketOf, parseBucketConfig } from '../../../streams/quality/lm/buckets.ts'
import { NgramModel } from '../../../streams/quality/lm/model.ts'
import { chenGoodmanDiscounts, trainNgramModel } from '../../../streams/quality/lm/train.ts'
import { BOS, EOS, hashToken, tokenKeys, tokenize } from '../../../streams/quality/lm/tokens.ts'
import { modelId, readCurrentModels, saveModel } from '../../../streams/quality/models.ts'
import { TDigest } from '../../../streams/quality/tdigest.ts'
import { appendDocs, docs } from '../../helpers/lake.ts'

const SHARED = path.resolve('../shared/data')
const zhWiki = [...readTexts(path.join(SHARED, 'web/zh/zhwiki_sampled.txt.gz'))]
const zhTrain = zhWiki.filter((_, i) => i % 10 !== 0)
const zhHeld = zhWiki.filter((_, i) => i % 10 === 0)

/** Seeded shuffle (mulberry32), so a failure reproduces. */
function shuffled<T> (items: readonly T[], seed: number): T[] {
  let s = seed
  const rand = () => { s = (s + 0x6d2b79f5) | 0; let t = Math.imul(s ^ (s >>> 15), 1 | s); t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296 }
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [out[i], out[j]] = [out[j]!, out[i]!] }
  return out
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const perplexities = (m: NgramModel, texts: string[]) => texts.map(t => m.perplexity(t)).filter((p): p is number => p !== null)

describe('tokens', () => {
  test('zh: Han characters and punctuation one token each, Latin and digit runs one token, digits folded', () => {
    expect(tokenize('北京2024年Olympic Games！\n\n第二行，ok', 'zh')).toEqual([
      ['北', '京', '0000', '年', 'olympic', 'games', '!'],
      ['第', '二', '行', ',', 'ok']
    ])
  })

  test('en: NFKC, lower case, digits folded, punctuation stripped, apostrophes inside words dropped', () => {
    expect(tokenize("Don't PANIC: it's 42 ﬁles — ＡＢＣ!\n  \n'quoted' words", 'en')).toEqual([
      ['dont', 'panic', 'its', '00', 'files', 'abc'],
      ['quoted', 'words']
    ])
  })

  test('the fast key path gives the keys of the string tokens, with <s> and </s> around each line', () => {
    for (const [text, lang] of [[zhWiki[5]!, 'zh'], ['Hello, world 12\nsecond line 😀 émoji', 'en']] as const) {
      const lines = tokenize(text, lang)
      const k = tokenKeys(text, lang)
      const expected = lines.flatMap(l => [BOS, ...l, EOS]).map(hashToken)
      expect(k.length).toBe(expected.length)
      expected.forEach(([hi, lo], i) => { expect(k.hi[i]).toBe(hi); expect(k.lo[i]).toBe(lo) })
    }
  })
})

describe('modified Kneser-Ney', () => {
  // Order 2 over lines "a b b", "b", "c", "c c b", "c", "a", "b".
  // Bigram counts: <s> a 2, a b 1, b b 1, b </s> 4, <s> b 2, <s> c 3, c </s> 2, c c 1, c b 1, a </s> 1
  //   -> count of counts (highest order: raw counts) t1..t4 = 5, 3, 1, 1.
  // Unigram continuation counts (distinct left neighbours): a {<s>} 1, b {a, b, <s>, c} 4, c {<s>, c} 2, </s> {b, c, a} 3
  //   -> t1..t4 = 1, 1, 1, 1.
  // Chen & Goodman: Y = t1/(t1 + 2 t2), D1 = 1 − 2Y t2/t1, D2 = 2 − 3Y t3/t2, D3+ = 3 − 4Y t4/t3
  //   unigrams: Y = 1/3, D = 1/3, 1, 5/3;  bigrams: Y = 5/11, D = 5/11, 17/11, 13/11.
  const toy = ['a b b', 'b', 'c', 'c c b', 'c', 'a', 'b']
  const trained = trainNgramModel(toy, { lang: 'en', order: 2, calibration: toy })

  test('discounts follow Chen & Goodman from the counts of adjusted counts', () => {
    expect(trained.stats.countOfCounts).toEqual([[1, 1, 1, 1], [5, 3, 1, 1]])
    expect(trained.stats.discountFallback).toEqual([])
    const [uni, bi] = trained.stats.discounts
    ;[1 / 3, 1, 5 / 3].forEach((d, j) => expect(uni![j]).toBeCloseTo(d, 12))
    ;[5 / 11, 17 / 11, 13 / 11].forEach((d, j) => expect(bi![j]).toBeCloseTo(d, 12))
    expect(chenGoodmanDiscounts([1, 1, 0, 1])).toBeNull()
  })

  test('probabilities by hand: p(b) = 49/150, p(<unk>) = 14/150, p(b | a) = 139/330', () => {
    // unigrams: Σa = 10, γ = (1/3·1 + 1·1 + 5/3·2)/10 = 7/15, vocabulary a b c </s> <unk> = 5
    //   p(b) = (4 − 5/3)/10 + (7/15)/5 = 49/150, p(<unk>) = 7/75
    // context a: a b 1, a </s> 1, γ(a) = 2·(5/11)/2 = 5/11; p(b|a) = (1 − 5/11)/2 + 5/11 · 49/150 = 139/330
    const m = NgramModel.fromBytes(trained.bytes)
    expect(m.wordLogProb([], 'b')).toBeCloseTo(Math.log10(49 / 150), 6)
    expect(m.unknownLog10).toBeCloseTo(Math.log10(14 / 150), 6)
    expect(m.wordLogProb(['a'], 'b')).toBeCloseTo(Math.log10(139 / 330), 6)
    // an unseen bigram backs off: p(a | b) = γ(b) p(a)
    const sum = ['a', 'b', 'c', EOS, 'zzz'].reduce((s, w) => s + 10 ** m.wordLogProb(['b'], w), 0)
    expect(sum).toBeCloseTo(1, 6)
  })

  test('every context\'s distribution over the vocabulary and <unk> sums to 1, zh characters and en words', () => {
    const en = [...readTexts(path.join(SHARED, 'web/en/aeb/ground-truth.json'))].slice(0, 40)
    for (const [texts, lang] of [[zhTrain.slice(0, 150), 'zh'], [en, 'en']] as const) {
      const m = NgramModel.fromBytes(trainNgramModel(texts, { lang, calibration: texts.slice(0, 5) }).bytes)
      const lines = texts.flatMap(t => tokenize(t, lang))
      const vocabulary = [...new Set(lines.flat()), EOS, '<never-seen-token>']
      const long = lines.find(l => l.length > 8)!
      const contexts = [[BOS], [BOS, long[0]!], long.slice(0, 2), long.slice(2, 6), long.slice(0, 8), ['<never-seen-token>'], [long[3]!, '<never-seen-token>', long[4]!]]
      for (const ctx of contexts) {
        const total = vocabulary.reduce((s, w) => s + 10 ** m.wordLogProb(ctx, w), 0)
        expect(total, `${lang} context ${ctx.join(' ')}`).toBeCloseTo(1, 3)
      }
      // the scorer's running state gives the same sentence probability as word by word from the tables
      for (const line of lines.slice(0, 20)) {
        const seq = [BOS, ...line, EOS]
        const byWord = seq.slice(1).reduce((s, w, i) => s + m.wordLogProb(seq.slice(0, i + 1), w), 0)
        expect(m.logProb(line)).toBeCloseTo(byWord, 4)
      }
    }
  })
})

describe('NgramModel', () => {
  const trained = trainNgramModel(zhTrain, { lang: 'zh', calibration: zhHeld })
  const model = NgramModel.fromBytes(trained.bytes)

  test('a saved and loaded model has the same id and perplexities', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-lm-'))
    try {
      const file = saveModel(dir, 'lm.zh', trained.id, 'lm', trained.bytes)
      expect(readCurrentModels(dir)['lm.zh']).toBe(path.basename(file))
      const loaded = NgramModel.load(file)
      expect(loaded.id).toBe(trained.id)
      expect(loaded.id).toBe(modelId('lm-zh', fs.readFileSync(file)))
      expect(loaded.order).toBe(5)
      expect(loaded.lang).toBe('zh')
      for (const text of zhHeld.slice(0, 50)) expect(loaded.perplexity(text)).toBe(model.perplexity(text))
      expect(() => NgramModel.fromBytes(trained.bytes.subarray(0, 100))).toThrow(SluiceError)
    } finally {
      fs.rmSync(dir, { recursive: true })
    }
  })

  test('training is deterministic: same text and options, same bytes and id', () => {
    const a = trainNgramModel(zhTrain.slice(0, 100), { lang: 'zh', order: 3 })
    const b = trainNgramModel(zhTrain.slice(0, 100), { lang: 'zh', order: 3 })
    expect(a.id).toBe(b.id)
    expect(Buffer.compare(Buffer.from(a.bytes), Buffer.from(b.bytes))).toBe(0)
    expect(a.stats.calibration).toMatchObject({ source: 'held-out', documents: 10 })
  })

  test('held-out Wikipedia scores better than Common Crawl spam pages and than shuffled text', () => {
    const spam = [...readTexts(path.join(SHARED, 'web/zh/chinesewebtext-cc2021-43-cleared1.jsonl'))]
    const wiki = median(perplexities(model, zhHeld))
    const cc = median(perplexities(model, spam))
    const shuffledChars = median(perplexities(model, zhHeld.map((t, i) => shuffled([...t], i).join(''))))
    expect(wiki * 2).toBeLessThan(cc)
    expect(cc * 2).toBeLessThan(shuffledChars)
    // the percentile scale is the calibration set's: its median document sits near 0.5
    expect(model.percentile(wiki)).toBeGreaterThan(0.4)
    expect(model.percentile(wiki)).toBeLessThan(0.6)
    expect(model.percentile(cc)).toBeGreaterThan(0.8)
  })

  test('en: shuffled words score worse than the text', () => {
    const news = [...readTexts(path.join(SHARED, 'web/en/aeb/ground-truth.json'))]
    const m = NgramModel.fromBytes(trainNgramModel(news.slice(20), { lang: 'en', calibration: news.slice(0, 20) }).bytes)
    const held = news.slice(0, 20)
    const words = median(perplexities(m, held))
    const shuffledWords = median(perplexities(m, held.map((t, i) => shuffled(t.split(/\s+/), i).join(' '))))
    expect(words * 2).toBeLessThan(shuffledWords)
  })

  test('a text without tokens has no perplexity; unknown tokens get <unk>', () => {
    expect(model.perplexity('')).toBeNull()
    expect(model.perplexity(' \n\t \n')).toBeNull()
    expect(model.score('。').tokens).toBe(2)
    expect(model.wordLogProb([BOS], '<never-seen-token>')).toBeLessThan(model.unknownLog10 + 1e-6)
  })
})

describe('TDigest', () => {
  const exactRank = (sorted: Float64Array, x: number) => {
    let lo = 0
    let hi = sorted.length
    while (lo < hi) { const mid = (lo + hi) >> 1; if (sorted[mid]! < x) lo = mid + 1; else hi = mid }
    return lo / sorted.length
  }
  const qs = [0.001, 0.01, 0.05, 0.1, 0.25, 0.3, 0.5, 0.6, 0.75, 0.9, 0.95, 0.99, 0.999]

  test('quantiles and cdf within 1% rank error on 100k random values (uniform and heavy-tailed), also after merge and serialise', () => {
    let s = 7
    const rand = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return (s + 0.5) / 4294967296 }
    for (const gen of [rand, () => Math.exp(3 * Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand()))]) {
      const values = Float64Array.from({ length: 100_000 }, gen)
      const whole = new TDigest()
      const a = new TDigest()
      const b = new TDigest()
      values.forEach((v, i) => { whole.add(v); (i % 2 === 0 ? a : b).add(v) })
      const merged = TDigest.deserialize(a.merge(b).serialize())
      const sorted = values.slice().sort()
      for (const d of [whole, merged]) {
        expect(d.count).toBe(100_000)
        expect(d.min).toBe(sorted[0])
        expect(d.max).toBe(sorted[sorted.length - 1])
        for (const q of qs) {
          expect(Math.abs(exactRank(sorted, d.quantile(q)) - q)).toBeLessThan(0.01)
          expect(Math.abs(d.cdf(sorted[Math.floor(q * sorted.length)]!) - q)).toBeLessThan(0.01)
        }
      }
      expect(whole.size).toBeLessThan(250)
    }
  })

  test('empty digests answer NaN; bad values are refused', () => {
    expect(new TDigest().cdf(1)).toBeNaN()
    expect(new TDigest().quantile(0.5)).toBeNaN()
    expect(() => new TDigest().add(Number.POSITIVE_INFINITY)).toThrow(RangeError)
    expect(() => TDigest.deserialize(new Uint8Array(7))).toThrow(RangeError)
  })
})

describe('buckets', () => {
  test("Ziya2's default: best 30% high, next 30% medium, worst 40% low", () => {
    expect([0, 0.29, 0.3, 0.59, 0.6, 1].map(p => bucketOf(p))).toEqual(['high', 'high', 'medium', 'medium', 'low', 'low'])
  })

  test('source overrides language overrides default', () => {
    const bucket = bucketer(parseBucketConfig({
      default: { high: 0.3, medium: 0.6 },
      lang: { en: { high: 0.5, medium: 0.8 } },
      source: { wiki: { high: 0.9, medium: 1 } }
    }))
    expect(bucket(0.4, { lang: 'zh', source: 'cc' })).toBe('medium')
    expect(bucket(0.4, { lang: 'en', source: 'cc' })).toBe('high')
    expect(bucket(0.85, { lang: 'en', source: 'wiki' })).toBe('high')
    expect(bucket(0.7, { lang: null, source: null })).toBe('low')
    expect(bucketOf(0.4, parseBucketConfig({ lang: { en: { high: 0.5, medium: 0.8 } } }), { lang: 'en', source: 'cc' })).toBe('high')
    expect(parseBucketConfig(undefined).default).toEqual({ high: 0.3, medium: 0.6 })
  })

  test('config errors name the field', () => {
    const message = (input: unknown) => { try { parseBucketConfig(input); return '' } catch (err) { expect(err).toBeInstanceOf(SluiceError); return (err as Error).message } }
    expect(message({ default: { high: 0.7, medium: 0.6 } })).toContain('default.medium: high must not be above medium')
    expect(message({ lang: { zh: { high: 1.5, medium: 2 } } })).toMatch(/lang\.zh\.high: .*; lang\.zh\.medium/)
    expect(message({ source: { cc: { high: 0.2 } } })).toContain('source.cc.medium')
    expect(message({ default: { high: 0.2, medium: 0.5, low: 0.9 } })).toContain('default')
    expect(message({ langs: {} })).toContain('langs')
  })
})

describe('sluice quality train-lm', () => {
  const run = async (...args: string[]) => {
    const program = new Command('sluice').exitOverride()
    registerTrainLm(program.command('quality'))
    await program.parseAsync(['node', 'sluice', 'quality', 'train-lm', ...args])
  }

  test('trains from files, calibrates on the default web samples and makes the model current', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-lm-cli-'))
    try {
      await run('--lang', 'zh', '--from', path.join(SHARED, 'web/zh/zhwiki_sampled.txt.gz'), '--order', '3', '--models', dir, '--arpa', path.join(dir, 'zh.arpa'))
      const m = NgramModel.load(path.join(dir, readCurrentModels(dir)['lm.zh']!))
      expect(m.order).toBe(3)
      expect(m.meta.calibration).toMatchObject({ source: 'given', documents: 1734 })
      expect(fs.readFileSync(path.join(dir, 'zh.arpa'), 'utf8')).toMatch(/^\\data\\\nngram 1=8004\n/)
    } finally {
      fs.rmSync(dir, { recursive: true })
    }
  })

  test('trains from a lake query with a held-out calibration', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-lm-sql-'))
    try {
      const table = IcebergTable.create(path.join(dir, 'lake', 'documents'), DOCUMENTS_SCHEMA, DOCUMENTS_SPEC)
      await appendDocs(table, docs(path.join(SHARED, 'web/zh/zhwiki_sampled.txt.gz'), 'zh', ''), 'zh')
      await run('--lang', 'zh', '--sql', "select text from documents where lang = 'zh'", '--lake', path.join(dir, 'lake'), '--calibrate', 'held-out', '--models', path.join(dir, 'models'))
      const m = NgramModel.load(path.join(dir, 'models', readCurrentModels(path.join(dir, 'models'))['lm.zh']!))
      expect(m.meta).toMatchObject({ documents: 36, calibration: { source: 'held-out', documents: 4 } })
    } finally {
      fs.rmSync(dir, { recursive: true })
    }
  })

  test('bad options fail before any work, naming the option', async () => {
    await expect(run('--lang', 'zh')).rejects.toThrow('--from <files...> or --sql <query>')
    await expect(run('--lang', 'zh', '--from', 'no-such-file.txt')).rejects.toThrow('--from no-such-file.txt: no such file')
    await expect(run('--lang', 'zh', '--from', path.join(SHARED, 'web/zh/zhwiki_sampled.txt.gz'), '--order', '9')).rejects.toThrow('--order')
    await expect(run('--lang', 'fr', '--from', 'x')).rejects.toThrow()
  })
})
