import fs from 'node:fs'
import path from 'node:path'
import type { Command } from 'commander'
import { z } from 'zod'
import { SluiceError } from '../../schemas/errors.ts'
import { formatCount, log } from '../log.ts'
import { validate } from './options.ts'

const schema = z.strictObject({
  lake: z.string().min(1),
  snapshot: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  sample: z.number().gt(0, 'must be above 0').max(1, 'must be at most 1 (a share: 0.01 is 1%)'),
  seed: z.number().int('must be a whole number').min(0).max(Number.MAX_SAFE_INTEGER),
  maxRate: z.number().min(0).max(1, 'must be at most 1 (0.001 is 1 in 1,000)'),
  publish: z.boolean(),
  json: z.boolean(),
  review: z.number().int('must be a whole number').positive().optional(),
  out: z.string().regex(/\.(csv|html)$/i, 'must end in .csv or .html').optional(),
  import: z.string().min(1).optional()
})
type Options = z.output<typeof schema>

const FLAGS = { snapshot: '--snapshot', sample: '--sample', seed: '--seed', maxRate: '--max-rate', review: '--review', out: '--out', import: '--import' }

function checked (raw: Record<string, unknown>): Options {
  const o = validate(schema, { ...raw, publish: raw.publish === true, json: raw.json === true }, FLAGS)
  const fail = (message: string) => { throw new SluiceError('config', message, { retryable: false }) }
  if (o.review !== undefined && o.out === undefined) fail('--review <n> needs --out <file.csv|file.html>')
  if (o.out !== undefined && o.review === undefined) fail('--out is the review sheet: pass --review <n> with it')
  if (o.import !== undefined && o.review !== undefined) fail('--import and --review are separate steps: export a sheet, fill it, then import it')
  if (o.publish && (o.review !== undefined || o.import !== undefined)) fail('--publish goes with the automatic evaluation, not with --review or --import')
  if (o.import !== undefined && o.snapshot !== undefined) fail('--import reads the snapshot from the sheet: leave out --snapshot')
  if (!fs.existsSync(o.lake)) fail(`no lake at ${o.lake} (pass --lake <dir>)`)
  if (o.import !== undefined && !fs.existsSync(o.import)) fail(`--import ${o.import}: no such file`)
  return o
}

function gateFailure (e: { metrics: Array<{ metric: string, passed: boolean | null }>, snapshotId: number }, maxRate: number, what: string): SluiceError {
  const failed = e.metrics.filter(m => m.passed === false).map(m => m.metric)
  return new SluiceError('gate_failed', `${failed.join(', ')} above --max-rate ${maxRate}; ${what}`, { retryable: false, failed })
}

async function automatic (o: Options): Promise<void> {
  const { evaluateLake } = await import('../../lake/evaluate/evaluate.ts')
  const { filterDetectors } = await import('../../lake/evaluate/detectors.ts')
  const { evaluationText } = await import('../../lake/evaluate/text.ts')
  const e = await evaluateLake(o.lake, { snapshotId: o.snapshot, share: o.sample, seed: o.seed, maxRate: o.maxRate, publish: o.publish, detectors: filterDetectors() })
  process.stdout.write(o.json ? JSON.stringify(e) + '\n' : evaluationText(e))
  const gates = e.metrics.filter(m => m.passed !== null)
  log(`evaluate: ${formatCount(e.sampleSize)} of ${formatCount(e.keptDocuments)} kept documents at snapshot ${e.snapshotId}; ` +
    `${gates.filter(m => m.passed === true).length} of ${gates.length} gates passed; audit ${e.evaluationId} in ${path.join(o.lake, 'audits')}; ` +
    (e.published ? `published (tag published-${e.snapshotId})` : o.publish ? 'not published' : 'not published (pass --publish)'))
  if (!e.passed) throw gateFailure(e, o.maxRate, `snapshot ${e.snapshotId} ${o.publish ? 'not published' : 'fails the evaluation'}`)
}

async function exportReview (o: Options): Promise<void> {
  const { reviewSheet, reviewFile } = await import('../../lake/evaluate/review-export.ts')
  const sheet = await reviewSheet(o.lake, { snapshotId: o.snapshot, n: o.review!, seed: o.seed })
  try {
    fs.writeFileSync(o.out!, reviewFile(sheet, o.out!.toLowerCase().endsWith('.csv') ? 'csv' : 'html'))
  } catch (err) {
    throw new SluiceError('io', `cannot write ${o.out!}: ${(err as Error).message}`, { retryable: false, cause: err })
  }
  log(`evaluate: wrote ${sheet.documents.length} documents of snapshot ${sheet.snapshotId} (seed ${sheet.seed}) to ${o.out!}` +
    (sheet.documents.length < o.review! ? ` (the snapshot has only ${sheet.documents.length} kept documents)` : '') +
    `; fill the labels and run sluice evaluate --import <file.csv>`)
}

async function importSheet (o: Options): Promise<void> {
  const { parseFilledSheet, importReview } = await import('../../lake/evaluate/review-import.ts')
  const { evaluationText } = await import('../../lake/evaluate/text.ts')
  const sheet = parseFilledSheet(fs.readFileSync(o.import!, 'utf8'), o.import!)
  const e = await importReview(o.lake, sheet, o.maxRate, o.import!)
  process.stdout.write(o.json ? JSON.stringify(e) + '\n' : evaluationText(e))
  const u = e.metrics.find(m => m.metric === 'human_unqualified')!
  log(`evaluate: human review of ${formatCount(u.sampleSize)} documents of snapshot ${e.snapshotId}: unqualified rate ${u.rate!.toFixed(4)} ` +
    `(${formatCount(u.flagged!)} of ${formatCount(u.sampleSize)}), limit ${o.maxRate}: ${u.passed! ? 'PASS' : 'FAIL'}; audit ${e.evaluationId}`)
  if (!e.passed) throw gateFailure(e, o.maxRate, `the human review of snapshot ${e.snapshotId} fails`)
}

export function registerEvaluate (program: Command): void {
  program.command('evaluate')
    .description("Ziya2's data evaluation of the documents table: automatic metrics on a seeded sample of kept documents, gated at --max-rate, results in the audits table; or a human review sheet")
    .option('--lake <dir>', 'the lake folder', './lake')
    .option('--snapshot <id>', 'the snapshot of documents to evaluate (default: the current one)', Number)
    .option('--sample <share>', 'share of kept documents to sample', Number, 0.01)
    .option('--seed <n>', 'seed of the sample: the same seed and snapshot give the same documents', Number, 42)
    .option('--max-rate <rate>', 'the highest share of flagged documents a gate passes', Number, 0.001)
    .option('--publish', 'when every gate passes, tag the snapshot published-<id> (what trainers read)')
    .option('--json', 'print the evaluation as one JSON object')
    .option('--review <n>', 'instead: export n seeded documents as a review sheet to --out', Number)
    .option('--out <file>', 'the review sheet: .csv for a spreadsheet, .html for a page that saves the filled CSV')
    .option('--import <file>', 'instead: record a filled review sheet (CSV) in the audits table')
    .addHelpText('after', `
Gated metrics: privacy (e-mails, phones, ID numbers), toxic, ads, html (markup left in text),
unreadable, perplexity (when documents carry it); language and length distributions are reported.
Exit code 7 (gate_failed) when a gate fails; the audit rows are written either way.

Examples:
  sluice evaluate --publish
  sluice evaluate --snapshot 4711 --sample 0.05 --seed 7 --json
  sluice evaluate --review 1000 --out review.html
  sluice evaluate --import review-4711-42.csv
`)
    .action(async (raw: Record<string, unknown>) => {
      const o = checked(raw)
      if (o.review !== undefined) await exportReview(o)
      else if (o.import !== undefined) await importSheet(o)
      else await automatic(o)
    })
}
