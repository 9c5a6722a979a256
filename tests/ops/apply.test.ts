import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect, test } from 'vitest'
import { documentSchema } from '../../schemas/document.ts'
import { runCli } from '../helpers/cli.ts'
import { ingestInto, positionOf, topicContents } from '../helpers/ingest.ts'
import { freshPrefix } from '../helpers/kafka.ts'
import { SHARED } from '../helpers/readers.ts'

test('apply ingest writes the same documents that ingest sends to docs.raw, and dead letters beside them', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-apply-'))
  const inputs = [`${SHARED}/web/warc/dolma-sample-0000.warc.gz`, `${SHARED}/web/warc/warcio-fixtures/example-trunc.warc`]
  const out = path.join(dir, 'docs.jsonl')
  const r = await runCli(['apply', 'ingest', '--in', ...inputs, '--out', out])
  expect(r.code, r.stderr).toBe(0)
  const docs = fs.readFileSync(out, 'utf8').trim().split('\n').map(l => documentSchema.parse(JSON.parse(l)))
  const dead = fs.readFileSync(path.join(dir, 'docs.deadletter.jsonl'), 'utf8').trim().split('\n').map(l => JSON.parse(l))
  expect(r.stderr).toContain(`${docs.length} docs (${docs.length} kept) to ${out}, ${dead.length} dead-lettered`)

  const prefix = freshPrefix('apply')
  await ingestInto(prefix, inputs)
  const sent = await topicContents(prefix)
  expect(docs.map(positionOf).sort()).toEqual(sent.raw.map(s => positionOf(s.record)).sort())
  const byPosition = new Map(sent.raw.map(s => [positionOf(s.record), s.record]))
  for (const doc of docs) {
    const raw = byPosition.get(positionOf(doc))!
    expect(doc.id).toBe(raw.id)
    expect(doc.url).toBe(raw.url)
    expect(doc.fetched_at).toBe(raw.fetched_at)
    expect(doc.decision).toBe('keep')
    expect(doc.html?.length ?? 0).toBeGreaterThan(0)
  }
  expect(dead.map(d => d.code).sort()).toEqual(sent.dead.map(d => d.letter.code).sort())
  expect(docs.filter(d => d.provenance.file!.endsWith('dolma-sample-0000.warc.gz'))).toHaveLength(24)
})

test('apply pipeline (normalize -> score -> dedup) gives every crawl record one document with language, clean text, signals and a decision', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-apply-pipe-'))
  const inputs = [`${SHARED}/web/warc/resiliparse-warcfile.warc.gz`, `${SHARED}/web/zh/chinesewebtext-cc2021-43-cleared1.jsonl`]
  const ingested = path.join(dir, 'raw.jsonl')
  expect((await runCli(['apply', 'ingest', '--in', ...inputs, '--out', ingested])).code).toBe(0)
  const records = fs.readFileSync(ingested, 'utf8').trim().split('\n').map(l => documentSchema.parse(JSON.parse(l)))

  const out = path.join(dir, 'curated.jsonl')
  const r = await runCli(['apply', 'pipeline', '--in', ...inputs, '--out', out])
  expect(r.code, r.stderr).toBe(0)
  const docs = fs.readFileSync(out, 'utf8').trim().split('\n').map(l => documentSchema.parse(JSON.parse(l)))
  // nothing lost: the same positions as ingest, in the same order, each once
  expect(docs.map(positionOf)).toEqual(records.map(positionOf))
  for (const d of docs) {
    expect(['zh', 'en', 'other']).toContain(d.lang)
    expect(d.signals.langid_letters).toBeTypeOf('number')
    if (d.decision === 'drop') expect(d.reason).toMatch(/^(normalize|filter):/)
    else {
      expect(d.reason).toBeNull()
      // lines removed by the filters leave no gaps behind
      expect(d.text).toBe(d.text!.trim())
      expect(d.text).not.toMatch(/\n{3}/)
    }
  }
  // HTML pages were decoded (several are GBK/GB2312) and their main text extracted
  const pages = docs.filter(d => d.html !== null)
  expect(pages.length).toBeGreaterThan(10)
  expect(pages.every(d => typeof d.signals.decode_charset === 'string' && typeof d.signals.extract_text_chars === 'number')).toBe(true)
  const gb = pages.filter(d => d.signals.decode_charset === 'gb18030')
  expect(gb.length).toBeGreaterThan(0)
  expect(gb.filter(d => d.lang === 'zh').length).toBeGreaterThan(gb.length / 2)
  expect(gb.every(d => !(d.text ?? '').includes('\uFFFD'))).toBe(true)
  expect(pages.every(d => !/<(div|script|p)[\s>]/i.test(d.text ?? ''))).toBe(true)
  // the spam pages of the Chinese crawl sample lose documents to the ad rules; clean ones stay
  const zhWeb = docs.filter(d => d.provenance.file!.endsWith('.jsonl'))
  expect(zhWeb.filter(d => d.reason === 'filter:ziya2_ads').length).toBeGreaterThan(0)
  expect(zhWeb.filter(d => d.decision === 'keep').length).toBeGreaterThan(zhWeb.length / 4)
  expect(r.stderr).toMatch(/dropped: .*filter:/)

  // stage options are validated before anything is read
  const bad = await runCli(['apply', 'pipeline', '--in', ...inputs, '--out', path.join(dir, 'bad.jsonl'), '--rule-sets', 'nope'])
  expect(bad.code).toBe(2)
  expect(bad.stderr).toMatch(/filter config: ruleSets/)
  expect(fs.existsSync(path.join(dir, 'bad.jsonl'))).toBe(false)
})

test('apply dedup marks the planted duplicates of real pages with dup_of, cluster_id and similarity; --near simhash switches the method', async () => {
  const { buildEvalSet, score } = await import('../../ops/bench/dedup-eval.ts')
  const { doc } = await import('../streams/filters/docs.ts')
  const set = buildEvalSet({ seed: 21, perLang: 50, sizes: { words: 5, chars: 5 } })
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-apply-dedup-'))
  const input = path.join(dir, 'scored.jsonl')
  fs.writeFileSync(input, set.docs.map(d => JSON.stringify({ ...doc(d.text, d.lang), id: d.id })).join('\n') + '\n')

  const results: Record<string, number> = {}
  for (const near of ['minhash', 'simhash']) {
    const out = path.join(dir, `${near}.jsonl`)
    const r = await runCli(['apply', 'dedup', '--in', input, '--out', out, '--near', near])
    expect(r.code, r.stderr).toBe(0)
    const docs = fs.readFileSync(out, 'utf8').trim().split('\n').map(l => documentSchema.parse(JSON.parse(l)))
    // every input once, in input order
    expect(docs.map(d => d.id)).toEqual(set.docs.map(d => d.id))
    const kept = new Set(docs.filter(d => d.decision === 'keep').map(d => d.id))
    const dups = docs.filter(d => d.reason?.startsWith('dedup:'))
    expect(r.stderr).toMatch(new RegExp(`dropped: .*dedup:near ${dups.filter(d => d.reason === 'dedup:near').length}`))
    for (const d of dups) {
      // a duplicate names a kept document that came before it
      expect(kept.has(d.dup_of!), d.id).toBe(true)
      expect(docs.findIndex(x => x.id === d.dup_of)).toBeLessThan(docs.indexOf(d))
      expect(d.cluster_id).toBe(d.dup_of)
      expect(d.signals.dedup_similarity).toBeGreaterThanOrEqual(near === 'minhash' ? 0.8 : 0.953) // 1 − 3/64, rounded
    }
    results[near] = score(set, new Map(dups.map(d => [d.id, d.cluster_id!]))).f1
  }
  expect(results.minhash).toBeGreaterThan(0.9)
  // SimHash at Hamming distance 3 finds only the closest variants (streams/README.md, Dedup)
  expect(results.simhash).toBeGreaterThan(0.3)
  expect(results.simhash).toBeLessThan(results.minhash!)

  const bad = await runCli(['apply', 'dedup', '--in', input, '--out', path.join(dir, 'x.jsonl'), '--dedup-config', input])
  expect(bad.code).toBe(2)
  expect(bad.stderr).toMatch(/--dedup-config .*scored\.jsonl/)
})
