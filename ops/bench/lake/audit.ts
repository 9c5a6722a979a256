import fs from 'node:fs'
import path from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { DOCUMENTS_SCHEMA, openDocumentsTable } from '../../../lake/documents-table.ts'
import { duckType, quote } from '../../../lake/iceberg/parquet.ts'
import { openLake } from '../../../lake/sql.ts'
import { fieldIdsOption } from './writers.ts'

/** Language shares of a web crawl after language id, in percent. */
const LANGS: Array<[string, number]> = [['en', 45], ['zh', 35], ['ja', 5], ['ru', 4], ['de', 4], ['fr', 3], ['other', 4]]
const REASONS = ['quality:too_short', 'quality:symbol_ratio', 'quality:bullet_lines', 'quality:repetition_5gram', 'dedup:exact', 'dedup:near', 'lang:low_confidence', 'toxicity:score', 'pii:email']

function langCase (): string {
  let upTo = 0
  return `CASE ${LANGS.map(([lang, share]) => `WHEN hash(i) % 100 < ${(upTo += share)} THEN '${lang}'`).join(' ')} END`
}

/** One SQL expression per documents column, of row number `i`, cast to the table's types. */
function columns (day: string): string {
  const exprs: Record<string, string> = {
    schema_version: '1',
    id: `substr(md5(i::VARCHAR), 1, 16)`,
    url: `'https://site' || (hash(i) % 50000) || '.example/p/' || i`,
    source: `['cc-main-2026-48', 'cc-main-2026-44', 'zhwiki', 'news', 'clue'][i % 5 + 1]`,
    crawl_id: `'CC-MAIN-2026-48'`,
    fetched_at: `TIMESTAMPTZ '${day} 00:00:00+00' - INTERVAL 1 DAY + to_milliseconds(i % 86400000)`,
    ingested_at: `TIMESTAMPTZ '${day} 00:00:00+00' + to_milliseconds(i % 86400000)`,
    lang: langCase(),
    text: `'document ' || i || ' ' || repeat('lorem ipsum 文本 ', (hash(i) % 40)::INTEGER)`,
    content_type: `'text/plain'`,
    signals: `json_object('chars', hash(i) % 5000, 'ppl', (hash(i) % 997) / 3.0)::VARCHAR`,
    decision: `CASE WHEN hash(i * 7) % 100 < 62 THEN 'keep' ELSE 'drop' END`,
    reason: `CASE WHEN hash(i * 7) % 100 < 62 THEN NULL ELSE [${REASONS.map(quote).join(', ')}][(hash(i * 13) % ${REASONS.length})::BIGINT + 1] END`,
    provenance: `struct_pack(file := '/crawl/part-' || (i // 10000) || '.warc.gz', "offset" := i * 1000, length := 1000, topic := NULL, "partition" := NULL, kafka_offset := NULL)`
  }
  return DOCUMENTS_SCHEMA.fields.map(f => `CAST(${exprs[f.name] ?? 'NULL'} AS ${duckType(f.type)}) AS "${f.name}"`).join(', ')
}

export interface AuditResult { docs: number, files: number, generateSeconds: number, openSeconds: number, querySeconds: number, secondQuerySeconds: number, groups: number }

/**
 * Writes `docs` synthetic documents into a fresh documents table, `perCommit` per snapshot (the
 * sink's default batch) with one file per language as the sink writes them, then times opening
 * the lake and the audit query.
 */
export async function auditBench (lakeDir: string, docs: number, perCommit: number): Promise<AuditResult> {
  const table = openDocumentsTable(lakeDir)
  const db = await DuckDBInstance.create(':memory:')
  const connection = await db.connect()
  const start = process.hrtime.bigint()
  let files = 0
  try {
    for (let from = 0, commit = 0; from < docs; from += perCommit, commit++) {
      const day = new Date(Date.UTC(2026, 10, 28 - (commit % 7))).toISOString().slice(0, 10)
      const to = Math.min(docs, from + perCommit)
      const entries = []
      for (const [lang] of LANGS) {
        const dir = path.join(table.dataDir, `lang=${lang}`, `ingested_at_day=${day}`)
        fs.mkdirSync(dir, { recursive: true })
        const file = path.join(dir, `bench-${commit}.parquet`)
        const result = await connection.runAndReadAll(
          `COPY (SELECT * FROM (SELECT ${columns(day)} FROM range(${from}, ${to}) t(i)) WHERE lang = ${quote(lang)}) ` +
          `TO ${quote(file)} (FORMAT parquet, COMPRESSION zstd, FIELD_IDS ${fieldIdsOption()})`
        )
        // COPY answers with the number of rows it wrote
        const count = Number(result.getRows()[0]![0])
        entries.push({ path: file, recordCount: count, fileSizeInBytes: fs.statSync(file).size, partition: { lang, ingested_at_day: Math.floor(Date.parse(day) / 86_400_000) } })
      }
      table.append(entries, { 'sluice.bench': 'audit' })
      files += entries.length
    }
  } finally {
    connection.closeSync()
    db.closeSync()
  }
  const generateSeconds = Number(process.hrtime.bigint() - start) / 1e9

  const t0 = process.hrtime.bigint()
  const lake = await openLake(lakeDir)
  const t1 = process.hrtime.bigint()
  const sql = 'SELECT lang, decision, reason, count(*) AS n FROM documents GROUP BY lang, decision, reason ORDER BY n DESC'
  try {
    const rows = (await lake.connection.runAndReadAll(sql)).getRowObjects()
    const t2 = process.hrtime.bigint()
    await lake.connection.runAndReadAll(sql)
    const t3 = process.hrtime.bigint()
    const total = rows.reduce((n, r) => n + Number(r.n), 0)
    if (total !== docs) throw new Error(`audit counted ${total} documents, ${docs} were written`)
    return { docs, files, generateSeconds, openSeconds: Number(t1 - t0) / 1e9, querySeconds: Number(t2 - t1) / 1e9, secondQuerySeconds: Number(t3 - t2) / 1e9, groups: rows.length }
  } finally {
    lake.close()
  }
}
