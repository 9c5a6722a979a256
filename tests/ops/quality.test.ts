import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import { expect, test } from 'vitest'
import { openDocumentsTable } from '../../lake/documents-table.ts'
import { openLake } from '../../lake/sql.ts'
import { documentSchema, type Document } from '../../schemas/document.ts'
import { runCli } from '../helpers/cli.ts'
import { appendDocs } from '../helpers/lake.ts'
import { SHARED } from '../helpers/readers.ts'

const WARCS = [`${SHARED}/web/warc/dolma-sample-0000.warc.gz`, `${SHARED}/web/warc/resiliparse-warcfile.warc.gz`]

async function cli (args: string[]): Promise<string> {
  const r = await runCli(args)
  expect(r.code, `sluice ${args.join(' ')}\n${r.stderr}`).toBe(0)
  return r.stderr
}

function readDocs (file: string): Document[] {
  return fs.readFileSync(file, 'utf8').trim().split('\n').map(l => documentSchema.parse(JSON.parse(l)))
}

const scored = (docs: Document[]) => docs.filter(d => d.signals.quality_bucket !== undefined)
const lowShare = (docs: Document[]) => scored(docs).filter(d => d.signals.quality_bucket === 'low').length / scored(docs).length

async function documentSignals (lake: string, snapshotId?: number): Promise<Map<string, Record<string, unknown>>> {
  const session = await openLake(lake, { snapshotId })
  try {
    const rows = (await session.connection.runAndReadAll('select id, signals from documents')).getRowObjectsJS()
    return new Map(rows.map(r => [String(r.id), JSON.parse(String(r.signals))]))
  } finally {
    session.close()
  }
}

test('models train from the CLI on the shared data; apply score ranks crawled pages below held-out Wikipedia; rescore and evaluate use the signals', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-quality-'))
  const models = path.join(dir, 'models')
  // the zh model learns from most of the Wikipedia sample; the rest is held out to be scored
  const wiki = zlib.gunzipSync(fs.readFileSync(`${SHARED}/web/zh/zhwiki_sampled.txt.gz`)).toString('utf8').split('\n').filter(l => l.trim() !== '')
  fs.writeFileSync(path.join(dir, 'wiki-train.txt'), wiki.slice(0, 1200).join('\n') + '\n')
  fs.writeFileSync(path.join(dir, 'wiki-held.txt'), wiki.slice(1200).join('\n') + '\n')
  await cli(['quality', 'train-lm', '--lang', 'zh', '--from', path.join(dir, 'wiki-train.txt'), '--models', models])
  await cli(['quality', 'train-lm', '--lang', 'en', '--from', `${SHARED}/web/en/aeb/ground-truth.json`, '--models', models])
  const trained = await cli(['quality', 'train-classifier', '--models', models])
  expect(trained).toMatch(/held out: all accuracy \d+\.\d%, AUC 0\.[6-9]\d*/)

  // every model file is named by its content, and current.json points at the three
  const current = JSON.parse(fs.readFileSync(path.join(models, 'current.json'), 'utf8')) as Record<string, string>
  expect(Object.keys(current).sort()).toEqual(['classifier', 'lm.en', 'lm.zh'])
  for (const file of Object.values(current)) {
    const hash = crypto.createHash('sha256').update(fs.readFileSync(path.join(models, file))).digest('hex').slice(0, 12)
    expect(file).toMatch(new RegExp(`^(lm-zh|lm-en|quality)-${hash}\\.(lm|onnx)$`))
  }
  const idOf = (role: string) => current[role]!.replace(/\.\w+$/, '')

  const warcOut = path.join(dir, 'warc.jsonl')
  const wikiOut = path.join(dir, 'wiki.jsonl')
  const scoredWarc = await cli(['apply', 'score', '--in', ...WARCS, '--out', warcOut, '--models', models])
  expect(scoredWarc).toMatch(/dropped: .*quality:perplexity \d+/)
  await cli(['apply', 'score', '--format', 'lines', '--source', 'wiki', '--in', path.join(dir, 'wiki-held.txt'), '--out', wikiOut, '--models', models])
  const warc = readDocs(warcOut)
  const held = readDocs(wikiOut)
  expect(held).toHaveLength(wiki.length - 1200)
  for (const doc of [...warc, ...held]) {
    const s = doc.signals
    if (doc.reason?.startsWith('normalize:') === true || doc.reason?.startsWith('filter:') === true) {
      // Ziya2 scores what the rules kept
      expect(s.quality_bucket).toBeUndefined()
      continue
    }
    expect(s.quality_classifier).toBe(idOf('classifier'))
    expect(s.quality_score).toBeGreaterThanOrEqual(0)
    expect(s.quality_score).toBeLessThanOrEqual(1)
    if (doc.lang !== 'zh' && doc.lang !== 'en') continue
    expect(s.quality_lm).toBe(idOf(`lm.${doc.lang}`))
    expect(s.perplexity).toBeGreaterThan(1)
    expect(s.perplexity_percentile).toBeGreaterThanOrEqual(0)
    expect(s.perplexity_percentile).toBeLessThanOrEqual(1)
    expect(['high', 'medium', 'low']).toContain(s.quality_bucket)
    expect(doc.reason === 'quality:perplexity').toBe(s.quality_bucket === 'low')
  }
  expect(scored(warc).length).toBeGreaterThan(10)
  expect(scored(held).length).toBeGreaterThan(100)
  // crawled pages fall in the dropped bucket far more often than Wikipedia text the model never saw
  expect(lowShare(warc)).toBeGreaterThan(0.4)
  expect(lowShare(held)).toBeLessThan(0.2)
  const meanScore = (docs: Document[]) => { const s = docs.filter(d => typeof d.signals.quality_score === 'number'); return s.reduce((a, d) => a + (d.signals.quality_score as number), 0) / s.length }
  expect(meanScore(held)).toBeGreaterThan(meanScore(warc))

  // a lake of those documents, rescored with a retrained classifier: a new snapshot, the old one unchanged
  const lake = path.join(dir, 'lake')
  const table = openDocumentsTable(lake)
  for (const lang of ['zh', 'en']) await appendDocs(table, [...warc, ...held].filter(d => d.lang === lang), lang)
  const first = openDocumentsTable(lake).metadata['current-snapshot-id']!
  const before = await documentSignals(lake)
  await cli(['quality', 'train-classifier', '--seed', '8', '--models', models])
  const retrained = JSON.parse(fs.readFileSync(path.join(models, 'current.json'), 'utf8')).classifier.replace(/\.onnx$/, '')
  expect(retrained).not.toBe(idOf('classifier'))
  const rescored = await runCli(['quality', 'rescore', '--lake', lake, '--models', models])
  expect(rescored.code, rescored.stderr).toBe(0)
  const result = JSON.parse(rescored.stdout)
  expect(result).toMatchObject({ from: first, rows: before.size })
  expect(result.changed).toBeGreaterThan(0)
  const after = await documentSignals(lake)
  expect([...after.keys()].sort()).toEqual([...before.keys()].sort())
  for (const [id, s] of after) {
    const old = before.get(id)!
    expect(s.quality_classifier ?? null, id).toBe(old.quality_classifier === undefined ? null : retrained)
    expect(s.quality_lm).toBe(old.quality_lm)
    expect(s.perplexity).toBe(old.perplexity)
  }
  expect(await documentSignals(lake, first)).toEqual(before)

  // sluice evaluate gates on perplexity now that documents carry it
  const evaluated = await runCli(['evaluate', '--lake', lake, '--sample', '1', '--json'])
  const perplexity = JSON.parse(evaluated.stdout).metrics.find((m: { metric: string }) => m.metric === 'perplexity')
  // every kept document was scored, and none kept lies in the dropped bucket of its model's calibration
  expect(perplexity).toMatchObject({ flagged: 0, passed: true, details: { withoutPerplexity: 0 } })
  expect(perplexity.sampleSize).toBeGreaterThan(100)
}, 240_000)
