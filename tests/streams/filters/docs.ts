import fs from 'node:fs'
import zlib from 'node:zlib'
import type { Document } from '../../../schemas/document.ts'
import { SHARED } from '../../helpers/readers.ts'

let serial = 0

/** A v1 document with the given text and language, as the normalize stage would hand it over. */
export function doc (text: string | null, lang: string | null = 'en'): Document {
  serial++
  return {
    schema_version: 1,
    id: `doc-${serial}`,
    url: null,
    source: 'test',
    crawl_id: null,
    fetched_at: null,
    ingested_at: '2026-11-28T00:00:00.000Z',
    lang,
    text,
    html: null,
    content_type: null,
    signals: {},
    decision: 'keep',
    reason: null,
    dup_of: null,
    cluster_id: null,
    meta: null,
    provenance: { file: null, offset: null, length: null, topic: null, partition: null, kafka_offset: null }
  }
}

function lines (file: string): string[] {
  const bytes = fs.readFileSync(`${SHARED}/${file}`)
  return (file.endsWith('.gz') ? zlib.gunzipSync(bytes) : bytes).toString('utf8').split('\n').filter(l => l.trim() !== '')
}

export const zhWiki = (): string[] => lines('web/zh/zhwiki_sampled.txt.gz')
export const zhWeb = (): Array<{ title: string, text: string }> =>
  lines('web/zh/chinesewebtext-cc2021-43-cleared1.jsonl').map(l => { const d = JSON.parse(l); return { title: d.title, text: d.raw_content } })
export const enC4 = (): string[] =>
  ['web/en/olmo-c4-sample.01.json.gz', 'web/en/olmo-c4-sample.02.json.gz', 'web/en/olmo-c4_100_domains-theguardian.jsonl.gz'].flatMap(f => lines(f).map(l => JSON.parse(l).text as string))
export const enWeb = (): string[] => lines('web/en/dolma-cc_en_head-0091.jsonl.gz').map(l => JSON.parse(l).text as string)
