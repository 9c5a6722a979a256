import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import type { Document } from '../../../schemas/document.ts'
import { documentId } from '../../../schemas/ids.ts'
import { rawToDocument } from '../../../streams/operators/to-document.ts'

const WEB = path.resolve('../shared/data/web')
const INGESTED_AT = '2026-11-28T01:02:03.456Z'

/** Strings that writers get wrong: NUL and control bytes, BOM, line separators, noncharacters, astral planes, combining marks. */
const ODD = [
  '', 'a\u0000b', '\u0000', '\u0001\u0002\u001f\u007f', '\uFEFFbom first', 'line\u2028sep\u2029para', '\uFFFD\uFFFE\uFFFF',
  '😀👨‍👩‍👧‍👦🏳️‍🌈 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𠀀𠜎𪚥 \u{10FFFF}', 'e\u0301 a\u0308\u0323 עברית العربية', 'tab\tcr\r\nlf\n"quote" \\back\\slash',
  '\u0085next line', '中文，标点。「引号」', "it's", 'x'.repeat(70_000)
]

function lines (file: string): string[] {
  return zlib.gunzipSync(fs.readFileSync(path.join(WEB, file))).toString('utf8').split('\n').filter(l => l.trim() !== '')
}

function doc (text: string | null, html: string | null, i: number, lang: string, source: string): Document {
  const base = rawToDocument({
    schema_version: 1, id: documentId(null, `${i}:${text ?? html ?? ''}`), url: `https://bench.example/${lang}/${i}`, source, crawl_id: 'CC-MAIN-2026-48',
    fetched_at: '2026-11-27T23:59:59.999Z', record_type: 'jsonl', content_type: html === null ? 'text/plain' : 'text/html; charset=utf-8',
    http_status: html === null ? null : 200, http_headers: null, text, body: null, meta: null,
    provenance: { file: `/data/${source}.jsonl.gz`, offset: i * 1000, length: 1000, topic: null, partition: null, kafka_offset: null }
  }, INGESTED_AT)
  const dropped = i % 7 === 0
  return {
    ...base,
    html,
    lang,
    signals: { chars: (text ?? html ?? '').length, ppl: (i % 997) / 3, lid: lang },
    decision: dropped ? 'drop' : 'keep',
    reason: dropped ? 'quality:too_short' : null
  }
}

/** Edge cases, each once: empty strings, odd characters in every string column, a several-MB document. */
function edgeCases (longBytes: number): Document[] {
  const out: Document[] = []
  ODD.forEach((s, i) => {
    out.push({
      ...doc(s, i % 2 === 0 ? s : null, 9_000_000 + i, 'other', s),
      url: s, crawl_id: s, reason: s, dup_of: s, cluster_id: s, content_type: s,
      meta: { odd: s }, provenance: { file: s, offset: 0, length: 0, topic: s, partition: 0, kafka_offset: 0 }
    })
  })
  const zh = lines('zh/zhwiki_sampled.txt.gz').join('\n')
  let long = ''
  while (Buffer.byteLength(long) < longBytes) long += zh
  out.push(doc(long, null, 9_100_000, 'zh', 'long'))
  return out
}

/**
 * About `targetBytes` of text and html as v1 documents: the real Chinese and English web texts of
 * ../shared/data/web (each repeat numbered so ids differ), some real HTML pages, then the edge cases.
 */
export function benchDocuments (targetBytes: number, longBytes = 4 << 20): { docs: Document[], textBytes: number } {
  const texts: Array<{ text: string, lang: string, source: string }> = []
  for (const f of ['zh/CLUECorpusSmall_sampled.txt.gz', 'zh/zhwiki_sampled.txt.gz']) for (const t of lines(f)) texts.push({ text: t, lang: 'zh', source: path.basename(f, '.txt.gz') })
  for (const f of ['en/olmo-c4-sample.01.json.gz', 'en/dolma-cc_en_head-0091.jsonl.gz', 'en/olmo-c4_100_domains-theguardian.jsonl.gz']) {
    for (const l of lines(f)) texts.push({ text: JSON.parse(l).text as string, lang: 'en', source: f.replace(/^en\/|\.jsonl?\.gz$/g, '') })
  }
  const htmlDir = path.join(WEB, 'en/dclm-html')
  const pages = fs.readdirSync(htmlDir).sort().map(f => fs.readFileSync(path.join(htmlDir, f), 'utf8'))
  const docs = edgeCases(longBytes)
  let textBytes = 0
  for (const d of docs) textBytes += Buffer.byteLength(d.text ?? '') + Buffer.byteLength(d.html ?? '')
  for (let i = 0; textBytes < targetBytes; i++) {
    const d = i % 200 === 199
      ? doc(null, pages[(i / 200 | 0) % pages.length]!, i, 'en', 'dclm-html')
      : doc(texts[i % texts.length]!.text, null, i, texts[i % texts.length]!.lang, texts[i % texts.length]!.source)
    docs.push(d)
    textBytes += Buffer.byteLength(d.text ?? '') + Buffer.byteLength(d.html ?? '')
  }
  return { docs, textBytes }
}
