import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import OpenCC from 'opencc-js'
import { dedupText, exactJaccard, shingleSet, shingleSize, type ShingleSizes } from '../../streams/dedup/shingles.ts'

/**
 * The near-dedup evaluation set: real documents from ../shared/data, planted variants with known
 * edits and hard negatives, every labelled pair with its true Jaccard on the exact shingle sets.
 * A pair is a true duplicate iff that Jaccard is at least `DUPLICATE_JACCARD`. Deterministic by seed.
 */
export const DUPLICATE_JACCARD = 0.8
const MIN_CHARS = 300
const SHARED = path.resolve('../shared/data')

export type EvalLang = 'en' | 'zh'
export interface EvalDoc { id: string, lang: EvalLang, text: string }
export interface EvalPair { a: string, b: string, kind: string, jaccard: number }
export interface EvalSet { docs: EvalDoc[], pairs: EvalPair[], sizes: ShingleSizes }

function gunzipLines (file: string): string[] {
  const buf = fs.readFileSync(path.join(SHARED, file))
  return (file.endsWith('.gz') ? zlib.gunzipSync(buf) : buf).toString('utf8').split('\n').filter(l => l.trim() !== '')
}

/** The real texts with at least MIN_CHARS characters, per language, in file order. */
function originals (): Record<EvalLang, string[]> {
  const json = (file: string, field: string): string[] => gunzipLines(file).map(l => String((JSON.parse(l) as Record<string, unknown>)[field] ?? ''))
  const en = [
    ...['dolma-cc_en_head-0091.jsonl.gz', 'olmo-c4-sample.01.json.gz', 'olmo-c4-sample.02.json.gz', 'olmo-c4_100_domains-theguardian.jsonl.gz'].flatMap(f => json(`web/en/${f}`, 'text')),
    ...json('quality/dclm-majority_data.jsonl', 'text')
  ]
  const zh = [
    ...json('web/zh/chinesewebtext-cc2021-43-cleared1.jsonl', 'raw_content'),
    ...gunzipLines('web/zh/zhwiki_sampled.txt.gz'),
    ...gunzipLines('web/zh/CLUECorpusSmall_sampled.txt.gz')
  ]
  const enough = (texts: string[]): string[] => [...new Set(texts.map(t => t.trim()))].filter(t => t.length >= MIN_CHARS)
  return { en: enough(en), zh: enough(zh) }
}

function rng (seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = Math.imul(s ^ (s >>> 15), s | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

type Rand = () => number
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!
const between = (r: Rand, lo: number, hi: number): number => lo + r() * (hi - lo)

const NAV: Record<EvalLang, string[]> = {
  en: ['Home', 'About us', 'Contact', 'Privacy policy', 'Terms of use', 'Subscribe to our newsletter', 'Follow us on Twitter',
    'All rights reserved', 'Share this article', 'Related posts', 'Leave a comment', 'Cookie settings', 'Sign in', 'Advertise with us',
    'Copyright 2021 Example Media Group', 'Read more', 'Latest news', 'Most popular', 'Careers', 'Site map'],
  zh: ['首页', '关于我们', '联系我们', '隐私政策', '使用条款', '订阅我们的新闻', '关注官方微博', '版权所有', '分享到微信', '相关文章',
    '发表评论', '登录', '注册', '广告合作', '网站地图', '热门推荐', '最新资讯', '免责声明', '客服热线', '京ICP备12345678号']
}

/** Navigation-like boilerplate of about `chars` characters. */
function boilerplate (r: Rand, lang: EvalLang, chars: number): string {
  const parts: string[] = []
  let n = 0
  while (n < chars) {
    const p = pick(r, NAV[lang])
    parts.push(p)
    n += p.length + 3
  }
  return parts.join(' | ')
}

/** Paragraphs (lines) or, for a single-line text, sentences: the units edits remove or repeat. */
function units (text: string): string[] {
  const lines = text.split('\n')
  return lines.length >= 4 ? lines.map(l => `${l}\n`) : text.split(/(?<=[。！？.!?])/)
}

const toTraditional = OpenCC.Converter({ from: 'cn', to: 't' })
const LETTERS = [...'abcdefghijklmnopqrstuvwxyz']

/** A planted edit: its name and a function of the text. */
interface Edit { kind: string, apply: (text: string, r: Rand, lang: EvalLang) => string }

const EDITS: Edit[] = [
  {
    kind: 'boilerplate',
    apply: (t, r, lang) => {
      const size = t.length * between(r, 0.03, 0.4)
      const where = r()
      const header = where < 0.67 ? `${boilerplate(r, lang, where < 0.33 ? size : size / 2)}\n` : ''
      const footer = where >= 0.33 ? `\n${boilerplate(r, lang, where >= 0.67 ? size : size / 2)}` : ''
      return header + t + footer
    }
  },
  {
    kind: 'paragraph_removed',
    apply: (t, r) => {
      const u = units(t)
      const drop = new Set(Array.from({ length: 1 + Math.floor(r() * Math.max(1, u.length / 6)) }, () => Math.floor(r() * u.length)))
      return u.filter((_, i) => !drop.has(i)).join('')
    }
  },
  {
    kind: 'paragraph_repeated',
    apply: (t, r) => {
      const u = units(t)
      const i = Math.floor(r() * u.length)
      return [...u.slice(0, i + 1), u[i]!, ...u.slice(i + 1)].join('')
    }
  },
  {
    kind: 'typos',
    apply: (t, r, lang) => {
      const rate = between(r, 0.002, lang === 'en' ? 0.012 : 0.04)
      const chars = Array.from(t)
      for (let i = 0; i < chars.length; i++) {
        if (r() >= rate || !/[\p{L}]/u.test(chars[i]!)) continue
        chars[i] = lang === 'en' ? pick(r, LETTERS) : chars[Math.floor(r() * chars.length)]!
      }
      return chars.join('')
    }
  },
  {
    kind: 'punctuation_whitespace',
    apply: (t, r) => t.replace(/[,.，。、;；:：!！?？"“”]/g, p => pick(r, [p, '', ' ', ',', '，', '。', '.', '!', '…'])).replace(/ /g, () => pick(r, [' ', '  ', '\t', ' \n', ' ']))
  },
  { kind: 'traditional', apply: t => toTraditional(t) },
  { kind: 'truncated', apply: (t, r) => t.slice(0, Math.floor(t.length * between(r, 0.55, 0.98))) }
]

export interface EvalOptions { seed: number, perLang: number, sizes: ShingleSizes }

/**
 * `perLang` originals per language. Each gets one variant (a third of them two edits stacked, a
 * quarter a second variant); a fifth of the originals also appear wrapped in long boilerplate
 * shared with another original (the hard negatives). Labelled pairs: every pair within a family
 * (original and its variants) and each hard-negative pair. Documents come in a shuffled order.
 */
export function buildEvalSet ({ seed, perLang, sizes }: EvalOptions): EvalSet {
  const r = rng(seed)
  const pools = originals()
  const docs: EvalDoc[] = []
  const families: EvalDoc[][] = []
  const negatives: Array<[EvalDoc, EvalDoc]> = []
  for (const lang of ['en', 'zh'] as const) {
    const edits = EDITS.filter(e => lang === 'zh' || e.kind !== 'traditional')
    const pool = pools[lang].slice(0, perLang)
    pool.forEach((text, i) => {
      const family: EvalDoc[] = [{ id: `${lang}-${i}`, lang, text }]
      const variants = r() < 0.25 ? 2 : 1
      for (let v = 1; v <= variants; v++) {
        const first = pick(r, edits)
        const kinds = r() < 0.33 ? [first, pick(r, edits.filter(e => e !== first))] : [first]
        const edited = kinds.reduce((t, e) => e.apply(t, r, lang), text)
        family.push({ id: `${lang}-${i}-v${v}-${kinds.map(k => k.kind).join('+')}`, lang, text: edited })
      }
      families.push(family)
    })
    for (let i = 0; i + 1 < pool.length; i += 10) {
      const shared = boilerplate(r, lang, Math.max(pool[i]!.length, pool[i + 1]!.length) * between(r, 0.5, 1.5))
      const wrap = (j: number): EvalDoc => ({ id: `${lang}-${j}-w-shared_boilerplate`, lang, text: `${shared}\n${pool[j]!}\n${shared}` })
      const pair: [EvalDoc, EvalDoc] = [wrap(i), wrap(i + 1)]
      families[families.length - pool.length + i]!.push(pair[0])
      families[families.length - pool.length + i + 1]!.push(pair[1])
      negatives.push(pair)
    }
  }
  for (const f of families) docs.push(...f)
  shuffle(docs, r)
  const sets = new ShingleSets(sizes)
  const pairs: EvalPair[] = []
  for (const f of families) {
    for (let i = 0; i < f.length; i++) {
      for (let j = i + 1; j < f.length; j++) pairs.push({ a: f[i]!.id, b: f[j]!.id, kind: editKind(f[j]!.id), jaccard: sets.jaccard(f[i]!, f[j]!) })
    }
  }
  for (const [a, b] of negatives) pairs.push({ a: a.id, b: b.id, kind: 'hard_negative', jaccard: sets.jaccard(a, b) })
  return { docs, pairs, sizes }
}

/** The edit named in a variant's id (`en-3-v1-typos+truncated` → `typos+truncated`, `en-3-w-shared_boilerplate`). */
function editKind (id: string): string {
  return id.split('-').slice(3).join('-')
}

function shuffle<T> (xs: T[], r: Rand): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1))
    ;[xs[i], xs[j]] = [xs[j]!, xs[i]!]
  }
}

/** Exact shingle sets, built once per document, with the same normalisation near-dedup uses. */
export class ShingleSets {
  private readonly cache = new Map<string, Set<string>>()
  constructor (private readonly sizes: ShingleSizes) {}

  of (doc: EvalDoc): Set<string> {
    let set = this.cache.get(doc.id)
    if (set === undefined) {
      const norm = dedupText(doc.text)
      set = shingleSet(norm, shingleSize(norm, doc.lang, this.sizes))
      this.cache.set(doc.id, set)
    }
    return set
  }

  jaccard (a: EvalDoc, b: EvalDoc): number {
    return exactJaccard(this.of(a), this.of(b))
  }
}

export interface Score { tp: number, fp: number, fn: number, precision: number, recall: number, f1: number, missedByKind: Record<string, number> }

/**
 * Predicted duplicate pairs are all pairs of documents in one cluster (a document's cluster is its
 * `cluster_id`, or its own id when it is a representative): the same rule for every method,
 * datatrove's clusters included. A predicted pair is a true positive when its true Jaccard (the
 * label, or computed exactly for an unlabelled pair) reaches 0.8; a labelled pair at or above 0.8
 * that is not predicted is a false negative. Unlabelled pairs that are not predicted are not
 * counted: real duplicates among the originals cannot be missed, only found.
 */
export function score (set: EvalSet, clusterOf: ReadonlyMap<string, string>): Score {
  const byId = new Map(set.docs.map(d => [d.id, d]))
  const key = (a: string, b: string): string => a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`
  const labels = new Map(set.pairs.map(p => [key(p.a, p.b), p]))
  const members = new Map<string, string[]>()
  for (const d of set.docs) {
    const c = clusterOf.get(d.id) ?? d.id
    members.set(c, [...(members.get(c) ?? []), d.id])
  }
  const sets = new ShingleSets(set.sizes)
  const predicted = new Set<string>()
  let tp = 0
  let fp = 0
  for (const ids of members.values()) {
    for (let i = 0; i < ids.length; i++) {
      for (let j = i + 1; j < ids.length; j++) {
        const k = key(ids[i]!, ids[j]!)
        predicted.add(k)
        const j1 = labels.get(k)?.jaccard ?? sets.jaccard(byId.get(ids[i]!)!, byId.get(ids[j]!)!)
        if (j1 >= DUPLICATE_JACCARD) tp++
        else fp++
      }
    }
  }
  let fn = 0
  const missedByKind: Record<string, number> = {}
  for (const p of set.pairs) {
    if (p.jaccard < DUPLICATE_JACCARD || predicted.has(key(p.a, p.b))) continue
    fn++
    missedByKind[p.kind] = (missedByKind[p.kind] ?? 0) + 1
  }
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp)
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn)
  const f1 = precision + recall === 0 ? 0 : 2 * precision * recall / (precision + recall)
  return { tp, fp, fn, precision, recall, f1, missedByKind }
}
