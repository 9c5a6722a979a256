import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect, test } from 'vitest'
import { auditLake } from '../../lake/audit.ts'
import { openDocumentsTable } from '../../lake/documents-table.ts'
import { runCli } from '../helpers/cli.ts'
import { appendDocs, docs } from '../helpers/lake.ts'
import { SHARED } from '../helpers/readers.ts'

test('sluice audit prints tables or JSON, writes the HTML page, travels in time and rejects bad arguments', async () => {
  const lake = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-audit-cli-'))
  const table = openDocumentsTable(lake)
  const en = docs(`${SHARED}/web/en/olmo-c4-sample.01.json.gz`, 'en', 'text')
    .map((d, i) => i % 2 === 0 ? { ...d, decision: 'drop' as const, reason: 'filter:too_short', url: `https://site${i % 3}.example/${i}` } : d)
  await appendDocs(table, en, 'en')
  const first = table.metadata['current-snapshot-id']
  const zh = docs(`${SHARED}/web/zh/CLUECorpusSmall_sampled.txt.gz`, 'zh', '')
  await appendDocs(table, zh, 'zh')
  const audit = (...args: string[]) => runCli(['audit', '--lake', lake, ...args])

  const help = await runCli(['audit', '--help'])
  expect(help.code).toBe(0)
  expect(help.stdout).toMatch(/--snapshot <id>[\s\S]*--as-of <time>[\s\S]*--html <file>[\s\S]*--json/)
  expect(help.stdout).toContain('Examples:\n  sluice audit')

  const json = await audit('--json')
  expect(json.code, json.stderr).toBe(0)
  const report = JSON.parse(json.stdout)
  expect(report).toEqual(await auditLake(lake))
  const dropped = en.filter(d => d.decision === 'drop').length
  expect(report.totals).toMatchObject({ documents: en.length + zh.length, kept: en.length + zh.length - dropped })
  expect(report.drops).toEqual([{ reason: 'filter:too_short', step: 'filter', documents: dropped }])

  const text = await audit()
  expect(text.code, text.stderr).toBe(0)
  expect(text.stdout).toContain(`${en.length + zh.length} documents (${en.length + zh.length - dropped} kept, ${dropped} dropped), 0 dead letters`)
  expect(text.stdout).toMatch(new RegExp(`^after filter\\s+${en.length + zh.length - dropped}\\s+${dropped}\\s+${(100 * (en.length + zh.length - dropped) / (en.length + zh.length)).toFixed(1)}%$`, 'm'))
  expect(text.stdout).toContain('deadletter (no table)')

  const page = path.join(lake, 'audit.html')
  const html = await audit('--html', page)
  expect(html.code, html.stderr).toBe(0)
  expect(html.stderr).toContain(`wrote ${page}`)
  const written = fs.readFileSync(page, 'utf8')
  expect(written).toMatch(/^<!doctype html>/)
  expect(written).toContain('id="chart-funnel"')
  expect(written).toContain('<td>filter:too_short</td>')

  const old = JSON.parse((await audit('--json', '--snapshot', String(first))).stdout)
  expect(old.totals.documents).toBe(en.length)
  const before = JSON.parse((await audit('--json', '--as-of', '2000-01-01T00:00:00Z')).stdout)
  expect(before.totals.documents).toBe(0)
  expect(before.tables[0]).toMatchObject({ name: 'documents', exists: true, snapshotId: null })

  for (const args of [['--snapshot', '12345'], ['--snapshot', 'abc'], ['--as-of', 'yesterday']]) {
    const bad = await audit(...args)
    expect(bad.code, args.join(' ')).toBe(2)
    expect(bad.stderr).toMatch(/error \[config\]: (--snapshot|--as-of)/)
  }
  const missing = await runCli(['audit', '--lake', path.join(lake, 'nope')])
  expect(missing.code).toBe(2)
  expect(missing.stderr).toContain('no lake at')
})
