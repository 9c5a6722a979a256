import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect, test } from 'vitest'
import { readAudits } from '../../lake/audits-table.ts'
import { openDocumentsTable } from '../../lake/documents-table.ts'
import { csvLine, parseCsv } from '../../lake/evaluate/csv.ts'
import { IcebergTable } from '../../lake/iceberg/table.ts'
import { latestPublishedSnapshot } from '../../lake/published.ts'
import { exitCodeFor, SluiceError } from '../../schemas/errors.ts'
import { runCli } from '../helpers/cli.ts'
import { appendDocs, docs } from '../helpers/lake.ts'
import { SHARED } from '../helpers/readers.ts'

const cleanEn = () => docs(`${SHARED}/web/en/olmo-c4-sample.02.json.gz`, 'en', 'text')
const cleanZh = () => docs(`${SHARED}/web/zh/CLUECorpusSmall_sampled.txt.gz`, 'zh', '')

async function lakeOf (extraEn: (en: ReturnType<typeof cleanEn>) => ReturnType<typeof cleanEn> = () => []): Promise<{ lake: string, snapshotId: number }> {
  const lake = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-evaluate-cli-'))
  const table = openDocumentsTable(lake)
  await appendDocs(table, cleanZh(), 'zh')
  const en = cleanEn()
  await appendDocs(table, [...en, ...extraEn(en)], 'en')
  return { lake, snapshotId: table.metadata['current-snapshot-id'] }
}

test('gate_failed is its own exit code, 7', () => {
  expect(exitCodeFor(new SluiceError('gate_failed', 'x'))).toBe(7)
})

test('a clean lake passes, --publish tags it, and sluice lake log shows it published with its audit rows', async () => {
  const { lake, snapshotId } = await lakeOf()
  const r = await runCli(['evaluate', '--lake', lake, '--sample', '1', '--publish'])
  expect(r.code, r.stderr).toBe(0)
  expect(r.stdout).toContain(`of documents @ snapshot ${snapshotId}: 50 documents sampled (100% of kept, seed 42)`)
  for (const metric of ['privacy', 'toxic', 'ads', 'html', 'unreadable']) expect(r.stdout).toMatch(new RegExp(`^${metric}\\s+0\\s+50\\s+0\\.0000\\s+0\\.0010\\s+PASS$`, 'm'))
  expect(r.stdout).toMatch(/^metric\s+flagged\s+sample\s+rate\s+limit\s+result$/m)
  expect(r.stdout).toContain('perplexity: not available')
  expect(r.stdout).toContain('languages: zh 40 (80.0%), en 10 (20.0%)')
  expect(r.stdout).toContain('every gate passed')
  expect(r.stderr).toContain(`50 of 50 kept documents at snapshot ${snapshotId}; 5 of 5 gates passed`)
  expect(r.stderr).toContain(`published (tag published-${snapshotId})`)
  expect(latestPublishedSnapshot(lake)).toBe(snapshotId)

  const log = await runCli(['lake', 'log', 'documents', '--lake', lake])
  expect(log.code, log.stderr).toBe(0)
  expect(log.stdout).toContain(`snapshot ${snapshotId} (current) (published)`)
  expect(log.stdout.match(/\(published\)/g)).toHaveLength(1)
  expect(log.stdout).toMatch(/ {4}audit [0-9a-f-]{36} at \S+: passed\n {6}metric +flagged/)
  expect(log.stdout).toMatch(/^ {6}html\s+0\s+50\s+0\.0000\s+0\.0010\s+PASS$/m)
  const json = (await runCli(['lake', 'log', 'documents', '--lake', lake, '--json'])).stdout.trim().split('\n').map(l => JSON.parse(l))
  expect(json.map(s => s.published)).toEqual([true, false])
  expect(json[0].audits.map((a: { metric: string }) => a.metric).sort()).toEqual(['ads', 'html', 'language', 'length', 'perplexity', 'privacy', 'toxic', 'unreadable'])
  expect(json[1].audits).toEqual([])
})

test('a dirty lake fails with exit code 7, is not published, and its failed audit is kept', async () => {
  const { lake, snapshotId } = await lakeOf(en => [{ ...en[0]!, id: 'with-email', text: `${en[0]!.text} Mail jane.doe@example.org today.` }])
  const r = await runCli(['evaluate', '--lake', lake, '--sample', '1', '--publish', '--json'])
  expect(r.code).toBe(7)
  expect(r.stderr).toContain(`error [gate_failed]: privacy above --max-rate 0.001; snapshot ${snapshotId} not published`)
  const e = JSON.parse(r.stdout)
  expect(e).toMatchObject({ snapshotId, passed: false, published: false, sampleSize: 51 })
  expect(e.metrics.find((m: { metric: string }) => m.metric === 'privacy')).toMatchObject({ flagged: 1, passed: false, details: { examples: ['with-email'], labels: { email: 1 } } })
  expect(latestPublishedSnapshot(lake)).toBeNull()
  expect(Object.keys(IcebergTable.load(path.join(lake, 'documents')).metadata.refs)).toEqual(['main'])
  const log = await runCli(['lake', 'log', 'documents', '--lake', lake])
  expect(log.stdout).not.toContain('(published)')
  expect(log.stdout).toMatch(/audit [0-9a-f-]{36} at \S+: FAILED\n/)
  expect(log.stdout).toMatch(/^ {6}privacy\s+1\s+51\s+0\.0196\s+0\.0010\s+FAIL$/m)
})

test('review: export a CSV, fill it, import it: the unqualified rate is printed, gated and stored', async () => {
  const { lake, snapshotId } = await lakeOf()
  const sheet = path.join(lake, 'review.csv')
  const out = await runCli(['evaluate', '--lake', lake, '--review', '10', '--seed', '5', '--out', sheet])
  expect(out.code, out.stderr).toBe(0)
  expect(out.stderr).toContain(`wrote 10 documents of snapshot ${snapshotId} (seed 5) to ${sheet}`)
  const [header, ...rows] = parseCsv(fs.readFileSync(sheet, 'utf8'))
  expect(rows).toHaveLength(10)
  const col = (c: string) => header!.indexOf(c)
  const filled = path.join(lake, 'filled.csv')
  fs.writeFileSync(filled, csvLine(header!) + rows.map((r, i) => {
    for (const c of ['incoherent', 'unreadable', 'toxic']) r[col(c)] = i === 4 && c === 'unreadable' ? '1' : '0'
    return csvLine(r)
  }).join(''))

  const strict = await runCli(['evaluate', '--lake', lake, '--import', filled])
  expect(strict.code).toBe(7)
  expect(strict.stderr).toContain(`human review of 10 documents of snapshot ${snapshotId}: unqualified rate 0.1000 (1 of 10), limit 0.001: FAIL`)
  expect(strict.stdout).toMatch(/^human_unqualified\s+1\s+10\s+0\.1000\s+0\.0010\s+FAIL$/m)
  expect(strict.stdout).toMatch(/^human_toxic\s+0\s+10\s+0\.0000\s+0\.0010\s+PASS$/m)
  const lax = await runCli(['evaluate', '--lake', lake, '--import', filled, '--max-rate', '0.1'])
  expect(lax.code, lax.stderr).toBe(0)
  expect(lax.stderr).toContain('unqualified rate 0.1000 (1 of 10), limit 0.1: PASS')
  const stored = (await readAudits(lake, 'documents')).filter(a => a.metric === 'human_unqualified')
  expect(stored.map(a => [a.snapshot_id, a.flagged, a.sample_size, a.max_rate, a.passed, a.seed])).toEqual([[snapshotId, 1, 10, 0.001, false, 5], [snapshotId, 1, 10, 0.1, true, 5]])
  expect(JSON.parse(stored[0]!.details).examples).toEqual([rows[4]![col('id')]])

  const html = path.join(lake, 'review.html')
  const page = await runCli(['evaluate', '--lake', lake, '--review', '3', '--out', html])
  expect(page.code, page.stderr).toBe(0)
  expect(fs.readFileSync(html, 'utf8').match(/<form class="review"/g)).toHaveLength(3)
})

test('arguments are checked before anything is read or written', async () => {
  const { lake } = await lakeOf()
  const cases: Array<[string[], RegExp]> = [
    [['--sample', '0'], /--sample: must be above 0/],
    [['--sample', '2'], /--sample: must be at most 1/],
    [['--seed', '1.5'], /--seed: must be a whole number/],
    [['--max-rate', 'x'], /--max-rate: /],
    [['--review', '5'], /--review <n> needs --out/],
    [['--review', '5', '--out', 'x.txt'], /--out: must end in .csv or .html/],
    [['--out', 'x.csv'], /--out is the review sheet/],
    [['--review', '5', '--out', 'x.csv', '--publish'], /--publish goes with the automatic evaluation/],
    [['--import', 'nope.csv'], /--import nope.csv: no such file/],
    [['--import', 'x.csv', '--snapshot', '1'], /--import reads the snapshot from the sheet/],
    [['--snapshot', '12345'], /--snapshot 12345: documents has no such snapshot/]
  ]
  for (const [args, message] of cases) {
    const r = await runCli(['evaluate', '--lake', lake, ...args])
    expect(r.code, args.join(' ')).toBe(2)
    expect(r.stderr, args.join(' ')).toMatch(message)
  }
  expect(fs.existsSync(path.join(lake, 'audits'))).toBe(false)
  const help = await runCli(['evaluate', '--help'])
  expect(help.stdout).toMatch(/--sample <share>[\s\S]*--seed <n>[\s\S]*--max-rate <rate>[\s\S]*--publish[\s\S]*--review <n>[\s\S]*--import <file>/)
})
