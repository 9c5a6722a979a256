import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { resolveBrokers } from '../connect.ts'
import { auditBench } from './lake/audit.ts'
import { benchDocuments } from './lake/records.ts'
import { roundTrip, type RoundTrip } from './lake/roundtrip.ts'
import { sinkBench } from './lake/sink.ts'
import { CANDIDATES } from './lake/writers.ts'

const PARTS = ['writers', 'sink', 'audit'] as const
const HELP = `npm run bench -- lake [--mb 64] [--sink-mb 64] [--audit-docs 1000000] [--audit-batch 50000]
                        [--batch-rows 50000] [--batch-ms 1000] [--only writers,sink,audit] [--brokers host:port] [--out bench-out]

writers  The same documents (real Chinese and English web texts of ../shared/data/web, some real HTML
         pages, and edge cases: empty strings, NUL and control characters, emoji and other astral
         characters, a 4 MB document), about --mb MB of text+html, written to Parquet by Sluice's
         writeParquet, the DuckDB DataChunk appender, parquet-wasm, hyparquet-writer,
         parquetjs-lite and pyarrow (the peer; only its write is timed). Every file is read back
         with DuckDB and every string value compared byte for byte; a writer that fails that, or
         whose file lacks Iceberg field ids, cannot be kept.
sink     About --sink-mb MB of the same documents as v1 JSON on a fresh docs.curated (local broker
         or --brokers), then the lake sink from its start until it committed the last one: MB/s of
         text and docs/s, and the table's row count checked against what was sent.
audit    --audit-docs synthetic documents (7 languages, 9 drop reasons, --audit-batch per snapshot,
         one file per language) in a fresh documents table, then openLake and
         SELECT lang, decision, reason, count(*) ... GROUP BY lang, decision, reason, timed.

Goals: 100 MB/s committed to Parquet, audit under 2 s. Figures go to stdout and <out>/lake.json.`

const mbs = (bytes: number, seconds: number) => (bytes / 1e6 / seconds).toFixed(1)

async function writers (mb: number, work: string): Promise<unknown> {
  const { docs, textBytes } = benchDocuments(mb * 1e6)
  console.log(`writers: ${docs.length} documents, ${(textBytes / 1e6).toFixed(1)} MB of text+html`)
  const rows: Array<{ name: string, codec: string, seconds?: number, mbPerS?: number, fileMb?: number, check?: RoundTrip, error?: string }> = []
  for (const c of CANDIDATES) {
    const target = path.join(work, `${c.name.replace(/\W+/g, '-')}.parquet`)
    try {
      const seconds = await c.write(docs, target)
      const check = await roundTrip(target, docs)
      rows.push({ name: c.name, codec: c.codec, seconds, mbPerS: Number(mbs(textBytes, seconds)), fileMb: Number((fs.statSync(target).size / 1e6).toFixed(2)), check })
    } catch (err) {
      rows.push({ name: c.name, codec: c.codec, error: (err as Error).message.split('\n')[0]! })
    }
    fs.rmSync(target, { force: true })
  }
  const exact = (r: typeof rows[number]) => r.check !== undefined && r.check.mismatches === 0 && r.check.fieldIds
  for (const r of rows) {
    const verdict = r.error !== undefined
      ? `FAILED: ${r.error}`
      : `${r.check!.mismatches === 0 ? 'byte-exact' : `${r.check!.mismatches} MISMATCHES (${r.check!.examples.join('; ')})`}, ` +
        `${r.check!.fieldIds ? 'field ids' : 'NO FIELD IDS'}${r.check!.typeDiffs.length === 0 ? '' : `, types differ: ${r.check!.typeDiffs.join(', ')}`}`
    console.log(`  ${r.name.padEnd(44)} ${String(r.mbPerS ?? '-').padStart(7)} MB/s  ${String(r.fileMb ?? '-').padStart(8)} MB  ${r.codec}; ${verdict}`)
  }
  const sluice = rows[0]!
  const peer = rows.find(r => r.name.startsWith('pyarrow'))
  // the peer is a yardstick, not a writer Sluice could keep
  const best = rows.filter(r => r !== peer && exact(r)).sort((a, b) => b.mbPerS! - a.mbPerS!)[0]
  if (best !== undefined) console.log(`  fastest byte-exact JS writer with field ids: ${best.name} (${best.mbPerS} MB/s, ${(best.mbPerS! / sluice.mbPerS!).toFixed(2)}x sluice)`)
  if (peer?.mbPerS !== undefined && sluice.mbPerS !== undefined) console.log(`  sluice / pyarrow: ${(sluice.mbPerS / peer.mbPerS).toFixed(2)}`)
  return { docs: docs.length, mb: Number((textBytes / 1e6).toFixed(1)), writers: rows }
}

export async function main (argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      mb: { type: 'string', default: '64' },
      'sink-mb': { type: 'string', default: '64' },
      'audit-docs': { type: 'string', default: '1000000' },
      'audit-batch': { type: 'string', default: '50000' },
      'batch-rows': { type: 'string', default: '50000' },
      'batch-ms': { type: 'string', default: '1000' },
      only: { type: 'string', default: PARTS.join(',') },
      brokers: { type: 'string' },
      out: { type: 'string', default: 'bench-out' },
      help: { type: 'boolean' }
    }
  })
  if (values.help === true) { console.log(HELP); return }
  const numbers = ['mb', 'sink-mb', 'audit-docs', 'audit-batch', 'batch-rows', 'batch-ms'] as const
  for (const k of numbers) if (!(Number(values[k]) > 0)) throw new Error(`--${k} must be a positive number, got ${values[k]}`)
  const parts = values.only!.split(',')
  const unknown = parts.filter(p => !(PARTS as readonly string[]).includes(p))
  if (unknown.length > 0) throw new Error(`--only: unknown part ${unknown.join(', ')} (choose from ${PARTS.join(', ')})`)

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-lake-'))
  const result: Record<string, unknown> = { at: new Date().toISOString(), cpus: os.cpus().length, loadavg: os.loadavg() }
  try {
    if (parts.includes('writers')) result.writers = await writers(Number(values.mb), work)
    if (parts.includes('sink')) {
      const brokers = await resolveBrokers({ brokers: values.brokers })
      const { docs, textBytes } = benchDocuments(Number(values['sink-mb']) * 1e6)
      const r = await sinkBench(brokers, path.join(work, 'sink-lake'), docs, { rows: Number(values['batch-rows']), ms: Number(values['batch-ms']) })
      const ok = r.tableRows === docs.length && r.docs === docs.length
      console.log(`sink: ${docs.length} documents, ${(textBytes / 1e6).toFixed(1)} MB of text+html -> ${r.snapshots} snapshots`)
      console.log(`  committed in ${r.committedSeconds.toFixed(2)} s: ${mbs(textBytes, r.committedSeconds)} MB/s, ${Math.round(docs.length / r.committedSeconds)} docs/s (run ${r.runSeconds.toFixed(1)} s with the idle stop)`)
      console.log(`  table rows ${r.tableRows} of ${docs.length} sent${ok ? '' : ` MISMATCH (sink counted ${r.docs}, ${r.rejected} rejected)`}`)
      result.sink = { ...r, sent: docs.length, mb: Number((textBytes / 1e6).toFixed(1)), mbPerS: Number(mbs(textBytes, r.committedSeconds)), ok, brokers }
      if (!ok) process.exitCode = 1
    }
    if (parts.includes('audit')) {
      const r = await auditBench(path.join(work, 'audit-lake'), Number(values['audit-docs']), Number(values['audit-batch']))
      console.log(`audit: ${r.docs} documents in ${r.files} files (generated in ${r.generateSeconds.toFixed(1)} s), ${r.groups} groups`)
      console.log(`  openLake ${r.openSeconds.toFixed(3)} s, query ${r.querySeconds.toFixed(3)} s (again ${r.secondQuerySeconds.toFixed(3)} s), total ${(r.openSeconds + r.querySeconds).toFixed(3)} s`)
      result.audit = r
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
  fs.mkdirSync(values.out!, { recursive: true })
  fs.writeFileSync(path.join(values.out!, 'lake.json'), JSON.stringify(result, null, 2) + '\n')
}
