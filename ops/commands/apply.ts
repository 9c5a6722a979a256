import path from 'node:path'
import { Argument, type Command } from 'commander'
import { SluiceError } from '../../schemas/errors.ts'
import type { Document } from '../../schemas/document.ts'
import type { RawRecord } from '../../schemas/raw-record.ts'
import type { InputFormat } from '../../streams/readers/format.ts'
import { formatBytes, formatCount, log } from '../log.ts'
import { startProgress } from '../progress.ts'
import { stopOnSignals } from '../signals.ts'
import { addReaderOptions, ingestConfig } from './options.ts'

/** Operators `apply` can run over files; later stages add normalize, score, dedup. */
export const APPLY_OPERATORS = ['ingest', 'filter'] as const

export function registerApply (program: Command): void {
  const cmd = program.command('apply')
    .description('run a pipeline operator over files without Kafka: the same readers and code as the workers, JSONL out')
    .addArgument(new Argument('<operator>', 'operator to run').choices([...APPLY_OPERATORS]))
    .requiredOption('--in <inputs...>', 'input files, folders or globs')
    .requiredOption('--out <file.jsonl>', 'documents in the document schema, one JSON object per line')
    .option('--deadletter <file.jsonl>', 'where bad records go (default: <out>.deadletter.jsonl)')
    .option('--rule-sets <names...>', 'filter: rule sets to run (ziya2, gopher, c4, fineweb; default all)')
    .option('--config <file.json>', 'filter: rule config {ruleSets, rules: {<rule>: {enabled, ...thresholds}}, pii}')
    .addHelpText('after', '\nExamples:\n  sluice apply ingest --in ../shared/data/web/warc/dolma-sample-0000.warc.gz --out /tmp/docs.jsonl\n' +
      '  sluice apply filter --in /tmp/docs.jsonl --out /tmp/filtered.jsonl --rule-sets ziya2 gopher\n')
  addReaderOptions(cmd).action(async (operator: string, o: Record<string, unknown>) => {
    if (operator === 'filter') return await applyFilter(o)
    const config = ingestConfig(o)
    const { encodeDeadLetter } = await import('../../schemas/deadletter.ts')
    const { collectingContext } = await import('../../streams/operator.ts')
    const { toDocuments } = await import('../../streams/operators/to-document.ts')
    const { expandInputs, readInput } = await import('../../streams/readers/index.ts')
    const { JsonlFileWriter } = await import('../../streams/sinks.ts')
    const files = expandInputs(o.in as string[])
    const outPath = path.resolve(o.out as string)
    const deadPath = path.resolve((o.deadletter as string | undefined) ?? outPath.replace(/(\.jsonl)?$/, '.deadletter.jsonl'))
    if (deadPath === outPath) throw new SluiceError('config', '--deadletter must differ from --out', { retryable: false })
    const out = new JsonlFileWriter(outPath)
    const dead = new JsonlFileWriter(deadPath)
    const abort = stopOnSignals()
    const ctx = collectingContext<RawRecord>(abort.signal)
    const started = Date.now()
    let bytes = 0
    const bar = startProgress(() => `apply ${operator}: ${formatCount(out.lines)} docs, ${formatCount(dead.lines)} dead-lettered, ${formatBytes(bytes)}`)

    async function * records (): AsyncIterable<RawRecord> {
      for (const file of files) {
        let last = 0
        for await (const item of readInput(file, { config, startOffset: 0, format: o.format as InputFormat | undefined })) {
          bytes += item.end - last
          last = item.end
          if (item.kind === 'record') yield item.record
          else await dead.write(encodeDeadLetter(item.letter).toString())
        }
      }
    }
    try {
      for await (const doc of toDocuments()(records(), ctx)) await out.write(JSON.stringify(doc))
      await out.close()
      await dead.close()
    } catch (err) {
      out.discard()
      dead.discard()
      throw err
    } finally {
      bar.stop()
      abort.dispose()
    }
    log(`apply ${operator}: ${formatCount(out.lines)} docs to ${outPath}, ${formatCount(dead.lines)} dead-lettered to ${deadPath} ` +
      `(${formatBytes(bytes)} from ${files.length} files in ${((Date.now() - started) / 1000).toFixed(1)} s)`)
  })
}

/** `apply filter`: document JSONL (as `apply ingest` writes it) through the rule filters, every document written back with its decision. */
async function applyFilter (o: Record<string, unknown>): Promise<void> {
  const fs = await import('node:fs')
  const readline = await import('node:readline')
  const { documentSchema } = await import('../../schemas/document.ts')
  const { collectingContext } = await import('../../streams/operator.ts')
  const { fromConfig } = await import('../../streams/filters/index.ts')
  const { expandInputs } = await import('../../streams/readers/index.ts')
  const { JsonlFileWriter } = await import('../../streams/sinks.ts')
  const readConfig = (file: string): Record<string, unknown> => {
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8'))
    } catch (err) {
      throw new SluiceError('config', `--config ${file}: ${(err as Error).message}`, { retryable: false, cause: err })
    }
  }
  const config = { ...(o.config === undefined ? {} : readConfig(o.config as string)), ...(o.ruleSets === undefined ? {} : { ruleSets: o.ruleSets }) }
  const filter = fromConfig(config)
  const files = expandInputs(o.in as string[])
  const outPath = path.resolve(o.out as string)
  const deadPath = path.resolve((o.deadletter as string | undefined) ?? outPath.replace(/(\.jsonl)?$/, '.deadletter.jsonl'))
  if (files.some(f => path.resolve(f) === outPath)) throw new SluiceError('config', '--out must differ from the inputs', { retryable: false })
  const out = new JsonlFileWriter(outPath)
  const dead = new JsonlFileWriter(deadPath)
  const abort = stopOnSignals()
  const ctx = collectingContext<Document>(abort.signal)
  const started = Date.now()
  let bytes = 0
  const bar = startProgress(() => `apply filter: ${formatCount(ctx.stats.received)} docs, ${formatCount(ctx.dropped.length)} dropped, ${formatBytes(bytes)}`)

  async function * documents (): AsyncIterable<Document> {
    for (const file of files) {
      let n = 0
      for await (const line of readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity })) {
        n++
        bytes += Buffer.byteLength(line) + 1
        if (line.trim() === '') continue
        let parsed: unknown
        try { parsed = JSON.parse(line) } catch (err) { await dead.write(JSON.stringify({ file, line: n, code: 'bad_json', message: (err as Error).message })); continue }
        const r = documentSchema.check(parsed)
        if (r.ok) yield r.value
        else await dead.write(JSON.stringify({ file, line: n, code: 'bad_schema', message: r.message }))
      }
    }
  }
  try {
    // dropped documents are written too, marked drop with their reason, in input order
    for await (const doc of filter(documents(), ctx)) {
      for (const d of ctx.dropped.splice(0)) await out.write(JSON.stringify(d.item))
      await out.write(JSON.stringify(doc))
    }
    for (const d of ctx.dropped.splice(0)) await out.write(JSON.stringify(d.item))
    await out.close()
    await dead.close()
  } catch (err) {
    out.discard()
    dead.discard()
    throw err
  } finally {
    bar.stop()
    abort.dispose()
  }
  const reasons = Object.entries(ctx.stats).filter(([k]) => k.startsWith('dropped_')).sort((a, b) => b[1] - a[1])
  log(`apply filter: ${formatCount(ctx.stats.received)} docs, ${formatCount(ctx.stats.forwarded)} kept, ${formatCount(ctx.stats.received - ctx.stats.forwarded)} dropped ` +
    `(${formatBytes(bytes)} in ${((Date.now() - started) / 1000).toFixed(1)} s) to ${outPath}; ${formatCount(dead.lines)} bad lines to ${deadPath}` +
    (reasons.length === 0 ? '' : `\n  ${reasons.map(([k, v]) => `${k.slice('dropped_'.length)} ${formatCount(v)}`).join(', ')}`))
}
