import { formatCount } from '../../ops/log.ts'
import type { Evaluation, MetricResult } from './result.ts'

type GateLine = Pick<MetricResult, 'metric' | 'flagged' | 'sampleSize' | 'rate' | 'maxRate' | 'passed'>

const verdict = (passed: boolean | null): string => passed === null ? 'report' : passed ? 'PASS' : 'FAIL'
// rates of one in a thousand and below need the fourth decimal; the flagged/sample columns are exact
const rate = (r: number | null): string => r === null ? '-' : r.toFixed(4)

/** The gate table: metric, flagged, sample, rate, limit, PASS/FAIL ('report' for ungated metrics). */
export function gateTable (lines: GateLine[], indent = ''): string {
  const rows = [['metric', 'flagged', 'sample', 'rate', 'limit', 'result'],
    ...lines.map(m => [m.metric, m.flagged === null ? '-' : formatCount(m.flagged), formatCount(m.sampleSize), rate(m.rate), rate(m.maxRate), verdict(m.passed)])]
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map(r => r[i]!.length)))
  return rows.map(r => indent + r.map((c, i) => i === 0 || i === 5 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n'
}

const share = (n: number, of: number) => `${n} (${(100 * n / of).toFixed(1)}%)`

/** The evaluation for a terminal: what was read, the gate table, the distributions, the verdict. */
export function evaluationText (e: Evaluation): string {
  const lines = [
    `evaluation ${e.evaluationId} of ${e.table} @ snapshot ${e.snapshotId}: ${formatCount(e.sampleSize)} documents` +
      (e.sampleShare === null ? ` reviewed (seed ${e.seed})` : ` sampled (${Number((e.sampleShare * 100).toPrecision(6))}% of kept, seed ${e.seed})`),
    '',
    gateTable(e.metrics.filter(m => m.passed !== null))
  ]
  for (const m of e.metrics.filter(m => m.passed === null)) {
    const d = m.details
    if (m.metric === 'language') lines.push(`languages: ${Object.entries(d.documents as Record<string, number>).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${share(n, m.sampleSize)}`).join(', ')}`)
    else if (m.metric === 'length') lines.push(`lengths (characters): ${(d.buckets as Array<{ from: number, to: number | null, documents: number }>).filter(b => b.documents > 0).map(b => `${b.from}-${b.to ?? ''} ${share(b.documents, m.sampleSize)}`).join(', ')}`)
    else lines.push(`${m.metric}: not available (${String(d.reason)})`)
  }
  const failed = e.metrics.filter(m => m.passed === false)
  lines.push('', failed.length === 0 ? 'every gate passed' : `FAILED: ${failed.map(m => m.metric).join(', ')} above the limit`)
  return lines.join('\n') + '\n'
}
