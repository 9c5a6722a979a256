import path from 'node:path'
import { Argument, type Command } from 'commander'
import { SluiceError } from '../../schemas/errors.ts'
import type { RawRecord } from '../../schemas/raw-record.ts'
import type { InputFormat } from '../../streams/readers/format.ts'
import { formatBytes, formatCount, log } from '../log.ts'
import { startProgress } from '../progress.ts'
import { stopOnSignals } from '../signals.ts'
import { addReaderOptions, ingestConfig } from './options.ts'

/** Operators `apply` can run over files; later stages add normalize, filter, score, dedup. */
export const APPLY_OPERATORS = ['ingest'] as const

export function registerApply (program: Command): void {
  const cmd = program.command('apply')
    .description('run a pipeline operator over files without Kafka: the same readers and code as the workers, JSONL out')
    .addArgument(new Argument('<operator>', 'operator to run').choices([...APPLY_OPERATORS]))
    .requiredOption('--in <inputs...>', 'input files, folders or globs')
    .requiredOption('--out <file.jsonl>', 'documents in the document schema, one JSON object per line')
    .option('--deadletter <file.jsonl>', 'where bad records go (default: <out>.deadletter.jsonl)')
    .addHelpText('after', '\nExample:\n  sluice apply ingest --in ../shared/data/web/warc/dolma-sample-0000.warc.gz --out /tmp/docs.jsonl\n')
  addReaderOptions(cmd).action(async (operator: string, o: Record<string, unknown>) => {
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
