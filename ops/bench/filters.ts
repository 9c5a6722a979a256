import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { parseArgs } from 'node:util'
import type { Document } from '../../schemas/document.ts'
import { compileFilters, type FilterConfigInput } from '../../streams/filters/config.ts'
import { applyFilters, filterDocuments } from '../../streams/filters/index.ts'
import type { OperatorContext, OperatorStats } from '../../streams/operator.ts'

const SHARED = path.resolve('../shared/data')
const HELP = `npm run bench -- filters [--mb 64] [--out bench-out] [--no-datatrove]

Runs the filter operator (all rule sets, PII masking) over real extracted Chinese and English text
(../shared/data/web), repeated to about --mb MB, and prints MB/s. Then runs datatrove's
GopherRepetition, GopherQuality, C4Quality and FineWebQuality filters (pip install datatrove nltk)
over the English documents, prints its MB/s next to Sluice's on the same documents, and the share of
keep/drop decisions per rule set on which the two agree.`

const gz = (name: string): string[] => {
  const bytes = fs.readFileSync(path.join(SHARED, name))
  return (name.endsWith('.gz') ? zlib.gunzipSync(bytes) : bytes).toString('utf8').split('\n').filter(l => l.trim() !== '')
}

/** The real texts: English C4/cc_net/DCLM documents and Chinese corpus, Wikipedia and web pages. */
function corpus (): { en: string[], zh: string[] } {
  const en = [
    ...fs.readdirSync(path.join(SHARED, 'web/en')).filter(f => /\.jsonl?\.gz$/.test(f)).flatMap(f => gz(`web/en/${f}`).map(l => JSON.parse(l).text as string)),
    ...gz('quality/dclm-majority_data.jsonl').map(l => JSON.parse(l).text as string)
  ]
  const zh = [
    ...gz('web/zh/CLUECorpusSmall_sampled.txt.gz'),
    ...gz('web/zh/zhwiki_sampled.txt.gz'),
    ...gz('web/zh/chinesewebtext-cc2021-43-cleared1.jsonl').map(l => JSON.parse(l).raw_content as string)
  ]
  return { en, zh }
}

function document (text: string, lang: string, i: number): Document {
  return {
    schema_version: 1, id: `bench-${i}`, url: null, source: 'bench', crawl_id: null, fetched_at: null,
    ingested_at: '2026-11-28T00:00:00.000Z', lang, text, html: null, content_type: null, signals: {},
    decision: 'keep', reason: null, dup_of: null, cluster_id: null, meta: null,
    provenance: { file: null, offset: null, length: null, topic: null, partition: null, kafka_offset: null }
  }
}

function repeat (docs: Document[], targetBytes: number): { docs: Document[], bytes: number } {
  const one = docs.reduce((s, d) => s + Buffer.byteLength(d.text ?? ''), 0)
  const rounds = Math.max(1, Math.ceil(targetBytes / one))
  return { docs: Array.from({ length: rounds }, () => docs).flat(), bytes: one * rounds }
}

/** MB/s of the operator over the documents (counting only, nothing kept). */
async function operatorRate (docs: Document[], bytes: number, config: FilterConfigInput): Promise<{ mbPerS: number, kept: number }> {
  const stats: OperatorStats = { received: 0, forwarded: 0 }
  const ctx: OperatorContext<Document> = { stats, signal: new AbortController().signal, drop: () => {} }
  async function * input () { yield * docs }
  const start = process.hrtime.bigint()
  for await (const _ of filterDocuments(config)(input(), ctx)) { /* forwarded */ }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  return { mbPerS: bytes / 1e6 / seconds, kept: stats.forwarded }
}

// datatrove's English word tokenizer needs NLTK's punkt data, which is downloaded at run time
// (not possible here): NLTK's Treebank tokenizer without sentence splitting stands in for it, and
// sentences are split at terminal punctuation for C4's five-sentence rule.
const DATATROVE = String.raw`
import json, re, sys, time
from nltk.tokenize import word_tokenize
from datatrove.data import Document
from datatrove.utils.word_tokenizers import WordTokenizer
from datatrove.pipeline.filters import GopherRepetitionFilter, GopherQualityFilter, C4QualityFilter, FineWebQualityFilter

class Tok(WordTokenizer):
    def word_tokenize(self, text): return [t for t in word_tokenize(text, preserve_line=True) if t.strip()]
    def sent_tokenize(self, text): return [s for s in re.split(r'(?<=[.!?])\s+', text) if s.strip()]
    def span_tokenize(self, text): return [m.span() for m in re.finditer(r'\S(?:.*?[.!?](?=\s|$)|.+$)', text, re.S)]

tok = Tok('en')
sets = {'gopher': [GopherRepetitionFilter(language=tok), GopherQualityFilter(language=tok)],
        'c4': [C4QualityFilter(language=tok)], 'fineweb': [FineWebQualityFilter(language=tok)]}
docs = [json.loads(l)['text'] for l in open(sys.argv[1])]
reps = int(sys.argv[2])
def keep(filters, text):
    d = Document(text=text, id='x')
    for f in filters:
        r = f.filter(d)
        if r is not True and (r is False or r[0] is False): return False
    return True
decisions = {name: [keep(fs, t) for t in docs] for name, fs in sets.items()}
chain = sets['gopher'] + sets['c4'] + sets['fineweb']
start = time.perf_counter()
for _ in range(reps):
    for t in docs: keep(chain, t)
print(json.dumps({'seconds': time.perf_counter() - start, 'decisions': decisions}))
`

export interface FilterFigures {
  corpus: { docs: number, mb: number, kept: number }
  sluice_mb_per_s: number
  english: { docs: number, mb: number }
  sluice_en_mb_per_s: number
  datatrove_en_mb_per_s: number | null
  ratio_to_datatrove: number | null
  agreement: Record<string, number> | null
}

/** The figures of this bench (also for the `factory` bench). `datatrove: false` skips the Python side. */
export async function filterFigures (opts: { mb: number, out: string, datatrove: boolean }): Promise<FilterFigures> {
  const { en, zh } = corpus()
  const mixed = [...en.map((t, i) => document(t, 'en', i)), ...zh.map((t, i) => document(t, 'zh', en.length + i))]
  const all = repeat(mixed, opts.mb * 1e6)
  await operatorRate(mixed, 1, {}) // warm-up: word lists, JIT
  const sluice = await operatorRate(all.docs, all.bytes, {})

  // English only, the three sets datatrove has (C4's bad-words rule is a separate datatrove filter)
  const comparable: FilterConfigInput = { ruleSets: ['gopher', 'c4', 'fineweb'], rules: { c4_bad_words: { enabled: false } }, pii: { enabled: false } }
  const enDocs = en.map((t, i) => document(t, 'en', i))
  const enBytes = en.reduce((s, t) => s + Buffer.byteLength(t), 0)
  const reps = Math.max(1, Math.round(Math.min(opts.mb, 16) * 1e6 / enBytes))
  const enRep = repeat(enDocs, enBytes * reps)
  const sluiceEn = await operatorRate(enRep.docs, enRep.bytes, comparable)

  let datatrove: { seconds: number, decisions: Record<string, boolean[]> } | null = null
  if (opts.datatrove) {
    const file = path.resolve(opts.out, 'filters-en.jsonl')
    fs.mkdirSync(opts.out, { recursive: true })
    fs.writeFileSync(file, en.map(text => JSON.stringify({ text })).join('\n') + '\n')
    datatrove = JSON.parse(execFileSync('python3', ['-c', DATATROVE, file, String(reps)], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'inherit'] }))
  }
  const agreement = datatrove === null
    ? null
    : Object.fromEntries(Object.entries(datatrove.decisions).map(([set, theirs]) => {
      const ours = compileFilters({ ...comparable, ruleSets: [set as 'gopher'] })
      const same = enDocs.filter((d, i) => (applyFilters(d, ours).reason === null) === theirs[i]).length
      return [set, Number((same / enDocs.length).toFixed(3))]
    }))
  const dtRate = datatrove === null ? null : enRep.bytes / 1e6 / datatrove.seconds
  return {
    corpus: { docs: all.docs.length, mb: Number((all.bytes / 1e6).toFixed(1)), kept: sluice.kept },
    sluice_mb_per_s: Number(sluice.mbPerS.toFixed(1)),
    english: { docs: enRep.docs.length, mb: Number((enRep.bytes / 1e6).toFixed(1)) },
    sluice_en_mb_per_s: Number(sluiceEn.mbPerS.toFixed(1)),
    datatrove_en_mb_per_s: dtRate === null ? null : Number(dtRate.toFixed(2)),
    ratio_to_datatrove: dtRate === null ? null : Number((sluiceEn.mbPerS / dtRate).toFixed(1)),
    agreement
  }
}

export async function main (argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { mb: { type: 'string', default: '64' }, out: { type: 'string', default: 'bench-out' }, 'no-datatrove': { type: 'boolean' }, help: { type: 'boolean' } } })
  if (values.help === true) { console.log(HELP); return }
  const f = await filterFigures({ mb: Number(values.mb), out: values.out!, datatrove: values['no-datatrove'] !== true })
  console.log(`filters bench: ${f.corpus.mb} MB, ${f.corpus.docs} docs (zh + en), ${f.corpus.kept} kept`)
  console.log(`  sluice, all rule sets + PII        ${f.sluice_mb_per_s} MB/s`)
  console.log(`  english only (${f.english.mb} MB), gopher+c4+fineweb:`)
  console.log(`    sluice                           ${f.sluice_en_mb_per_s} MB/s`)
  if (f.datatrove_en_mb_per_s !== null) {
    console.log(`    datatrove                        ${f.datatrove_en_mb_per_s} MB/s (ratio ${f.ratio_to_datatrove})`)
    console.log(`  keep/drop agreement with datatrove ${Object.entries(f.agreement!).map(([k, v]) => `${k} ${v}`).join(', ')}`)
  }
  fs.mkdirSync(values.out!, { recursive: true })
  fs.writeFileSync(path.resolve(values.out!, 'filters.json'), JSON.stringify({ ...f, at: new Date().toISOString() }, null, 2) + '\n')
}
