import fs from 'node:fs'
import { Option, type Command } from 'commander'
import { SluiceError } from '../../schemas/errors.ts'
import type { TravelOptions } from '../../lake/sql.ts'

const collectParam = (value: string, previous: Record<string, string>) => {
  const eq = value.indexOf('=')
  if (eq <= 0) throw new SluiceError('config', `--param ${value}: expected name=value`, { retryable: false })
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) }
}

function csvCell (v: unknown): string {
  const s = v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

function alignedTable (columns: string[], rows: unknown[][]): string {
  const cells = rows.map(r => r.map(v => v === null ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : String(v)).map(s => s.length > 80 ? s.slice(0, 77) + '...' : s.replace(/\s+/g, ' ')))
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map(r => r[i]!.length)))
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join(' | ').trimEnd()
  return [line(columns), widths.map(w => '-'.repeat(w)).join('-+-'), ...cells.map(line)].join('\n') + '\n'
}

/** `--snapshot` / `--as-of` (shared by the commands that read the lake), checked before any side effect. */
export function addTravelOptions (cmd: Command): Command {
  return cmd
    .option('--snapshot <id>', 'read the table that has this snapshot as of it', Number)
    .option('--as-of <time>', 'read every table as it was at this time (ISO-8601)')
}

export function travelOptions (o: { snapshot?: number, asOf?: string }): TravelOptions {
  if (o.snapshot !== undefined && !Number.isSafeInteger(o.snapshot)) throw new SluiceError('config', '--snapshot must be a snapshot id (an integer)', { retryable: false })
  const asOf = o.asOf === undefined ? undefined : new Date(o.asOf)
  if (asOf !== undefined && Number.isNaN(asOf.getTime())) throw new SluiceError('config', `--as-of ${o.asOf}: not a time (use ISO-8601, e.g. 2026-11-28T10:00:00Z)`, { retryable: false })
  return { snapshotId: o.snapshot, asOf }
}

export function registerSql (program: Command): void {
  addTravelOptions(program.command('sql')
    .description('query the lake with DuckDB: each table is a view over its current (or chosen) snapshot')
    .argument('<query>', 'SQL; user values go in as $name parameters with --param name=value')
    .option('--lake <dir>', 'the lake folder', './lake'))
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json', 'parquet']).default('table'))
    .option('--out <file>', 'write the result here instead of stdout (required for parquet)')
    .option('--param <name=value>', 'a named query parameter, repeatable', collectParam, {})
    .addHelpText('after', '\nExamples:\n  sluice sql "select lang, decision, count(*) from documents group by all"\n  sluice sql "select * from documents where id = $id" --param id=0a1b2c3d4e5f6789 --format json\n')
    .action(async (query: string, o: { lake: string, snapshot?: number, asOf?: string, format: string, out?: string, param: Record<string, string> }) => {
      const travel = travelOptions(o)
      if (o.format === 'parquet' && o.out === undefined) throw new SluiceError('config', '--format parquet needs --out <file>', { retryable: false })
      const { openLake } = await import('../../lake/sql.ts')
      const lake = await openLake(o.lake, travel)
      try {
        if (o.format === 'parquet') {
          const { quote } = await import('../../lake/iceberg/parquet.ts')
          await lake.connection.run(`COPY (${query}) TO ${quote(o.out!)} (FORMAT parquet, COMPRESSION zstd)`, o.param)
          return
        }
        const result = await lake.connection.runAndReadAll(query, o.param)
        const columns = result.columnNames()
        const rows = result.getRowsJson() as unknown[][]
        const text = o.format === 'csv'
          ? [columns.map(csvCell).join(','), ...rows.map(r => r.map(csvCell).join(','))].join('\n') + '\n'
          : o.format === 'json'
            ? rows.map(r => JSON.stringify(Object.fromEntries(columns.map((c, i) => [c, r[i]])))).join('\n') + (rows.length > 0 ? '\n' : '')
            : alignedTable(columns, rows)
        if (o.out === undefined) process.stdout.write(text)
        else fs.writeFileSync(o.out, text)
      } catch (err) {
        if (err instanceof SluiceError) throw err
        throw new SluiceError('config', `query failed: ${(err as Error).message}`, { retryable: false, cause: err })
      } finally {
        lake.close()
      }
    })
}
