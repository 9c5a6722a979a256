import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { Document } from '../../schemas/document.ts'
import { loadScorer, parseQualityConfig } from '../../streams/quality/load.ts'
import { rescoreDocuments, type QualityScorer } from '../../streams/quality/score.ts'
import { DEFAULT_CALIBRATION, readTexts } from '../commands/quality-lm.ts'
import { benchClassifier } from './quality/classifier.ts'
import { benchLm } from './quality/lm.ts'

const HELP = `npm run bench -- quality [--parts lm,classifier,score] [--docs 2000] [--seconds 3]

Ziya2 AS on one process:
- lm: the n-gram models (training, size, load, n-gram lookups/s, perplexity MB/s; KenLM where installed);
- classifier: held-out accuracy / ROC AUC, features MB/s, onnxruntime batch inference docs/s;
- score: the score stage's quality step (both language models and the classifier, batches of 64)
  over --docs web documents per language (the calibration web samples), with models trained by
  \`sluice quality train-lm\` / \`train-classifier\` on the shared data: docs/s and MB/s per CPU second
  (all threads counted), and the language models and the classifier alone on the same documents.`

const SLUICE = fileURLToPath(new URL('../bin/sluice.js', import.meta.url))
const SHARED = '../shared/data'

function trainModels (dir: string): void {
  const commands = [
    ['quality', 'train-lm', '--lang', 'zh', '--from', `${SHARED}/web/zh/zhwiki_sampled.txt.gz`],
    ['quality', 'train-lm', '--lang', 'en', '--from', `${SHARED}/web/en/html_extraction/dragnet.tar.gz`, `${SHARED}/web/en/aeb/ground-truth.json`],
    ['quality', 'train-classifier']
  ]
  for (const args of commands) {
    const r = spawnSync(process.execPath, [SLUICE, ...args, '--models', dir], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`sluice ${args.join(' ')} failed:\n${r.stderr}`)
  }
}

/** Web documents as the normalize stage hands them over: `perLang` of each language's calibration sample. */
function webDocuments (perLang: number): Document[] {
  const docs: Document[] = []
  for (const lang of ['zh', 'en'] as const) {
    let n = 0
    for (const file of DEFAULT_CALIBRATION[lang]) {
      for (const text of readTexts(path.join(SHARED, file))) {
        if (n >= perLang) break
        if (text.trim() === '') continue
        docs.push({
          schema_version: 1, id: `${lang}-${n++}`, url: null, source: 'web', crawl_id: null, fetched_at: null, ingested_at: '2026-11-29T00:00:00.000Z',
          lang, text, html: null, content_type: 'text/plain', signals: {}, decision: 'keep', reason: null, dup_of: null, cluster_id: null, meta: null,
          provenance: { file, offset: null, length: null, topic: null, partition: null, kafka_offset: null }
        })
      }
    }
  }
  return docs
}

/** Runs `work` (one pass) after a warm-up until `seconds` pass; returns passes per CPU second and per wall second. */
async function rates (seconds: number, work: () => Promise<unknown>): Promise<{ perCpu: number, perWall: number }> {
  await work()
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  let passes = 0
  do { await work(); passes++ } while (performance.now() - t0 < seconds * 1000)
  const cpu = process.cpuUsage(cpu0)
  return { perCpu: passes / ((cpu.user + cpu.system) / 1e6), perWall: passes / ((performance.now() - t0) / 1000) }
}

async function benchScore (perLang: number, seconds: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-quality-'))
  try {
    let t = performance.now()
    trainModels(dir)
    console.log(`score: models trained by the CLI in ${((performance.now() - t) / 1000).toFixed(1)} s (${fs.readdirSync(dir).filter(f => f !== 'current.json').join(', ')})`)
    t = performance.now()
    const scorer = await loadScorer(parseQualityConfig({ models: dir }))
    console.log(`score: models loaded in ${(performance.now() - t).toFixed(0)} ms`)
    const docs = webDocuments(perLang)
    const bytes = docs.reduce((s, d) => s + Buffer.byteLength(d.text!), 0)
    const lmOnly: QualityScorer = { ...scorer, classifier: null }
    const line = (name: string, r: { perCpu: number, perWall: number }) =>
      `score: ${name}: ${Math.round(docs.length * r.perCpu).toLocaleString('en-US')} docs/s, ${(bytes * r.perCpu / 1e6).toFixed(1)} MB/s per CPU second ` +
      `(${(bytes * r.perWall / 1e6).toFixed(1)} MB/s wall)`
    const zh = docs.filter(d => d.lang === 'zh').length
    console.log(`score: ${docs.length} web documents (${zh} zh + ${docs.length - zh} en), ${(bytes / 1e6).toFixed(2)} MB`)
    console.log(line('language models + classifier', await rates(seconds, async () => await rescoreDocuments(scorer, docs))))
    console.log(line('language models alone', await rates(seconds, async () => await rescoreDocuments(lmOnly, docs))))
    const texts = docs.map(d => ({ text: d.text!, lang: d.lang }))
    console.log(line('classifier alone (features + onnxruntime, batches of 64)', await rates(seconds, async () => {
      for (let i = 0; i < texts.length; i += 64) await scorer.classifier!.score(texts.slice(i, i + 64))
    })))
    const buckets: Record<string, number> = {}
    for (const d of await rescoreDocuments(scorer, docs)) buckets[`${d.lang}:${String(d.signals.quality_bucket)}`] = (buckets[`${d.lang}:${String(d.signals.quality_bucket)}`] ?? 0) + 1
    console.log(`score: buckets of the calibration web documents (about 30/30/40 expected): ${Object.entries(buckets).sort().map(([k, v]) => `${k} ${v}`).join(', ')}`)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

export async function main (argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { parts: { type: 'string', default: 'lm,classifier,score' }, docs: { type: 'string', default: '2000' }, seconds: { type: 'string', default: '3' }, help: { type: 'boolean' } } })
  if (values.help === true) { console.log(HELP); return }
  const parts = new Set(values.parts.split(','))
  const unknown = [...parts].filter(p => !['lm', 'classifier', 'score'].includes(p))
  if (unknown.length > 0) throw new Error(`--parts: unknown ${unknown.join(', ')} (lm, classifier, score)`)
  if (parts.has('lm')) await benchLm()
  if (parts.has('classifier')) await benchClassifier({ seconds: Number(values.seconds) })
  if (parts.has('score')) await benchScore(Number(values.docs), Number(values.seconds))
}
