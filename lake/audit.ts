import type { DuckDBConnection } from '@duckdb/node-api'
import { formatBytes, formatCount } from '../ops/log.ts'
import { DEADLETTER_SCHEMA } from './deadletter-table.ts'
import { DOCUMENTS_SCHEMA } from './documents-table.ts'
import { duckType } from './iceberg/parquet.ts'
import type { IcebergSchema } from './iceberg/schema.ts'
import { openLake, type TravelOptions } from './sql.ts'

/**
 * What the lake holds and where documents were lost: counts by source, language, decision and
 * reason, text bytes, top URL hosts, dead letters and the funnel, every number a DuckDB query
 * over the lake views (`openLake`), so `--snapshot`/`--as-of` audit the lake as it was.
 *
 * Funnel convention: a dropped document's `reason` is `<step>:<detail>` (`filter:gopher_repetition`,
 * `dedup:minhash`) with step one of PIPELINE_STEPS, in pipeline order. The funnel rows are `read`
 * (documents + dead letters), `parsed` (documents), then after each step the documents not dropped
 * by it or an earlier one, then `other` (only when some dropped document has no reason or one without
 * a known step prefix), then `kept` (decision 'keep').
 */
export const PIPELINE_STEPS = ['normalize', 'filter', 'quality', 'dedup'] as const

/** Text-length histogram bucket edges in characters: a 1-3-10 log scale, the last bucket open. */
export const LENGTH_EDGES = [0, 10, 30, 100, 300, 1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000] as const

const TOP_DOMAINS = 10
const AUDITED = { documents: DOCUMENTS_SCHEMA, deadletter: DEADLETTER_SCHEMA } as const

export interface TableRead {
  name: keyof typeof AUDITED
  /** false: the lake has no such table and it counts as empty. */
  exists: boolean
  /** The snapshot read; null when the table had none at that point. */
  snapshotId: number | null
  committedAt: string | null
}

export interface GroupRow { documents: number, kept: number, textBytes: number, keptTextBytes: number }

export interface AuditReport {
  lake: string
  tables: TableRead[]
  totals: GroupRow & { deadLetters: number }
  sources: Array<GroupRow & { source: string }>
  /** lang null: not identified. */
  languages: Array<GroupRow & { lang: string | null }>
  /** One row per reason of dropped documents, most frequent first; step 'other' when the reason has no known prefix. */
  drops: Array<{ reason: string | null, step: string, documents: number }>
  /** URL hosts, lowercased; '(no url)' for documents without one, '(no host)' for a URL without a readable host. */
  domains: { top: Array<{ domain: string, documents: number }>, distinct: number }
  deadLetters: Array<{ stage: string, code: string, count: number }>
  /** Removed duplicates by reason (url, exact, near) and the clusters they fall in, from `dedup_clusters`; empty without that table. */
  duplicates: Array<{ reason: string | null, documents: number, clusters: number }>
  funnel: Array<{ step: string, documents: number }>
  /** Documents with text by length in characters: [from, to), to null for the open last bucket. */
  textLengths: Array<{ from: number, to: number | null, documents: number }>
}

const stepOf = `CASE WHEN split_part(reason, ':', 1) IN (${PIPELINE_STEPS.map(s => `'${s}'`).join(', ')}) THEN split_part(reason, ':', 1) ELSE 'other' END`
const bytes = 'coalesce(sum(strlen(text)), 0)'
const group = `count(*) AS documents, count(*) FILTER (decision = 'keep') AS kept, ${bytes} AS "textBytes", coalesce(sum(strlen(text)) FILTER (decision = 'keep'), 0) AS "keptTextBytes"`
// scheme://[userinfo@]host[:port]: the host as written (RE2 has no URL parser; punycode is left as is)
const host = String.raw`lower(regexp_extract(url, '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?(\[[^\]/?#]*\]|[^:/?#]*)', 1))`

const QUERIES = {
  totals: `SELECT ${group}, (SELECT count(*) FROM deadletter) AS "deadLetters" FROM documents`,
  sources: `SELECT source, ${group} FROM documents GROUP BY source ORDER BY documents DESC, source`,
  languages: `SELECT lang, ${group} FROM documents GROUP BY lang ORDER BY documents DESC, lang NULLS LAST`,
  drops: `SELECT reason, ${stepOf} AS step, count(*) AS documents FROM documents WHERE decision = 'drop' GROUP BY reason ORDER BY documents DESC, reason NULLS LAST`,
  domains: `WITH d AS (SELECT CASE WHEN url IS NULL THEN '(no url)' ELSE coalesce(nullif(${host}, ''), '(no host)') END AS domain FROM documents)
    SELECT domain, count(*) AS documents FROM d GROUP BY domain ORDER BY documents DESC, domain LIMIT ${TOP_DOMAINS}`,
  distinctDomains: `SELECT count(DISTINCT nullif(${host}, '')) AS n FROM documents`,
  deadLetters: 'SELECT stage, code, count(*) AS count FROM deadletter GROUP BY stage, code ORDER BY count DESC, stage, code',
  duplicates: 'SELECT reason, count(*) AS documents, count(DISTINCT cluster_id) AS clusters FROM dedup_clusters GROUP BY reason ORDER BY documents DESC, reason NULLS LAST',
  funnel: `WITH steps(ord, step) AS (VALUES ${[...PIPELINE_STEPS, 'other'].map((s, i) => `(${i}, '${s}')`).join(', ')}),
    dropped AS (SELECT ${stepOf} AS step, count(*) AS n FROM documents WHERE decision = 'drop' GROUP BY ALL),
    parsed AS (SELECT count(*) AS n FROM documents),
    after AS (SELECT s.ord, s.step, coalesce(d.n, 0) AS n, parsed.n - sum(coalesce(d.n, 0)) OVER (ORDER BY s.ord) AS documents
              FROM steps s LEFT JOIN dropped d USING (step), parsed)
    SELECT 'read' AS step, parsed.n + (SELECT count(*) FROM deadletter) AS documents, -2 AS ord FROM parsed
    UNION ALL SELECT 'parsed', n, -1 FROM parsed
    UNION ALL SELECT step, documents, ord FROM after WHERE step <> 'other' OR n > 0
    UNION ALL SELECT 'kept', count(*), 99 FROM documents WHERE decision = 'keep'
    ORDER BY ord`,
  textLengths: `WITH b("from", "to") AS (VALUES ${LENGTH_EDGES.map((e, i) => `(${e}, ${LENGTH_EDGES[i + 1] ?? 'NULL'})`).join(', ')})
    SELECT b."from", b."to", count(d.n) AS documents
    FROM b LEFT JOIN (SELECT length(text) AS n FROM documents WHERE text IS NOT NULL) d ON d.n >= b."from" AND (b."to" IS NULL OR d.n < b."to")
    GROUP BY ALL ORDER BY b."from"`
}

/** Rows as objects; the column names of each query above are the field names of its report part. */
async function query<T> (connection: DuckDBConnection, sql: string): Promise<T[]> {
  const result = await connection.runAndReadAll(sql)
  // counts and sums come back as BIGINT/HUGEINT; a lake's counts stay far below 2^53
  return result.getRowObjects().map(r => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]))) as T[]
}

function emptyView (name: string, schema: IcebergSchema): string {
  return `CREATE VIEW "${name}" AS SELECT ${schema.fields.map(f => `NULL::${duckType(f.type)} AS "${f.name}"`).join(', ')} WHERE false`
}

/**
 * Audits the lake at its current snapshots, or as `travel` says. A missing `documents` or
 * `deadletter` table counts as empty; `tables` says what was read.
 *
 * @example
 * const report = await auditLake('./lake', { asOf: new Date('2026-11-28T10:00:00Z') })
 * process.stdout.write(auditText(report))
 */
export async function auditLake (lakeDir: string, travel: TravelOptions = {}): Promise<AuditReport> {
  const lake = await openLake(lakeDir, travel)
  try {
    const tables: TableRead[] = []
    for (const [name, schema] of Object.entries(AUDITED) as Array<[keyof typeof AUDITED, IcebergSchema]>) {
      const exists = lake.tables.has(name)
      if (!exists) await lake.connection.run(emptyView(name, schema))
      const snapshot = lake.tables.get(name)
      tables.push({ name, exists, snapshotId: snapshot?.['snapshot-id'] ?? null, committedAt: snapshot === undefined ? null : new Date(snapshot['timestamp-ms']).toISOString() })
    }
    const c = lake.connection
    type Rows<K extends keyof AuditReport> = AuditReport[K] extends Array<infer R> ? R : never
    const [totals] = await query<AuditReport['totals']>(c, QUERIES.totals)
    const [distinct] = await query<{ n: number }>(c, QUERIES.distinctDomains)
    return {
      lake: lakeDir,
      tables,
      totals: totals!,
      sources: await query<Rows<'sources'>>(c, QUERIES.sources),
      languages: await query<Rows<'languages'>>(c, QUERIES.languages),
      drops: await query<Rows<'drops'>>(c, QUERIES.drops),
      domains: { top: await query(c, QUERIES.domains), distinct: distinct!.n },
      deadLetters: await query<Rows<'deadLetters'>>(c, QUERIES.deadLetters),
      duplicates: lake.tables.has('dedup_clusters') ? await query<Rows<'duplicates'>>(c, QUERIES.duplicates) : [],
      funnel: (await query<Rows<'funnel'> & { ord: number }>(c, QUERIES.funnel)).map(({ step, documents }) => ({ step, documents })),
      textLengths: await query<Rows<'textLengths'>>(c, QUERIES.textLengths)
    }
  } finally {
    lake.close()
  }
}

/** An aligned table; `align` has one letter per column, 'r' for right-aligned (numbers). */
function table (head: string[], align: string, rows: Array<Array<string | number>>): string {
  const cells = [head, ...rows.map(r => r.map(c => typeof c === 'number' ? formatCount(c) : c))]
  const widths = head.map((_, i) => Math.max(...cells.map(r => r[i]!.length)))
  return cells.map(r => r.map((c, i) => align[i] === 'r' ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n')
}

/** Funnel rows as a table: documents left, lost at the step, and the share of what was read (Ziya2 Fig. 2). */
export function funnelRows (r: AuditReport): Array<[string, number, number | '', string]> {
  const read = r.funnel[0]?.documents ?? 0
  return r.funnel.map((f, i) => [funnelLabel(f.step), f.documents, i === 0 ? '' : r.funnel[i - 1]!.documents - f.documents,
    read === 0 ? '-' : `${(100 * f.documents / read).toFixed(1)}%`])
}

/** How a funnel row reads: "after filter" is what is left once the filter step dropped its documents. */
export function funnelLabel (step: string): string {
  return step === 'other' ? 'after other drops' : (PIPELINE_STEPS as readonly string[]).includes(step) ? `after ${step}` : step
}

export function tableReadText (x: TableRead): string {
  return `${x.name} ${!x.exists ? '(no table)' : x.snapshotId === null ? '(no snapshot)' : `@ snapshot ${x.snapshotId} (${x.committedAt})`}`
}

/** The report as short aligned tables for a terminal. */
export function auditText (r: AuditReport): string {
  const t = r.totals
  const group = (key: string, rows: Array<GroupRow & { key: string }>) => table(
    [key, 'documents', 'kept', 'text', 'kept text'], 'lrrrr',
    rows.map(g => [g.key, g.documents, g.kept, formatBytes(g.textBytes), formatBytes(g.keptTextBytes)]))
  const documentSections = t.documents === 0
    ? []
    : [
        group('source', r.sources.map(s => ({ ...s, key: s.source }))),
        group('language', r.languages.map(l => ({ ...l, key: l.lang ?? '(none)' }))),
        r.drops.length === 0 ? 'no dropped documents' : table(['drop reason', 'step', 'documents'], 'llr', r.drops.map(d => [d.reason ?? '(no reason)', d.step, d.documents])),
        ...r.duplicates.length === 0 ? [] : [table(['duplicate reason', 'documents', 'clusters'], 'lrr', r.duplicates.map(d => [d.reason ?? '(none)', d.documents, d.clusters]))],
        table([`domain (${formatCount(r.domains.distinct)} distinct hosts)`, 'documents'], 'lr', r.domains.top.map(d => [d.domain, d.documents]))
      ]
  const sections = [
    `audit of ${r.lake}: ${r.tables.map(tableReadText).join(', ')}\n` +
    `${formatCount(t.documents)} documents (${formatCount(t.kept)} kept, ${formatCount(t.documents - t.kept)} dropped), ` +
    `${formatCount(t.deadLetters)} dead letters; text ${formatBytes(t.textBytes)} (${formatBytes(t.keptTextBytes)} kept)`,
    table(['funnel', 'documents', 'lost', 'of read'], 'lrrr', funnelRows(r)),
    ...documentSections,
    r.deadLetters.length === 0 ? 'no dead letters' : table(['dead-letter stage', 'code', 'count'], 'llr', r.deadLetters.map(d => [d.stage, d.code, d.count]))
  ]
  return sections.join('\n\n') + '\n'
}
