import fs from 'node:fs'
import type { Command } from 'commander'
import { SluiceError } from '../../schemas/errors.ts'
import { log } from '../log.ts'
import { addTravelOptions, travelOptions } from './sql.ts'

export function registerAudit (program: Command): void {
  addTravelOptions(program.command('audit')
    .description('what the lake holds and where documents were lost: sources, languages, decisions and drop reasons, text bytes, top domains, dead letters and the funnel')
    .option('--lake <dir>', 'the lake folder', './lake'))
    .option('--html <file>', 'also write the report as one self-contained HTML page with charts')
    .option('--json', 'print the report as one JSON object instead of tables')
    .addHelpText('after', '\nA dropped document counts at the pipeline step its reason names (filter:gopher_repetition -> filter).\n\nExamples:\n  sluice audit\n  sluice audit --as-of 2026-11-28T10:00:00Z --html audit.html\n')
    .action(async (o: { lake: string, snapshot?: number, asOf?: string, html?: string, json?: boolean }) => {
      const travel = travelOptions(o)
      if (!fs.existsSync(o.lake)) throw new SluiceError('config', `no lake at ${o.lake} (pass --lake <dir>)`, { retryable: false })
      const { auditLake, auditText } = await import('../../lake/audit.ts')
      const report = await auditLake(o.lake, travel)
      if (o.html !== undefined) {
        const { auditHtml } = await import('../../lake/audit-html.ts')
        try {
          fs.writeFileSync(o.html, auditHtml(report))
        } catch (err) {
          throw new SluiceError('io', `cannot write ${o.html}: ${(err as Error).message}`, { retryable: false, cause: err })
        }
        log(`audit: wrote ${o.html}`)
      }
      process.stdout.write(o.json === true ? JSON.stringify(report) + '\n' : auditText(report))
    })
}
