import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import OpenCC from 'opencc-js'

/**
 * Real documents for the signature golden check: every en/zh text sample under ../shared/data/web
 * and ../shared/data/quality that is plain text, some converted to Traditional Chinese, and
 * hand-written strings at the edges of normalisation (full width, final sigma, combining marks,
 * astral letters, emoji, compatibility ideographs). `lang` null lets the script decide.
 */
export interface GoldenDoc { id: string, lang: string | null, text: string }

const SHARED = path.resolve('../shared/data')

function lines (file: string): string[] {
  const buf = fs.readFileSync(path.join(SHARED, file))
  return (file.endsWith('.gz') ? zlib.gunzipSync(buf) : buf).toString('utf8').split('\n').filter(l => l.trim() !== '')
}

function jsonl (file: string, field: string): string[] {
  return lines(file).map(l => String((JSON.parse(l) as Record<string, unknown>)[field] ?? ''))
}

function poems (file: string): string[] {
  const list = JSON.parse(fs.readFileSync(path.join(SHARED, file), 'utf8')) as Array<{ title?: string, rhythmic?: string, paragraphs: string[] }>
  return list.map(p => [p.title ?? p.rhythmic ?? '', ...p.paragraphs].join('\n'))
}

export const EDGE_CASES: string[] = [
  '',
  '!!! …… 😀',
  'one',
  'two words',
  'ΟΔΥΣΣΕΥΣ ΣΊΣΥΦΟΣ Σ ΣΑΣ σας ΑΣ. ΜΑΣ, ΣΑΣΣ',
  'İstanbul İİ DİYARBAKIR ǅemal ǈ ǋ ß ẞ ﬁne ﬀ ﬃ Å Ω K',
  'ＦＵＬＬ　ＷＩＤＴＨ ｔｅｘｔ １２３，ｈａｌｆ ｶﾀｶﾅ ｶﾞｷﾞ ﾊﾟ ｳﾞ',
  'café cafe\u0301 CAFE\u0301 e\u0301\u0301 a\u0308\u0323 \u0301lead ñ n\u0303 Ǆ ǆ',
  '𝐀𝐁𝐂 𝒶𝒷𝒸 𝔸𝔹ℂ 𝟏𝟐𝟑 ⅷ Ⅻ ½ ² ㎏ ㍻ ℡ ™ ①②③ ⑴ ⒜',
  '😀😃 👍🏽 👨‍👩‍👧 🇨🇳🇺🇸 ❤️ ✌︎ 🈐 🈯 🄰 🅐 𝕏 🀄',
  '⼀⼆⼈ ⺟⻑ 豈 更 車 丽 丸 ㊀ ㊥ 兀 嗀 﨎 﨏 𠀀𠀁 𪚥 𡈽 \ud840 \udc00 lone',
  '한국어 텍스트 ᄒ\u1161\u11ab 가\u11a8 ㄱㅏ',
  'Ελληνικά Русский ТЕКСТ Ünïcödé ÀÉÎÕÜ ĲĳŉſƂ',
  'アイウエオ かきくけこ 漢字かな混じり文 ｱｲｳ ガギグ',
  '這是一個繁體中文的句子，測試轉換。臺灣 著名 乾隆 頭髮 发展 發展',
  'mixed 中文 and English 文本 together 一起 tested 测试 words',
  '\u200b\u200czero\u200dwidth\ufeff joiners\u00ad soft\u2060hyphen',
  'tab\tnew\nline\r\nspaces   and\u3000ideographic\u00a0nbsp',
  'digits 0123 ٠١٢٣ ०१२३ ١٢٣ 𝟘𝟙',
  'a b c d e f g h i j k l m n o p q r s t u v w x y z'
]

let cached: GoldenDoc[] | undefined

/** 11,341 documents (6.4 MB of UTF-8), in a fixed order. */
export function goldenCorpus (): GoldenDoc[] {
  if (cached !== undefined) return cached
  const docs: GoldenDoc[] = []
  const add = (source: string, lang: string | null, texts: string[]): void => {
    texts.forEach((text, i) => docs.push({ id: `${source}:${i}`, lang, text }))
  }
  add('dolma', 'en', jsonl('web/en/dolma-cc_en_head-0091.jsonl.gz', 'text'))
  add('c4-01', 'en', jsonl('web/en/olmo-c4-sample.01.json.gz', 'text'))
  add('c4-02', 'en', jsonl('web/en/olmo-c4-sample.02.json.gz', 'text'))
  add('guardian', 'en', jsonl('web/en/olmo-c4_100_domains-theguardian.jsonl.gz', 'text'))
  add('dclm-majority', 'en', jsonl('quality/dclm-majority_data.jsonl', 'text'))
  add('dclm-agreement', null, jsonl('quality/dclm-agreement_data.jsonl', 'text'))
  add('cwt', 'zh', jsonl('web/zh/chinesewebtext-cc2021-43-cleared1.jsonl', 'raw_content'))
  add('cwt-clean', null, jsonl('quality/chinesewebtext-clean.jsonl', 'text'))
  add('cwt-dirty', 'zh', jsonl('quality/chinesewebtext-dirty.jsonl', 'text'))
  const zhwiki = lines('web/zh/zhwiki_sampled.txt.gz')
  add('zhwiki', 'zh', zhwiki)
  add('clue', 'zh', lines('web/zh/CLUECorpusSmall_sampled.txt.gz'))
  add('news-commentary', null, lines('web/zh/news-commentary-v13-en-zh_sampled.tsv'))
  add('chnsenticorp', 'zh', lines('web/zh/ChnSentiCorp_htl_all.csv.gz').slice(1, 2001))
  add('waimai', null, lines('web/zh/waimai_10k.csv.gz').slice(1, 2001))
  add('tang', 'zh', poems('web/zh/poetry/quantangshi-poet.tang.0.json'))
  add('songci', null, poems('web/zh/poetry/songci-ci.song.0.json'))
  const toTraditional = OpenCC.Converter({ from: 'cn', to: 'tw' })
  add('zhwiki-tw', 'zh', zhwiki.slice(0, 300).map(t => toTraditional(t)))
  add('edge', null, EDGE_CASES)
  add('edge-en', 'en', EDGE_CASES)
  add('edge-zh', 'zh', EDGE_CASES)
  cached = docs
  return docs
}
