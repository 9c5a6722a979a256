import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { beforeAll, describe, expect, test } from 'vitest'
import { auditLake, auditText, LENGTH_EDGES, PIPELINE_STEPS, type AuditReport } from '../../lake/audit.ts'
import { auditHtml } from '../../lake/audit-html.ts'
import { DEADLETTER_SCHEMA, DEADLETTER_SPEC, deadLetterRow, openDeadLetterTable } from '../../lake/deadletter-table.ts'
import { openDocumentsTable } from '../../lake/documents-table.ts'
import { partitionOf } from '../../lake/iceberg/partition.ts'
import { writeParquet } from '../../lake/iceberg/parquet.ts'
import type { IcebergTable } from '../../lake/iceberg/table.ts'
import type { DeadLetter } from '../../schemas/deadletter.ts'
import type { Document } from '../../schemas/document.ts'
import { appendDocs, docs } from '../helpers/lake.ts'
import { SHARED } from '../helpers/readers.ts'

const REASONS = ['normalize:empty_text', 'filter:gopher_repetition', 'quality:perplexity', 'dedup:minhash', 'dedup:exact', 'legacy_rule', null]
const URLS = ['https://Example.COM:8443/a', 'http://user@news.example.org/x?y=1', 'https://example.com/b', 'not a url', null, 'https://example.com']

/** Every third document dropped with a reason of each step in turn (and two without a known step); URLs in a cycle. */
function shape (batch: Document[], source: string, offset: number): Document[] {
  return batch.map((d, i) => {
    const n = offset + i
    const drop = n % 3 === 0
    return { ...d, source, url: URLS[n % URLS.length]!, decision: drop ? 'drop' : 'keep', reason: drop ? REASONS[(n / 3) % REASONS.length]! : null }
  })
}

async function appendDeadLetters (table: IcebergTable, letters: DeadLetter[]): Promise<void> {
  const folders = new Map<string, Array<Record<string, unknown>>>()
  for (const row of letters.map(deadLetterRow)) {
    const folder = partitionOf(DEADLETTER_SPEC, DEADLETTER_SCHEMA, row).folder
    folders.set(folder, [...folders.get(folder) ?? [], row])
  }
  const entries = []
  for (const [folder, group] of folders) {
    fs.mkdirSync(path.join(table.dataDir, folder), { recursive: true })
    const written = await writeParquet(DEADLETTER_SCHEMA, group, path.join(table.dataDir, folder, `${entries.length}.parquet`))
    entries.push({ ...written, partition: partitionOf(DEADLETTER_SPEC, DEADLETTER_SCHEMA, group[0]!).values })
  }
  table.append(entries)
}

const letter = (stage: string, code: DeadLetter['code'], i: number): DeadLetter => ({
  schema_version: 1, stage, code, message: `${code} at ${i}`, at: '2026-11-28T05:00:00.000Z',
  provenance: { file: '/in/x.jsonl', offset: i, length: 1, topic: null, partition: null, kafka_offset: null },
  raw: new Uint8Array([1, 2, i]), raw_truncated: false
})

const count = <T>(items: T[], key: (t: T) => string | null) => {
  const m = new Map<string | null, number>()
  for (const t of items) m.set(key(t), (m.get(key(t)) ?? 0) + 1)
  return m
}
const stepOf = (reason: string | null) => {
  const prefix = reason?.split(':')[0]
  return (PIPELINE_STEPS as readonly string[]).includes(prefix ?? '') ? prefix! : 'other'
}
const hostOf = (url: string | null) => {
  if (url === null) return '(no url)'
  try { return new URL(url).hostname || '(no host)' } catch { return '(no host)' }
}
const bytes = (ds: Document[]) => ds.reduce((s, d) => s + Buffer.byteLength(d.text ?? ''), 0)

/** What the audit must say about these documents and dead letters, computed here in JS. */
function expected (all: Document[], letters: DeadLetter[]) {
  const kept = all.filter(d => d.decision === 'keep')
  const dropped = all.filter(d => d.decision === 'drop')
  const groupRows = (key: (d: Document) => string | null) => [...count(all, key).keys()].map(k => {
    const g = all.filter(d => key(d) === k)
    const gk = g.filter(d => d.decision === 'keep')
    return { key: k, documents: g.length, kept: gk.length, textBytes: bytes(g), keptTextBytes: bytes(gk) }
  })
  let left = all.length
  const steps = [...PIPELINE_STEPS, 'other'].map(step => {
    left -= dropped.filter(d => stepOf(d.reason) === step).length
    return { step, documents: left }
  }).filter(s => s.step !== 'other' || dropped.some(d => stepOf(d.reason) === 'other'))
  const hosts = count(all, d => hostOf(d.url))
  const lengths = all.filter(d => d.text !== null).map(d => [...d.text!].length)
  return {
    totals: { documents: all.length, kept: kept.length, textBytes: bytes(all), keptTextBytes: bytes(kept), deadLetters: letters.length },
    sources: groupRows(d => d.source),
    languages: groupRows(d => d.lang),
    drops: [...count(dropped, d => d.reason)].map(([reason, documents]) => ({ reason, step: stepOf(reason), documents })),
    domains: [...hosts].map(([domain, documents]) => ({ domain, documents })).sort((a, b) => b.documents - a.documents || (a.domain! < b.domain! ? -1 : 1)).slice(0, 10),
    distinctHosts: [...hosts.keys()].filter(h => !h!.startsWith('(')).length,
    deadLetters: [...count(letters, l => `${l.stage}/${l.code}`)].map(([k, n]) => ({ stage: k!.split('/')[0], code: k!.split('/')[1], count: n })),
    funnel: [{ step: 'read', documents: all.length + letters.length }, { step: 'parsed', documents: all.length }, ...steps, { step: 'kept', documents: kept.length }],
    textLengths: LENGTH_EDGES.map((from, i) => ({ from, to: LENGTH_EDGES[i + 1] ?? null, documents: lengths.filter(n => n >= from && (i + 1 === LENGTH_EDGES.length || n < LENGTH_EDGES[i + 1]!)).length }))
  }
}

const byKey = <T>(rows: T[], key: (t: T) => string | null) => [...rows].sort((a, b) => String(key(a)).localeCompare(String(key(b))))
const mostFirst = (rows: Array<{ documents: number }>) => rows.every((r, i) => i === 0 || rows[i - 1]!.documents >= r.documents)

function expectReport (report: AuditReport, all: Document[], letters: DeadLetter[]): void {
  const e = expected(all, letters)
  expect(report.totals).toEqual(e.totals)
  expect(byKey(report.sources, s => s.source)).toEqual(byKey(e.sources.map(({ key, ...g }) => ({ source: key, ...g })), s => s.source))
  expect(byKey(report.languages, l => l.lang)).toEqual(byKey(e.languages.map(({ key, ...g }) => ({ lang: key, ...g })), l => l.lang))
  expect(byKey(report.drops, d => d.reason)).toEqual(byKey(e.drops, d => d.reason))
  expect(mostFirst(report.sources) && mostFirst(report.languages) && mostFirst(report.drops)).toBe(true)
  expect(report.domains.top).toEqual(e.domains)
  expect(report.domains.distinct).toBe(e.distinctHosts)
  expect(byKey(report.deadLetters, d => d.stage + d.code)).toEqual(byKey(e.deadLetters, d => d.stage! + d.code!))
  expect(report.funnel).toEqual(e.funnel)
  expect(report.textLengths).toEqual(e.textLengths)
}

async function buildLake () {
  const lake = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-audit-'))
  const documents = openDocumentsTable(lake)
  const en = shape(docs(`${SHARED}/web/en/olmo-c4-sample.02.json.gz`, 'en', 'text'), 'c4', 0)
  const zh = shape(docs(`${SHARED}/web/zh/CLUECorpusSmall_sampled.txt.gz`, 'zh', ''), 'clue', en.length)
  await appendDocs(documents, en, 'en')
  const first = documents.metadata['current-snapshot-id']
  await sleep(20)
  const between = new Date()
  await sleep(20)
  await appendDocs(documents, zh, 'zh')
  const letters = [letter('ingest', 'bad_json', 1), letter('ingest', 'bad_json', 2), letter('ingest', 'bad_utf8', 3), letter('normalize', 'empty_text', 4)]
  const deadletter = openDeadLetterTable(lake)
  await appendDeadLetters(deadletter, letters)
  return { lake, en, zh, letters, first, between, deadletterSnapshot: deadletter.metadata['current-snapshot-id'], current: documents.metadata['current-snapshot-id'] }
}

describe('auditLake', () => {
  let l: Awaited<ReturnType<typeof buildLake>>
  beforeAll(async () => { l = await buildLake() })

  test('counts what the tables hold, each number as computed independently from the documents written', async () => {
    const all = [...l.en, ...l.zh]
    // the lake must exercise every part of the report
    expect(new Set(all.filter(d => d.decision === 'drop').map(d => stepOf(d.reason)))).toEqual(new Set([...PIPELINE_STEPS, 'other']))
    const report = await auditLake(l.lake)
    expectReport(report, all, l.letters)
    expect(report.tables).toEqual([
      { name: 'documents', exists: true, snapshotId: l.current, committedAt: expect.any(String) },
      { name: 'deadletter', exists: true, snapshotId: l.deadletterSnapshot, committedAt: expect.any(String) }
    ])
    const text = auditText(report)
    expect(text).toContain(`${all.length} documents`)
    expect(text).toMatch(/^after filter\s+\d+\s+\d+\s+\d+\.\d%$/m)
    expect(text).toMatch(/^\(no url\)\s+\d+$/m)
    expect(text).toMatch(/^ingest\s+bad_json\s+2$/m)
  })

  test('travels in time: an older snapshot gives the older counts', async () => {
    const bySnapshot = await auditLake(l.lake, { snapshotId: l.first })
    // --snapshot names a documents snapshot; the deadletter table is read at its current one
    expectReport(bySnapshot, l.en, l.letters)
    expect(bySnapshot.tables[0]!.snapshotId).toBe(l.first)
    const asOf = await auditLake(l.lake, { asOf: l.between })
    // before the deadletter table had a snapshot: it exists and counts as empty
    expectReport(asOf, l.en, [])
    expect(asOf.tables[1]).toEqual({ name: 'deadletter', exists: true, snapshotId: null, committedAt: null })
  })

  test('a lake without tables audits as empty and says so', async () => {
    const report = await auditLake(fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-audit-empty-')))
    expectReport(report, [], [])
    expect(report.tables.map(t => t.exists)).toEqual([false, false])
    expect(auditText(report)).toContain('documents (no table), deadletter (no table)')
  })
})

const HOSTILE = {
  source: '</script><script>document.body.dataset.pwned = "source"</script>',
  reason: 'filter:<img src=x onerror="document.body.dataset.pwned = \'reason\'">',
  url: 'http://<svg onload=document.body.dataset.pwned=1>/'
}

/** Loads a page in headless Chromium and returns the DOM after its scripts ran (nothing can be fetched). */
function renderInChromium (html: string): string {
  const found = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' })
  if (found.status !== 0) throw new Error('chromium is not installed: apt-get install -y chromium (.ci/run installs it)')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-audit-html-'))
  const page = path.join(dir, 'audit.html')
  fs.writeFileSync(page, html)
  const run = spawnSync(found.stdout.trim(), [
    '--headless', '--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run',
    `--user-data-dir=${path.join(dir, 'profile')}`, '--virtual-time-budget=5000', '--dump-dom', `file://${page}`
  ], { encoding: 'utf8', timeout: 60_000 })
  fs.rmSync(dir, { recursive: true, force: true })
  if (run.status !== 0 || !run.stdout.includes('</html>')) throw new Error(`chromium failed (${run.status}): ${run.stderr.slice(-2000)}`)
  return run.stdout
}

const figure = (dom: string, id: string) => {
  const start = dom.indexOf(`<figure id="${id}"`)
  expect(start).toBeGreaterThanOrEqual(0)
  return dom.slice(start, dom.indexOf('</figure>', start))
}
const occurrences = (s: string, part: string) => s.split(part).length - 1

describe('auditHtml in headless Chromium', () => {
  let report: AuditReport
  beforeAll(async () => {
    const { lake } = await buildLake()
    const hostile = docs(`${SHARED}/web/en/olmo-c4-sample.01.json.gz`, 'en', 'text').slice(0, 3)
      .map(d => ({ ...d, id: `${d.id}-hostile`, source: HOSTILE.source, url: HOSTILE.url, decision: 'drop' as const, reason: HOSTILE.reason }))
    await appendDocs(openDocumentsTable(lake), hostile, 'en')
    report = await auditLake(lake)
  })

  test('draws every chart without a script error, fetches nothing and keeps hostile strings as text', () => {
    const html = auditHtml(report)
    expect(html).not.toMatch(/<(link|img|iframe)\b|\b(src|href)\s*=\s*["']?(https?:)?\/\//i)
    expect(html).toContain('Content-Security-Policy')
    const dom = renderInChromium(html)
    expect(dom).not.toMatch(/<html[^>]*data-error/)
    expect(dom).toMatch(/<pre id="errors"><\/pre>/)
    expect(dom).toMatch(/<body[^>]* data-rendered="true"/)
    expect(dom).not.toMatch(/<body[^>]*data-pwned/)
    expect(occurrences(figure(dom, 'chart-funnel'), '<rect class="bar"')).toBe(report.funnel.length)
    expect(occurrences(figure(dom, 'chart-drops'), '<rect class="bar"')).toBe(report.drops.length)
    expect(occurrences(figure(dom, 'chart-languages'), '<rect class="bar"')).toBe(report.languages.length)
    expect(occurrences(figure(dom, 'chart-lengths'), '<rect')).toBe(LENGTH_EDGES.length)
    // the hostile strings survive as text, in the tables and in the chart labels drawn from the JSON
    expect(dom).toContain('&lt;/script&gt;&lt;script&gt;document.body.dataset.pwned = "source"&lt;/script&gt;')
    expect(figure(dom, 'chart-drops')).toContain('<title>filter:&lt;img src=x onerror="document.body.dataset.pwned = \'reason\'"&gt;</title>')
    expect(dom).toContain('<td>&lt;svg onload=document.body.dataset.pwned=1&gt;</td>')
  })

  test('the check catches a page whose script throws', () => {
    const dom = renderInChromium(auditHtml({ ...report, funnel: [] }))
    expect(dom).toMatch(/<html[^>]*data-error="true"/)
    expect(dom).not.toMatch(/<body[^>]*data-rendered/)
    expect(dom).toMatch(/<pre id="errors">[^<]*TypeError/)
  })
})
