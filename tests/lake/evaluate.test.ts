import { spawnSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { readAudits } from '../../lake/audits-table.ts'
import { DOCUMENTS_SCHEMA, documentRow, openDocumentsTable } from '../../lake/documents-table.ts'
import { csvLine, parseCsv } from '../../lake/evaluate/csv.ts'
import { filterDetectors } from '../../lake/evaluate/detectors.ts'
import { evaluateLake, type EvaluateOptions } from '../../lake/evaluate/evaluate.ts'
import { htmlRemnants } from '../../lake/evaluate/html-remnants.ts'
import { unreadable } from '../../lake/evaluate/readability.ts'
import { reviewCsv, reviewSheet } from '../../lake/evaluate/review-export.ts'
import { reviewHtml } from '../../lake/evaluate/review-html.ts'
import { importReview, parseFilledSheet } from '../../lake/evaluate/review-import.ts'
import { sampledDocuments } from '../../lake/evaluate/sample.ts'
import { evaluationText } from '../../lake/evaluate/text.ts'
import { writeParquet } from '../../lake/iceberg/parquet.ts'
import { latestPublishedSnapshot, publishedTag } from '../../lake/published.ts'
import { openLake } from '../../lake/sql.ts'
import type { Document } from '../../schemas/document.ts'
import { readList } from '../../streams/filters/wordlists.ts'
import { appendDocs, docs } from '../helpers/lake.ts'
import { SHARED } from '../helpers/readers.ts'

const tempLake = () => fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-evaluate-'))
// real texts that none of the automatic metrics flags (checked by the clean-lake test)
const cleanEn = () => docs(`${SHARED}/web/en/olmo-c4-sample.02.json.gz`, 'en', 'text')
const cleanZh = () => docs(`${SHARED}/web/zh/CLUECorpusSmall_sampled.txt.gz`, 'zh', '')
const byLength = (ds: Document[]) => [...ds].sort((a, b) => a.text!.length - b.text!.length)
const opts = (over: Partial<EvaluateOptions> = {}): EvaluateOptions => ({ share: 1, seed: 42, maxRate: 0.001, publish: false, detectors: filterDetectors(), ...over })
const plant = (d: Document, name: string, text: string): Document => ({ ...d, id: `${d.id}-${name}`, text })

/** The planted documents by the metric that must flag them, built on real texts. */
function planted (): Record<string, Document[]> {
  const en = byLength(cleanEn())
  const zh = byLength(cleanZh()).filter(d => d.text!.length > 40)
  const enExplicit = readList('en-explicit.txt').find(w => w === 'asshole')!
  const zhExplicit = readList('zh-explicit.txt').find(w => w === '你妈的')!
  expect([enExplicit, zhExplicit]).toEqual(['asshole', '你妈的'])
  const noPunctuation = zh.map(d => d.text!.replace(/[\p{P}\s]/gu, '')).join('').slice(0, 400)
  return {
    privacy: [plant(en[0]!, 'email', `${en[0]!.text} Write to jane.doe@example.org for details.`), plant(zh[0]!, 'phone', `${zh[0]!.text}联系电话：138 1234 5678。`)],
    toxic: [plant(en[1]!, 'explicit', `${en[1]!.text} What an ${enExplicit}.`), plant(zh[1]!, 'explicit', `${zh[1]!.text}${zhExplicit}。`)],
    // the shortest texts, so three phrases are well above 3 per 1,000 words
    ads: [plant(en[2]!, 'ads', `${en[2]!.text} Click here! Buy now! Free shipping!`), plant(zh[2]!, 'ads', `${zh[2]!.text}点击进入，扫码加微信。`)],
    html: [plant(en[3]!, 'tag', `${en[3]!.text}\n<div class="related">Read more</div>`), plant(zh[3]!, 'entity', `${zh[3]!.text}&nbsp;详情`)],
    unreadable: [plant(en[4]!, 'garbled', en[4]!.text!.replace(' ', ' \ufffd\ufffd ')), plant(zh[4]!, 'run-on', noPunctuation)]
  }
}

async function plantedLake (): Promise<{ lake: string, plants: Record<string, Document[]>, kept: number }> {
  const lake = tempLake()
  const table = openDocumentsTable(lake)
  const plants = planted()
  const all = Object.values(plants).flat()
  const en = [...cleanEn(), ...all.filter(d => d.lang === 'en')]
  // dropped documents are never sampled, whatever they hold
  const dropped = { ...plants.privacy![0]!, id: 'dropped-with-email', decision: 'drop' as const, reason: 'filter:ziya2_contacts' }
  await appendDocs(table, [...en, dropped], 'en')
  const zh = [...cleanZh(), ...all.filter(d => d.lang === 'zh')]
  await appendDocs(table, zh, 'zh')
  return { lake, plants, kept: en.length + zh.length }
}

describe('automatic metrics', () => {
  test('a full sample flags exactly the planted documents, by metric and reason, and the audits table keeps every row', async () => {
    const { lake, plants, kept } = await plantedLake()
    const e = await evaluateLake(lake, opts())
    expect(e.sampleSize).toBe(kept)
    expect(e.keptDocuments).toBe(kept)
    const byMetric = Object.fromEntries(e.metrics.map(m => [m.metric, m]))
    for (const [metric, ds] of Object.entries(plants)) {
      expect(byMetric[metric], metric).toMatchObject({ flagged: ds.length, sampleSize: kept, rate: ds.length / kept, maxRate: 0.001, passed: false })
      expect((byMetric[metric]!.details.examples as string[]).sort(), metric).toEqual(ds.map(d => d.id).sort())
    }
    expect(byMetric.privacy!.details.labels).toEqual({ email: 1, phone: 1 })
    expect(byMetric.toxic!.details.labels).toEqual({ explicit: 2 })
    expect(byMetric.unreadable!.details.labels).toEqual({ garbled: 1, 'no_punctuation': 1 })
    expect(byMetric.perplexity).toMatchObject({ flagged: null, passed: null, details: { reason: 'no perplexity signal' } })
    expect(byMetric.language!.details).toEqual({ documents: { en: cleanEn().length + 5, zh: cleanZh().length + 5 } })
    expect((byMetric.length!.details.buckets as Array<{ documents: number }>).reduce((n, b) => n + b.documents, 0)).toBe(kept)
    expect(e.passed).toBe(false)
    expect(e.published).toBe(false)

    const rows = await readAudits(lake, 'documents')
    expect(rows.map(r => r.metric).sort()).toEqual(['ads', 'html', 'language', 'length', 'perplexity', 'privacy', 'toxic', 'unreadable'])
    expect(new Set(rows.map(r => r.evaluation_id))).toEqual(new Set([e.evaluationId]))
    expect(rows.find(r => r.metric === 'html')).toMatchObject({ table_name: 'documents', snapshot_id: e.snapshotId, flagged: 2, sample_size: kept, max_rate: 0.001, passed: false, seed: 42, sample_share: 1 })
    expect(JSON.parse(rows.find(r => r.metric === 'toxic')!.details).labels).toEqual({ explicit: 2 })
    expect(await readAudits(lake, 'deadletter')).toEqual([])
  })

  test('a clean lake passes and is published; a dirtier later snapshot is not; the newest published snapshot wins', async () => {
    const lake = tempLake()
    const table = openDocumentsTable(lake)
    await appendDocs(table, cleanEn(), 'en')
    await appendDocs(table, cleanZh(), 'zh')
    const clean = table.metadata['current-snapshot-id']
    expect(latestPublishedSnapshot(lake)).toBeNull()
    const first = await evaluateLake(lake, opts({ publish: true }))
    expect(first.metrics.filter(m => m.passed !== null).map(m => [m.metric, m.flagged])).toEqual([['privacy', 0], ['toxic', 0], ['ads', 0], ['html', 0], ['unreadable', 0]])
    expect(first).toMatchObject({ snapshotId: clean, passed: true, published: true })
    expect(openDocumentsTable(lake).metadata.refs[publishedTag(clean)]).toEqual({ 'snapshot-id': clean, type: 'tag' })
    expect(latestPublishedSnapshot(lake)).toBe(clean)

    const dirty = planted().html!
    await appendDocs(table, dirty.filter(d => d.lang === 'en'), 'en')
    const second = await evaluateLake(lake, opts({ publish: true }))
    expect(second.snapshotId).not.toBe(clean)
    expect(second).toMatchObject({ passed: false, published: false })
    expect(latestPublishedSnapshot(lake)).toBe(clean)
    // a laxer limit passes it, and it is newer than the first
    const third = await evaluateLake(lake, opts({ publish: true, maxRate: 0.05 }))
    expect(third).toMatchObject({ snapshotId: second.snapshotId, passed: true, published: true })
    expect(latestPublishedSnapshot(lake)).toBe(second.snapshotId)
    // an older snapshot evaluated later does not become the latest
    await evaluateLake(lake, opts({ publish: true, snapshotId: clean }))
    expect(latestPublishedSnapshot(lake)).toBe(second.snapshotId)
    expect((await readAudits(lake, 'documents')).filter(r => r.metric === 'html').map(r => [r.snapshot_id, r.passed]))
      .toEqual([[clean, true], [second.snapshotId, false], [second.snapshotId, true], [clean, true]])
  })

  test('perplexity: kept documents in the worst 40% of their language (by calibrated percentile, else the lake\'s quantile) are flagged; documents without it are left out', async () => {
    const lake = tempLake()
    const base = cleanEn()
    // perplexities 1..100: the 60% quantile is 60.4, so 71, 81 and 91 kept by mistake are the flagged ones
    const scored = Array.from({ length: 100 }, (_, i): Document => {
      const p = i + 1
      const keep = p <= 60 || [71, 81, 91].includes(p)
      return { ...base[i % base.length]!, id: `ppl-${p}`, signals: { perplexity: p }, decision: keep ? 'keep' : 'drop', reason: keep ? null : 'quality:perplexity' }
    })
    const unscored = base.slice(0, 2).map(d => ({ ...d, id: `${d.id}-unscored` }))
    // a calibrated percentile decides over the lake's quantile: one low perplexity kept beyond the cut-off, one high one within
    const calibrated = [
      { ...base[0]!, id: 'pct-0.7', signals: { perplexity: 5, perplexity_percentile: 0.7 } },
      { ...base[1]!, id: 'pct-0.5', signals: { perplexity: 95, perplexity_percentile: 0.5 } }
    ]
    await appendDocs(openDocumentsTable(lake), [...scored, ...unscored, ...calibrated], 'en')
    const e = await evaluateLake(lake, opts({ maxRate: 0.1 }))
    const p = e.metrics.find(m => m.metric === 'perplexity')!
    expect(p).toMatchObject({ flagged: 4, sampleSize: 65, passed: true, details: { dropShare: 0.4, withoutPerplexity: 2, labels: { dropped_bucket: 4 } } })
    expect((p.details.examples as string[]).sort()).toEqual(['pct-0.7', 'ppl-71', 'ppl-81', 'ppl-91'])
    expect(e.sampleSize).toBe(67)
  })

  test('the seeded 1% sample is about 1%, the same for the same seed and snapshot, md5-defined, and another seed gives another', async () => {
    const lake = tempLake()
    const table = openDocumentsTable(lake)
    const texts = cleanZh()
    const many = Array.from({ length: 20_000 }, (_, i) => ({ ...texts[i % texts.length]!, id: `doc-${i}` }))
    const dir = path.join(table.dataDir, 'lang=zh', 'ingested_at_day=2026-11-28')
    fs.mkdirSync(dir, { recursive: true })
    const written = await writeParquet(DOCUMENTS_SCHEMA, many.map(documentRow), path.join(dir, 'many.parquet'))
    table.append([{ ...written, partition: { lang: 'zh', ingested_at_day: Math.floor(Date.parse('2026-11-28') / 86_400_000) } }])
    const sample = async (seed: number) => {
      const l = await openLake(lake)
      try {
        const ids: string[] = []
        for await (const d of sampledDocuments(l.connection, 0.01, seed)) ids.push(d.id)
        return ids.sort()
      } finally { l.close() }
    }
    const a = await sample(42)
    // Bernoulli(0.01) over 20,000: mean 200, sd 14; this band is 4 sd wide each way
    expect(a.length).toBeGreaterThan(144)
    expect(a.length).toBeLessThan(256)
    expect(await sample(42)).toEqual(a)
    // the definition, recomputed outside DuckDB: first 8 bytes of md5("<seed>:<id>"), little-endian, below share * 2^64
    const key = (seed: number, id: string) => Number(crypto.createHash('md5').update(`${seed}:${id}`).digest().readBigUInt64LE(0)) / 2 ** 64
    expect(a).toEqual(many.map(d => d.id).filter(id => key(42, id) < 0.01).sort())
    const b = await sample(7)
    expect(b).not.toEqual(a)
    expect(b.filter(id => a.includes(id)).length).toBeLessThan(20)
    const e = await evaluateLake(lake, opts({ share: 0.01 }))
    expect(evaluationText(e)).toContain(`${a.length} documents sampled (1% of kept, seed 42)`)
    expect(e.sampleSize).toBe(a.length)
    expect(e.metrics.find(m => m.metric === 'language')!.details).toEqual({ documents: { zh: a.length } })

    // a review sheet is the start of the same order: the n lowest keys
    const sheet = await reviewSheet(lake, { n: 25, seed: 42 })
    expect(sheet.documents.map(d => d.id)).toEqual(many.map(d => d.id).sort((x, y) => key(42, x) - key(42, y)).slice(0, 25))
    expect(sheet.documents.every(d => a.includes(d.id))).toBe(true)
  })

  test('an empty sample is an error that writes nothing', async () => {
    const lake = tempLake()
    await appendDocs(openDocumentsTable(lake), cleanEn().slice(0, 3), 'en')
    await expect(evaluateLake(lake, opts({ share: 1e-9 }))).rejects.toThrow(/the sample is empty: 3 kept documents/)
    expect(fs.existsSync(path.join(lake, 'audits'))).toBe(false)
    await expect(evaluateLake(tempLake(), opts())).rejects.toThrow(/no documents table/)
  })
})

describe('metric definitions', () => {
  test('HTML remnants: real element tags, comments and entities, not comparisons', () => {
    expect(htmlRemnants('<p>a</p> <br/> <DIV class="x"> &nbsp; &amp; &#39; &#x27; <!-- c -->')).toBe(10)
    expect(htmlRemnants('if a < b and c > d; x<y>z; R&D; AT&T; <3; <paper>')).toBe(0)
  })

  test('unreadable: garbled characters, symbols, long tokens, no punctuation; prose passes', () => {
    expect(unreadable('A normal sentence. Another one!')).toBeNull()
    expect(unreadable('这是一个正常的句子。')).toBeNull()
    expect(unreadable('bad \ufffd byte')).toBe('garbled')
    expect(unreadable('bell \u0007 here')).toBe('garbled')
    expect(unreadable('★★★★★ ☆☆☆ ♥♥♥ $$$ +++ === ok.')).toBe('symbols')
    expect(unreadable(`data: ${'QUJD'.repeat(30)}.`)).toBe('long_tokens')
    expect(unreadable('word '.repeat(80))).toBe('no_punctuation')
    expect(unreadable('word '.repeat(50))).toBeNull()
  })

  test('CSV round trip: quotes, commas, line breaks, CRLF, a byte-order mark', () => {
    const rows = [['a', 'b,c', 'say "hi"'], ['line\nbreak', '', 'x\r\ny']]
    const text = '\ufeff' + rows.map(csvLine).join('')
    expect(parseCsv(text)).toEqual(rows)
    expect(parseCsv('a,b\n\n1,2\n')).toEqual([['a', 'b'], ['1', '2']])
    expect(() => parseCsv('a,"b\n1,2')).toThrow(/line 1: a quoted field is not closed/)
  })
})

/** Loads a page in headless Chromium with a script appended and returns the DOM after both ran. */
function renderInChromium (html: string): string {
  const found = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' })
  if (found.status !== 0) throw new Error('chromium is not installed: apt-get install -y chromium (.ci/run installs it)')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-review-html-'))
  fs.writeFileSync(path.join(dir, 'review.html'), html)
  const run = spawnSync(found.stdout.trim(), [
    '--headless', '--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run',
    `--user-data-dir=${path.join(dir, 'profile')}`, '--virtual-time-budget=5000', '--dump-dom', `file://${path.join(dir, 'review.html')}`
  ], { encoding: 'utf8', timeout: 60_000 })
  fs.rmSync(dir, { recursive: true, force: true })
  if (run.status !== 0 || !run.stdout.includes('</html>')) throw new Error(`chromium failed (${run.status}): ${run.stderr.slice(-2000)}`)
  return run.stdout
}

describe('human review', () => {
  let lake: string
  const hostile = '</div><script>document.body.dataset.pwned = "1"</script> "quoted", with a comma\nand a second line'
  beforeAll(async () => {
    lake = tempLake()
    const en = cleanEn()
    await appendDocs(openDocumentsTable(lake), [...en, { ...en[0]!, id: 'hostile', text: hostile }], 'en')
  })

  const fill = (csv: string, labels: (i: number) => string[]) => {
    const [header, ...rows] = parseCsv(csv)
    const at = (c: string) => header!.indexOf(c)
    return csvLine(header!) + rows.map((r, i) => {
      const [incoherent, unreadableLabel, toxic] = labels(i)
      r[at('incoherent')] = incoherent!
      r[at('unreadable')] = unreadableLabel!
      r[at('toxic')] = toxic!
      r[at('notes')] = i === 0 ? 'menu text, "cookie" banner' : ''
      return csvLine(r)
    }).join('')
  }

  test('CSV sheet: seeded, filled, imported; rates per label and unqualified stored in the audits table', async () => {
    const sheet = await reviewSheet(lake, { n: 8, seed: 3 })
    expect(sheet.documents).toHaveLength(8)
    expect((await reviewSheet(lake, { n: 8, seed: 3 })).documents.map(d => d.id)).toEqual(sheet.documents.map(d => d.id))
    expect((await reviewSheet(lake, { n: 8, seed: 4 })).documents.map(d => d.id)).not.toEqual(sheet.documents.map(d => d.id))
    const csv = reviewCsv(sheet)
    const [header, ...rows] = parseCsv(csv)
    expect(header).toEqual(['snapshot_id', 'seed', 'id', 'lang', 'text', 'incoherent', 'unreadable', 'toxic', 'notes'])
    expect(rows.map(r => r[4])).toEqual(sheet.documents.map(d => d.text))

    // documents 0 and 3 unqualified (0 twice over), 1 of 8 toxic
    const filled = fill(csv, i => i === 0 ? ['1', '1', '0'] : i === 3 ? ['0', '0', '1'] : ['0', '0', '0'])
    const e = await importReview(lake, parseFilledSheet(filled, 'filled.csv'), 0.001, 'filled.csv')
    const m = Object.fromEntries(e.metrics.map(x => [x.metric, x]))
    expect(m.human_unqualified).toMatchObject({ flagged: 2, sampleSize: 8, rate: 0.25, passed: false, details: { notes: { [sheet.documents[0]!.id]: 'menu text, "cookie" banner' } } })
    expect([m.human_incoherent!.flagged, m.human_unreadable!.flagged, m.human_toxic!.flagged]).toEqual([1, 1, 1])
    expect(e).toMatchObject({ snapshotId: sheet.snapshotId, seed: 3, sampleShare: null, passed: false })
    const stored = (await readAudits(lake, 'documents')).filter(r => r.evaluation_id === e.evaluationId)
    expect(stored.map(r => [r.metric, r.flagged, r.sample_size, r.rate, r.sample_share]).sort()).toEqual([
      ['human_incoherent', 1, 8, 0.125, null], ['human_toxic', 1, 8, 0.125, null], ['human_unqualified', 2, 8, 0.25, null], ['human_unreadable', 1, 8, 0.125, null]
    ])
  })

  test('a badly filled sheet is refused with the row and column of every problem, and nothing is stored', async () => {
    const sheet = await reviewSheet(lake, { n: 4, seed: 3 })
    const csv = fill(reviewCsv(sheet), i => i === 1 ? ['yes', '', '0'] : ['0', '0', '0'])
    expect(() => parseFilledSheet(csv, 'bad.csv')).toThrow('bad.csv: 2 problems:\n  row 3, column incoherent: "yes" (fill 1 if incoherent, else 0)\n  row 3, column unreadable: empty (fill 1 if unreadable, else 0)')
    const [header, first, ...rest] = parseCsv(fill(reviewCsv(sheet), () => ['0', '0', '0']))
    const twice = [header!, first!, ...rest, first!].map(csvLine).join('')
    expect(() => parseFilledSheet(twice, 'twice.csv')).toThrow(`row 6, column id: ${first![2]} was already labelled in row 2`)
    expect(() => parseFilledSheet('id,toxic\nx,0\n', 'cols.csv')).toThrow('row 1: missing columns snapshot_id, seed, incoherent, unreadable')
    const foreign = [header!, first!.map((c, i) => i === 2 ? 'not-in-this-lake' : c)].map(csvLine).join('')
    const before = (await readAudits(lake, 'documents')).length
    await expect(importReview(lake, parseFilledSheet(foreign, 'foreign.csv'), 0.001, 'foreign.csv')).rejects.toThrow('row 2, column id: not-in-this-lake is not a kept document of snapshot')
    expect((await readAudits(lake, 'documents')).length).toBe(before)
  })

  test('HTML sheet: text escaped, a form per document, and its Save button writes the CSV --import reads (in Chromium)', async () => {
    const sheet = await reviewSheet(lake, { n: 100, seed: 3 })
    expect(sheet.documents.map(d => d.id)).toContain('hostile')
    const html = reviewHtml(sheet)
    expect(html).not.toMatch(/<(link|img|iframe)\b|\b(src|href)\s*=\s*["']?(https?:)?\/\//i)
    expect(html).toContain('&#60;/div&#62;&#60;script&#62;document.body.dataset.pwned = &#34;1&#34;&#60;/script&#62;')
    // the test plays the reviewer: answer every question (toxic for the hostile document), then save through the page's own code
    const reviewer = `<script>
      const saved = []; URL.createObjectURL = blob => { blob.text().then(t => { document.getElementById('out').textContent = t }); return 'blob:x' };
      HTMLAnchorElement.prototype.click = function () { saved.push(this.download) };
      document.getElementById('save').click();
      document.body.dataset.firstTry = document.getElementById('status').textContent;
      document.querySelectorAll('form.review').forEach(f => {
        for (const l of ['incoherent', 'unreadable', 'toxic']) f.querySelector('input[name="' + l + '"][value="' + (l === 'toxic' && f.dataset.id === 'hostile' ? 1 : 0) + '"]').checked = true
        if (f.dataset.id === 'hostile') f.elements.notes.value = 'script, "injected"'
      });
      document.getElementById('save').click();
      document.body.dataset.saved = saved.join(',');
    </script><pre id="out"></pre>`
    const dom = renderInChromium(html.replace('</body>', `${reviewer}</body>`))
    expect(dom).not.toMatch(/<body[^>]*data-pwned/)
    expect(dom).toContain('data-first-try="Not saved, labels missing: document 1: incoherent; document 1: unreadable;')
    expect(dom).toContain(`data-saved="review-${sheet.snapshotId}-3.csv"`)
    const csv = /<pre id="out">([\s\S]*?)<\/pre>/.exec(dom)![1]!.replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>')
    const filled = parseFilledSheet(csv, 'saved.csv')
    expect(filled.documents.map(d => d.id)).toEqual(sheet.documents.map(d => d.id))
    expect(filled.documents.find(d => d.id === 'hostile')).toMatchObject({ labels: { incoherent: 0, unreadable: 0, toxic: 1 }, notes: 'script, "injected"' })
    const e = await importReview(lake, filled, 0.1, 'saved.csv')
    expect(e.metrics.find(m => m.metric === 'human_unqualified')).toMatchObject({ flagged: 1, sampleSize: sheet.documents.length, passed: true })
  })
})
