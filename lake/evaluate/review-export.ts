import { openLake } from '../sql.ts'
import { csvLine } from './csv.ts'
import { reviewHtml } from './review-html.ts'
import { CSV_TEXT_CHARS, LABEL_NAMES, SHEET_KEYS } from './review-labels.ts'
import { reviewSample, type SampledDoc } from './sample.ts'
import { documentsSnapshot } from './snapshot.ts'

export interface ReviewSheet {
  snapshotId: number
  seed: number
  documents: SampledDoc[]
}

/** The first `n` kept documents of a snapshot in the seeded order: the same seed and snapshot give the same sheet. */
export async function reviewSheet (lakeDir: string, o: { snapshotId?: number, n: number, seed: number }): Promise<ReviewSheet> {
  const { snapshot } = documentsSnapshot(lakeDir, o.snapshotId)
  const lake = await openLake(lakeDir, { snapshotId: snapshot['snapshot-id'] })
  try {
    return { snapshotId: snapshot['snapshot-id'], seed: o.seed, documents: await reviewSample(lake.connection, o.n, o.seed) }
  } finally {
    lake.close()
  }
}

/** The sheet as CSV for a spreadsheet: label and notes cells empty, to be filled with 0 or 1. */
export function reviewCsv (sheet: ReviewSheet): string {
  const cut = (t: string) => t.length > CSV_TEXT_CHARS ? `${t.slice(0, CSV_TEXT_CHARS)} [... cut at ${CSV_TEXT_CHARS} of ${t.length} characters]` : t
  return csvLine([...SHEET_KEYS, 'lang', 'text', ...LABEL_NAMES, 'notes']) +
    sheet.documents.map(d => csvLine([sheet.snapshotId, sheet.seed, d.id, d.lang ?? '', cut(d.text), ...LABEL_NAMES.map(() => ''), ''])).join('')
}

export function reviewFile (sheet: ReviewSheet, format: 'csv' | 'html'): string {
  return format === 'csv' ? reviewCsv(sheet) : reviewHtml(sheet)
}
