import crypto from 'node:crypto'
import { SluiceError } from '../../schemas/errors.ts'
import { appendAudits } from '../audits-table.ts'
import { openLake } from '../sql.ts'
import { parseCsv } from './csv.ts'
import { LABEL_NAMES, LABELS, SHEET_KEYS, type Label } from './review-labels.ts'
import { allPassed, auditRows, gated, type Evaluation } from './result.ts'
import { documentsSnapshot } from './snapshot.ts'
import { MetricTally } from './tally.ts'

/** `row`: the document's row as a spreadsheet numbers it, for messages. */
export interface ReviewedDoc { row: number, id: string, labels: Record<Label, 0 | 1>, notes: string }
export interface FilledSheet { snapshotId: number, seed: number, documents: ReviewedDoc[] }

/** Errors listed at most; a sheet with more has a systematic problem the first ones show. */
const MAX_ERRORS = 20

const invalid = (file: string, errors: string[]) => new SluiceError('config',
  `${file}: ${errors.length} problem${errors.length === 1 ? '' : 's'}:\n  ${errors.slice(0, MAX_ERRORS).join('\n  ')}` +
  (errors.length > MAX_ERRORS ? `\n  ... and ${errors.length - MAX_ERRORS} more` : ''), { retryable: false })

/**
 * Reads a filled review sheet (the CSV of `--review`, or the one its HTML page saves): every
 * document needs each label as 0 or 1, all rows one snapshot and seed, no id twice. Every problem
 * is reported with its row (the file's line) and column.
 */
export function parseFilledSheet (csv: string, file: string): FilledSheet {
  let rows: ReturnType<typeof parseCsv>
  try {
    rows = parseCsv(csv)
  } catch (err) {
    throw invalid(file, [(err as Error).message])
  }
  const header = rows.shift()?.map(h => h.trim()) ?? []
  const required = [...SHEET_KEYS, ...LABEL_NAMES]
  const missing = required.filter(c => !header.includes(c))
  if (missing.length > 0) throw invalid(file, [`row 1: missing column${missing.length === 1 ? '' : 's'} ${missing.join(', ')} (the header needs ${required.join(', ')}; comma-separated)`])
  if (rows.length === 0) throw invalid(file, ['no documents below the header'])
  const at = (cells: string[], column: string) => (cells[header.indexOf(column)] ?? '').trim()
  const errors: string[] = []
  const documents: ReviewedDoc[] = []
  const firstRow = new Map<string, number>()
  const keys = { snapshot_id: new Set<string>(), seed: new Set<string>() }
  for (const [i, cells] of rows.entries()) {
    // the row a spreadsheet shows (the header is row 1), not the file's line: texts span lines
    const row = i + 2
    const where = (column: string) => `row ${row}, column ${column}`
    for (const k of ['snapshot_id', 'seed'] as const) {
      const v = at(cells, k)
      if (!/^\d+$/.test(v)) errors.push(`${where(k)}: ${JSON.stringify(v)} is not a whole number (keep the value the sheet came with)`)
      else keys[k].add(v)
    }
    const id = at(cells, 'id')
    if (id === '') errors.push(`${where('id')}: empty`)
    else if (firstRow.has(id)) errors.push(`${where('id')}: ${id} was already labelled in row ${firstRow.get(id)}`)
    else firstRow.set(id, row)
    const labels = {} as Record<Label, 0 | 1>
    for (const l of LABEL_NAMES) {
      const v = at(cells, l)
      if (v === '0' || v === '1') labels[l] = Number(v) as 0 | 1
      else errors.push(`${where(l)}: ${v === '' ? 'empty' : JSON.stringify(v)} (fill 1 if ${l}, else 0)`)
    }
    documents.push({ row, id, labels, notes: header.includes('notes') ? at(cells, 'notes') : '' })
  }
  for (const k of ['snapshot_id', 'seed'] as const) {
    if (keys[k].size > 1) errors.push(`column ${k}: the rows disagree (${[...keys[k]].join(', ')}); one sheet reviews one sample`)
  }
  if (errors.length > 0) throw invalid(file, errors)
  return { snapshotId: Number([...keys.snapshot_id][0]), seed: Number([...keys.seed][0]), documents }
}

/** The sheet's ids that are not kept documents of its snapshot (a sheet of another lake or snapshot). */
async function unknownIds (lakeDir: string, sheet: FilledSheet): Promise<string[]> {
  const lake = await openLake(lakeDir, { snapshotId: sheet.snapshotId })
  try {
    await lake.connection.run('CREATE TEMP TABLE reviewed (id VARCHAR)')
    const appender = await lake.connection.createAppender('reviewed')
    for (const d of sheet.documents) { appender.appendVarchar(d.id); appender.endRow() }
    appender.closeSync()
    const r = await lake.connection.runAndReadAll("SELECT id FROM reviewed ANTI JOIN (SELECT id FROM documents WHERE decision = 'keep') USING (id)")
    return r.getRowObjectsJS().map(row => String(row.id))
  } finally {
    lake.close()
  }
}

/**
 * Records a filled review sheet in the audits table: one gated row per label (`human_<label>`) and
 * `human_unqualified` (any label 1), each rate against `maxRate`; notes of unqualified documents go
 * into that row's details.
 */
export async function importReview (lakeDir: string, sheet: FilledSheet, maxRate: number, file: string): Promise<Evaluation> {
  documentsSnapshot(lakeDir, sheet.snapshotId)
  const unknown = await unknownIds(lakeDir, sheet)
  if (unknown.length > 0) {
    const unknownSet = new Set(unknown)
    throw invalid(file, sheet.documents.filter(d => unknownSet.has(d.id)).map(d => `row ${d.row}, column id: ${d.id} is not a kept document of snapshot ${sheet.snapshotId}`))
  }
  const perLabel = new Map(LABEL_NAMES.map(l => [l, new MetricTally()]))
  const unqualified = new MetricTally()
  const notes: Record<string, string> = {}
  for (const d of sheet.documents) {
    for (const l of LABEL_NAMES) perLabel.get(l)!.add(d.id, d.labels[l] === 1 ? l : null)
    const bad = LABEL_NAMES.filter(l => d.labels[l] === 1)
    unqualified.add(d.id, bad.length === 0 ? null : bad.join('+'))
    if (bad.length > 0 && d.notes !== '') notes[d.id] = d.notes
  }
  const metrics = [
    gated('human_unqualified', 'reviewed documents with any label marked', unqualified, maxRate, { notes }),
    ...LABEL_NAMES.map(l => gated(`human_${l}`, LABELS[l], perLabel.get(l)!, maxRate))
  ]
  const evaluation: Evaluation = {
    evaluationId: crypto.randomUUID(),
    table: 'documents',
    snapshotId: sheet.snapshotId,
    seed: sheet.seed,
    sampleShare: null,
    sampleSize: sheet.documents.length,
    evaluatedAt: new Date().toISOString(),
    metrics,
    passed: allPassed(metrics)
  }
  await appendAudits(lakeDir, auditRows(evaluation))
  return evaluation
}
