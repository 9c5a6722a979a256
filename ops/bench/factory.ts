import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { parseArgs } from 'node:util'
import type { Document } from '../../schemas/document.ts'
import type { RawRecord } from '../../schemas/raw-record.ts'
import { filterDocuments } from '../../streams/filters/index.ts'
import { normalizeConfigSchema } from '../../streams/normalize/config.ts'
import { normalizeDocuments } from '../../streams/normalize/index.ts'
import type { OperatorContext, OperatorStats } from '../../streams/operator.ts'
import { readInput } from '../../streams/readers/index.ts'
import { ingestConfigSchema } from '../../schemas/config.ts'
import { goldPages, measureExtraction } from './extraction.ts'
import { filterFigures } from './filters.ts'
import { languageFigures } from './langid.ts'

const SHARED = path.resolve('../shared/data')
const HELP = `npm run bench -- factory [--mb 16] [--pages 300] [--no-datatrove] [--out bench-out]

The data factory (normalize + filter) per process, on the real data in ../shared/data:
  html   WARC responses and the extraction benchmarks' HTML pages as raw records, repeated to --mb:
         decode, main-text extraction, cleaning, language, Traditional->Simplified, all rule sets, PII;
  text   extracted zh/en text (C4, cc_net, CLUECorpus, zh-Wikipedia, ChineseWebText) as raw records, repeated
         to --mb: the same chain without extraction;
then the figures of the parts: extraction F1 against the gold texts (--pages per dataset), language
accuracy, and the rule filters against datatrove (PyPI: pip install datatrove nltk) on the same English text.
Goals: 20 MB/s with HTML extraction, 50 MB/s on extracted text; mean F1 >= 0.85; language accuracy >= 99%.`

function counting (): OperatorContext<unknown> {
  const stats: OperatorStats = { received: 0, forwarded: 0 }
  return { stats, signal: new AbortController().signal, drop: (_item, reason) => { stats[`dropped_${reason}`] = (stats[`dropped_${reason}`] ?? 0) + 1 } }
}

async function * of<T> (items: T[]): AsyncIterable<T> { yield * items }

function record (i: number, fields: Partial<RawRecord>): RawRecord {
  return {
    schema_version: 1, id: `bench-${i}`, url: null, source: 'bench', crawl_id: null, fetched_at: null, record_type: 'jsonl',
    content_type: null, http_status: null, http_headers: null, text: null, body: null, meta: null,
    provenance: { file: 'bench', offset: i, length: 1, topic: null, partition: null, kafka_offset: null },
    ...fields
  }
}

async function htmlRecords (): Promise<RawRecord[]> {
  const out: RawRecord[] = []
  const config = ingestConfigSchema.parse({})
  for (const name of fs.readdirSync(path.join(SHARED, 'web/warc')).filter(n => /\.warc(\.gz)?$/.test(n))) {
    for await (const item of readInput(path.join(SHARED, 'web/warc', name), { config, startOffset: 0 })) {
      if (item.kind === 'record' && item.record.body !== null && /html/i.test(item.record.content_type ?? '')) out.push(item.record)
    }
  }
  for (const page of goldPages({ limit: 100 })) {
    out.push(record(out.length, { record_type: 'resource', content_type: 'text/html; charset=utf-8', body: new Uint8Array(Buffer.from(page.html)), url: page.url ?? null }))
  }
  return out
}

function textRecords (): RawRecord[] {
  const texts: string[] = []
  const gz = (f: string) => zlib.gunzipSync(fs.readFileSync(path.join(SHARED, f))).toString('utf8').split('\n').filter(l => l.trim() !== '')
  for (const f of ['web/en/olmo-c4-sample.01.json.gz', 'web/en/olmo-c4-sample.02.json.gz', 'web/en/dolma-cc_en_head-0091.jsonl.gz', 'web/en/olmo-c4_100_domains-theguardian.jsonl.gz']) {
    for (const l of gz(f)) texts.push(JSON.parse(l).text)
  }
  for (const f of ['web/zh/CLUECorpusSmall_sampled.txt.gz', 'web/zh/zhwiki_sampled.txt.gz']) texts.push(...gz(f))
  for (const l of fs.readFileSync(path.join(SHARED, 'web/zh/chinesewebtext-cc2021-43-cleared1.jsonl'), 'utf8').split('\n')) if (l.trim() !== '') texts.push(JSON.parse(l).raw_content)
  return texts.map((text, i) => record(i, { text, content_type: 'text/plain' }))
}

const inputBytes = (r: RawRecord) => r.body?.byteLength ?? Buffer.byteLength(r.text ?? '')

/** Records taken in turn (repeating when the set is smaller) until they add up to the target size. */
function sized (records: RawRecord[], targetBytes: number): { records: RawRecord[], bytes: number } {
  const out: RawRecord[] = []
  let bytes = 0
  for (let i = 0; bytes < targetBytes; i++) {
    const r = records[i % records.length]!
    out.push(r)
    bytes += inputBytes(r)
  }
  return { records: out, bytes }
}

/** normalize -> filter over the records, timed after a warm-up pass (lazy tables, JIT). */
async function chainRate (records: RawRecord[], bytes: number, warm: RawRecord[], extractMode: 'best' | 'fast' = 'best'): Promise<{ mbPerS: number, docs: number, kept: number }> {
  const run = async (input: RawRecord[]) => {
    const normalize = normalizeDocuments(normalizeConfigSchema.parse({ extractMode }))
    const filter = filterDocuments({})
    let kept = 0
    for await (const doc of filter(normalize(of(input), counting()) as AsyncIterable<Document>, counting() as OperatorContext<Document>)) if (doc.decision === 'keep') kept++
    return kept
  }
  await run(warm)
  const start = process.hrtime.bigint()
  const kept = await run(records)
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  return { mbPerS: bytes / 1e6 / seconds, docs: records.length, kept }
}

export async function main (args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { mb: { type: 'string', default: '16' }, pages: { type: 'string', default: '300' }, 'no-datatrove': { type: 'boolean' }, out: { type: 'string', default: 'bench-out' }, help: { type: 'boolean' } } })
  if (values.help === true) { process.stdout.write(HELP + '\n'); return }
  const mb = Number(values.mb)
  const figures: Record<string, unknown> = {}

  const html = await htmlRecords()
  const htmlRep = sized(html, mb * 1e6)
  const htmlRate = await chainRate(htmlRep.records, htmlRep.bytes, html.slice(0, 20))
  console.log(`html: ${htmlRep.records.length} of ${html.length} pages, ${(htmlRep.bytes / 1e6).toFixed(1)} MB: normalize + filter ${htmlRate.mbPerS.toFixed(2)} MB/s (${htmlRate.kept} of ${htmlRate.docs} kept); goal 20 MB/s`)
  const htmlFast = await chainRate(htmlRep.records, htmlRep.bytes, html.slice(0, 20), 'fast')
  console.log(`html, --extract fast: normalize + filter ${htmlFast.mbPerS.toFixed(2)} MB/s (${htmlFast.kept} of ${htmlFast.docs} kept)`)
  const text = textRecords()
  const textRep = sized(text, mb * 1e6)
  const textRate = await chainRate(textRep.records, textRep.bytes, text.slice(0, 200))
  console.log(`text: ${textRep.records.length} docs (from ${text.length}), ${(textRep.bytes / 1e6).toFixed(1)} MB: normalize + filter ${textRate.mbPerS.toFixed(2)} MB/s (${textRate.kept} of ${textRate.docs} kept); goal 50 MB/s`)
  figures.throughput = { html: { ...htmlRate, mb: htmlRep.bytes / 1e6 }, htmlFast, text: { ...textRate, mb: textRep.bytes / 1e6 } }

  const extraction = await measureExtraction({ limit: Number(values.pages) })
  for (const f of extraction.filter(x => x.dataset === 'all' || x.method === 'sluice')) {
    console.log(`extraction ${f.method.padEnd(22)} ${f.dataset.padEnd(16)} mean F1 ${f.meanF1.toFixed(3)} (P ${f.precision.toFixed(3)}, R ${f.recall.toFixed(3)}) over ${f.pages} pages, ${f.mbPerSec.toFixed(1)} MB/s`)
  }
  figures.extraction = extraction.map(({ worst: _worst, ...f }) => f)

  const language = languageFigures(500)
  for (const l of language.langid) console.log(`language ${l.method.padEnd(18)} accuracy ${(100 * l.accuracy).toFixed(2)}% (>= 20 chars), ${(100 * l.shortAccuracy).toFixed(1)}% (shorter), ${l.mbPerSec.toFixed(1)} MB/s`)
  for (const o of language.opencc) console.log(`opencc ${o.config}: ${o.passed}/${o.total} test cases`)
  figures.language = { langid: language.langid.map(({ errors: _errors, ...l }) => l), opencc: language.opencc }

  const peer = values['no-datatrove'] !== true && spawnSync('python3', ['-c', 'import datatrove, nltk']).status === 0
  if (values['no-datatrove'] !== true && !peer) console.log('datatrove is not installed (pip install datatrove nltk): its ratio is left out')
  const filters = await filterFigures({ mb: Math.min(mb, 8), out: values.out, datatrove: peer })
  console.log(`filters: ${filters.sluice_mb_per_s} MB/s mixed zh/en; English with gopher+c4+fineweb: Sluice ${filters.sluice_en_mb_per_s} MB/s` +
    (filters.datatrove_en_mb_per_s === null ? '' : `, datatrove ${filters.datatrove_en_mb_per_s} MB/s, ratio ${filters.ratio_to_datatrove}, keep/drop agreement ${JSON.stringify(filters.agreement)}`))
  figures.filters = filters

  fs.mkdirSync(values.out, { recursive: true })
  fs.writeFileSync(path.join(values.out, 'factory.json'), JSON.stringify(figures, null, 2))
}
