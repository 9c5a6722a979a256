import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { isUtf8 } from 'node:buffer'
import { parseArgs } from 'node:util'
import { ingestConfigSchema } from '../../schemas/config.ts'
import { readInput } from '../../streams/readers/index.ts'
import { cleanText } from '../../streams/normalize/clean.ts'
import { decodeBody } from '../../streams/normalize/decode.ts'
import { httpCharset, metaCharset, resolveLabel } from '../../streams/normalize/decode-declared.ts'
import { detectCharset } from '../../streams/normalize/decode-detect.ts'
import { encodeText } from '../../streams/normalize/decode-encoder.ts'
import { decodeAs } from '../../streams/normalize/decode-text.ts'

const SHARED = path.resolve('../shared/data')
const HELP = `npm run bench -- clean [--docs 20000] [--out bench-out]

decode  Charset detection on real text encoded without any declaration (zhwiki in GB18030; zhwiki
        made Traditional with OpenCC's STCharacters and Tang poems in Big5; Japanese in Shift_JIS and
        EUC-JP; Korean in EUC-KR; English web text with non-ASCII in windows-1252; the same in UTF-8):
        share recovered exactly, per charset, and speed. Then decodeBody on the real pages of
        ../shared/data/web/warc and web/en/html_extraction against a reference charset (valid
        UTF-8, else a declaration that decodes without errors), with and without the declarations.
clean   cleanText on up to --docs real documents each of CLUECorpusSmall (zh) and olmo-c4/dolma (en), repeated
        to 32 MB: MB/s, and how many documents each step changed.

Figures go to stdout and <out>/clean.json.`

export interface CharsetCase { charset: string, source: string, text: string, bytes: Uint8Array }

function gunzipLines (file: string): string[] {
  return zlib.gunzipSync(fs.readFileSync(path.join(SHARED, file))).toString('utf8').split('\n').filter(l => l.trim() !== '')
}

/** Simplified -> Traditional, character by character with OpenCC's first choice: real modern text in Traditional form. */
function toTraditional (lines: string[]): string[] {
  const map = new Map<string, string>()
  for (const l of fs.readFileSync(path.join(SHARED, 'zh_conversion/opencc/STCharacters.txt'), 'utf8').split('\n')) {
    const [s, t] = l.split('\t')
    if (s !== undefined && t !== undefined && !s.startsWith('#')) map.set(s, t.split(' ')[0]!)
  }
  return lines.map(l => Array.from(l, ch => map.get(ch) ?? ch).join(''))
}

// Written for these tests (no Japanese or Korean corpus is in ../shared/data).
export const JAPANESE = [
  '今日は朝から雨が降っていたので、駅まで歩くのをやめてバスに乗りました。バスの中はとても混んでいて、座ることはできませんでしたが、窓から見える町の景色はいつもと違って静かに見えました。',
  '私の祖母は毎年春になると庭で野菜を育てています。トマトやきゅうり、なすなど、いろいろな種類があり、夏休みに遊びに行くと、一緒に収穫するのが楽しみです。',
  'この会社は東京に本社を置き、全国に二十以上の支店を持っています。新しい製品の開発には特に力を入れており、若い社員の意見を積極的に取り入れることで知られています。',
  '図書館で借りた本を読み終わったので、明日返しに行くつもりです。次は歴史についての本を探してみようと思っています。',
  '日本の伝統的な料理には、季節の食材を大切にするという考え方があります。春にはたけのこ、秋にはきのこや栗など、その時期にしか味わえないものを楽しみます。',
  '先週の会議では、来年度の計画について長い時間話し合いましたが、結論は出ませんでした。もう一度資料を確認してから、改めて意見をまとめる必要があります。',
  '子どもたちは公園でサッカーをしたり、ブランコに乗ったりして、夕方まで元気に遊んでいました。',
  '電車が遅れているというアナウンスがあったので、友だちに少し遅くなるとメールを送りました。'
]
export const KOREAN = [
  '오늘은 아침부터 비가 내려서 학교에 가는 길이 평소보다 오래 걸렸습니다. 그래도 친구들과 함께 이야기를 나누며 걸으니 시간이 금방 지나갔습니다.',
  '우리 회사는 새로운 제품을 개발하기 위해 많은 노력을 하고 있으며, 내년에는 해외 시장에도 진출할 계획입니다.',
  '할머니께서는 매년 봄이 되면 마당에 여러 가지 채소를 심으십니다. 여름 방학에 찾아가면 함께 수확하는 것이 큰 즐거움입니다.',
  '도서관에서 빌린 책을 다 읽어서 내일 반납하러 갈 생각입니다. 다음에는 역사에 관한 책을 찾아보려고 합니다.',
  '한국의 전통 음식은 계절에 따라 다양한 재료를 사용하는 것이 특징입니다. 특히 김치는 지역마다 만드는 방법이 조금씩 다릅니다.',
  '지난주 회의에서는 내년 계획에 대해 오랫동안 논의했지만 결론을 내리지 못했습니다.'
]

/**
 * Real texts encoded into each charset with no declaration anywhere. Texts with a character the
 * charset cannot encode, or with no non-ASCII byte (nothing to detect), are skipped.
 */
export function charsetCases (perSource = Infinity): CharsetCase[] {
  const zh = gunzipLines('web/zh/zhwiki_sampled.txt.gz').filter(l => l.length >= 4)
  const poems = (JSON.parse(fs.readFileSync(path.join(SHARED, 'web/zh/poetry/quantangshi-poet.tang.0.json'), 'utf8')) as Array<{ paragraphs: string[] }>).map(p => p.paragraphs.join('\n'))
  const en = ['web/en/olmo-c4-sample.01.json.gz', 'web/en/olmo-c4-sample.02.json.gz', 'web/en/dolma-cc_en_head-0091.jsonl.gz', 'web/en/olmo-c4_100_domains-theguardian.jsonl.gz']
    .flatMap(f => gunzipLines(f).map(l => (JSON.parse(l) as { text: string }).text))
  const sources: Array<[string, string, string[]]> = [
    ['gb18030', 'zhwiki', zh], ['gb18030', 'tang poems', poems],
    ['big5', 'zhwiki (Traditional)', toTraditional(zh)], ['big5', 'tang poems', poems],
    ['shift_jis', 'written', JAPANESE], ['euc-jp', 'written', JAPANESE], ['euc-kr', 'written', KOREAN],
    ['windows-1252', 'c4/dolma/guardian', en], ['utf-8', 'zhwiki', zh], ['utf-8', 'c4/dolma/guardian', en]
  ]
  const cases: CharsetCase[] = []
  for (const [charset, source, texts] of sources) {
    let n = 0
    for (const text of texts) {
      if (n >= perSource) break
      const bytes = charset === 'utf-8' ? new TextEncoder().encode(text) : encodeText(text, charset)
      if (bytes === null || !bytes.some(b => b >= 0x80)) continue
      cases.push({ charset, source, text, bytes })
      n++
    }
  }
  return cases
}

export interface RealPage { name: string, body: Uint8Array, contentType: string | null, reference: string | null }

/** Files of a .tar.gz whose names pass `keep` (ustar headers: name at 0, size in octal at 124, prefix at 345). */
function tarFiles (file: string, keep: (name: string) => boolean): Array<{ name: string, bytes: Uint8Array }> {
  const tar = zlib.gunzipSync(fs.readFileSync(file))
  const out: Array<{ name: string, bytes: Uint8Array }> = []
  for (let at = 0; at + 512 <= tar.length;) {
    const field = (from: number, len: number): string => tar.subarray(at + from, at + from + len).toString('latin1').replace(/\0.*$/s, '')
    const name = field(345, 155) === '' ? field(0, 100) : `${field(345, 155)}/${field(0, 100)}`
    if (name === '') break
    const size = parseInt(field(124, 12).trim() || '0', 8)
    if (field(156, 1) !== '5' && keep(name)) out.push({ name, bytes: tar.subarray(at + 512, at + 512 + size) })
    at += 512 + Math.ceil(size / 512) * 512
  }
  return out
}

/**
 * The reference charset of a real page: UTF-8 when its bytes are valid UTF-8 (legacy text almost
 * never is), else its declaration when that decodes without errors, else unknown (null).
 */
function reference (body: Uint8Array, contentType: string | null): string | null {
  if (isUtf8(body)) return 'utf-8'
  const label = httpCharset(contentType) ?? metaCharset(body)
  const name = label === null ? null : resolveLabel(label)
  return name !== null && !decodeAs(body, name).includes('\ufffd') ? name : null
}

/** HTML pages with non-ASCII bytes from the WARC files (read with Sluice's own reader) and the html_extraction sets. */
export async function realPages (): Promise<RealPage[]> {
  const pages: RealPage[] = []
  const config = ingestConfigSchema.parse({})
  const warcDir = path.join(SHARED, 'web/warc')
  for (const f of fs.readdirSync(warcDir).filter(f => f.endsWith('.warc.gz'))) {
    for await (const item of readInput(path.join(warcDir, f), { config, startOffset: 0 })) {
      if (item.kind !== 'record' || item.record.body === null || !/html/.test(item.record.content_type ?? '')) continue
      pages.push({ name: `${f}:${item.record.url}`, body: item.record.body, contentType: item.record.content_type, reference: null })
    }
  }
  const htmlDir = path.join(SHARED, 'web/en/html_extraction')
  for (const f of fs.readdirSync(htmlDir).filter(f => f.endsWith('.tar.gz'))) {
    for (const { name, bytes } of tarFiles(path.join(htmlDir, f), n => /\/input\/[^/]+\.html$/.test(n))) pages.push({ name, body: bytes, contentType: null, reference: null })
  }
  return pages.filter(p => p.body.some(b => b >= 0x80)).map(p => ({ ...p, reference: reference(p.body, p.contentType) }))
}

function mbPerSecond (bytes: number, ms: number): number {
  return Number((bytes / 1e6 / (ms / 1000)).toFixed(1))
}

function decodeFigures (cases: CharsetCase[], pages: RealPage[]) {
  for (const c of cases.slice(0, 50)) detectCharset(c.bytes) // build the byte tables before timing
  const perCharset: Record<string, { cases: number, exact: number }> = {}
  let bytes = 0
  let ms = 0
  for (const c of cases) {
    const key = `${c.charset} (${c.source})`
    const row = perCharset[key] ??= { cases: 0, exact: 0 }
    const t = performance.now()
    const out = decodeBody(c.bytes, null)
    ms += performance.now() - t
    bytes += c.bytes.length
    row.cases++
    if (out.text === c.text) row.exact++
  }
  const labelled = pages.filter(p => p.reference !== null)
  const agree = (p: RealPage, charset: string): boolean => decodeAs(p.body, charset) === decodeAs(p.body, p.reference!)
  let pageBytes = 0
  let pageMs = 0
  let withDeclarations = 0
  for (const p of labelled) {
    const t = performance.now()
    const out = decodeBody(p.body, p.contentType)
    pageMs += performance.now() - t
    pageBytes += p.body.length
    if (agree(p, out.charset)) withDeclarations++
  }
  const blind = labelled.filter(p => agree(p, detectCharset(p.body).charset)).length
  return {
    synthetic: { perCharset, mb_per_s: mbPerSecond(bytes, ms), docs: cases.length },
    real: { pages: pages.length, labelled: labelled.length, decodeBody_agrees: withDeclarations, detection_alone_agrees: blind, mb_per_s: mbPerSecond(pageBytes, pageMs) }
  }
}

const MIN_TIMED_BYTES = 32e6

function cleanFigures (docs: number) {
  const zh = gunzipLines('web/zh/CLUECorpusSmall_sampled.txt.gz').slice(0, docs)
  const en = ['web/en/olmo-c4-sample.01.json.gz', 'web/en/olmo-c4-sample.02.json.gz', 'web/en/olmo-c4_100_domains-theguardian.jsonl.gz', 'web/en/dolma-cc_en_head-0091.jsonl.gz']
    .flatMap(f => gunzipLines(f).map(l => (JSON.parse(l) as { text: string }).text)).slice(0, docs)
  const run = (texts: string[]) => {
    const changed: Record<string, number> = {}
    for (const t of texts) for (const [k, v] of Object.entries(cleanText(t).signals)) if (v > 0) changed[k] = (changed[k] ?? 0) + 1
    const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0)
    // the samples are small: timed over repeated rounds (after the counting round above warmed the JIT) for a steady figure
    const rounds = Math.max(1, Math.ceil(MIN_TIMED_BYTES / bytes))
    const t0 = performance.now()
    for (let r = 0; r < rounds; r++) for (const t of texts) cleanText(t)
    return { docs: texts.length, mb: Number((bytes / 1e6).toFixed(2)), rounds, mb_per_s: mbPerSecond(bytes * rounds, performance.now() - t0), docs_changed_by: changed }
  }
  return { zh: run(zh), en: run(en) }
}

export async function main (argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { docs: { type: 'string', default: '20000' }, out: { type: 'string', default: 'bench-out' }, help: { type: 'boolean' } } })
  if (values.help === true) { console.log(HELP); return }
  const decode = decodeFigures(charsetCases(), await realPages())
  const clean = cleanFigures(Number(values.docs))
  console.log('decode, no declarations (exact text recovered):')
  for (const [k, v] of Object.entries(decode.synthetic.perCharset)) console.log(`  ${k.padEnd(36)} ${v.exact}/${v.cases} (${(100 * v.exact / v.cases).toFixed(1)}%)`)
  console.log(`  speed ${decode.synthetic.mb_per_s} MB/s over ${decode.synthetic.docs} short documents (mostly one zhwiki line each)`)
  const r = decode.real
  console.log(`decode, real pages: ${r.pages} with non-ASCII bytes, ${r.labelled} with a reference charset; decodeBody agrees on ${r.decodeBody_agrees}, detection alone on ${r.detection_alone_agrees}; ${r.mb_per_s} MB/s`)
  for (const [lang, c] of Object.entries(clean)) console.log(`clean ${lang}: ${c.docs} docs, ${c.mb} MB, ${c.mb_per_s} MB/s; docs changed by ${JSON.stringify(c.docs_changed_by)}`)
  fs.mkdirSync(values.out!, { recursive: true })
  fs.writeFileSync(path.resolve(values.out!, 'clean.json'), JSON.stringify({ decode, clean, at: new Date().toISOString() }, null, 2) + '\n')
}
