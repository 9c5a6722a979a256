import path from 'node:path'
import { Argument, type Command } from 'commander'
import { SluiceError } from '../../schemas/errors.ts'
import type { Document } from '../../schemas/document.ts'
import type { InputFormat } from '../../streams/readers/format.ts'
import { formatBytes, formatCount, log } from '../log.ts'
import { startProgress } from '../progress.ts'
import { stopOnSignals } from '../signals.ts'
import { addReaderOptions, addStageOptions, ingestConfig, stageConfigs } from './options.ts'

/**
 * Operators `apply` can run over files. `ingest`, `normalize`, `score` (normalize -> filter ->
 * quality, what the score worker's output holds) and `pipeline` (score -> dedup) read crawl files
 * through the readers; `filter` and `dedup` read document JSONL (as the others write it).
 */
export const APPLY_OPERATORS = ['ingest', 'normalize', 'filter', 'score', 'dedup', 'pipeline'] as const
type ApplyOperator = typeof APPLY_OPERATORS[number]

export function registerApply (program: Command): void {
  const cmd = program.command('apply')
    .description('run pipeline operators over files without Kafka: the same readers and code as the workers, documents out as JSONL')
    .addArgument(new Argument('<operator>', 'operator to run').choices([...APPLY_OPERATORS]))
    .requiredOption('--in <inputs...>', 'input files, folders or globs (document JSONL for filter and dedup)')
    .requiredOption('--out <file.jsonl>', 'documents in the document schema, one JSON object per line; dropped ones too, marked drop')
    .option('--deadletter <file.jsonl>', 'where records that could not be processed go (default: <out>.deadletter.jsonl)')
    .addHelpText('after', '\nExamples:\n  sluice apply ingest --in ../shared/data/web/warc/dolma-sample-0000.warc.gz --out /tmp/docs.jsonl\n' +
      '  sluice apply pipeline --in ../shared/data/web/warc --out /tmp/curated.jsonl\n' +
      '  sluice apply filter --in /tmp/docs.jsonl --out /tmp/filtered.jsonl --rule-sets ziya2 gopher\n' +
      '  sluice apply normalize --in ../shared/data/web/en/aeb/html --out /tmp/text.jsonl --extract fast\n' +
      '  sluice apply score --in ../shared/data/web/warc --out /tmp/scored.jsonl   # after sluice quality train-lm / train-classifier\n' +
      '  sluice apply dedup --in /tmp/filtered.jsonl --out /tmp/deduped.jsonl --near simhash\n')
  addStageOptions(addReaderOptions(cmd)).action(async (operator: ApplyOperator, o: Record<string, unknown>) => {
    const { encodeDeadLetter } = await import('../../schemas/deadletter.ts')
    const { expandInputs } = await import('../../streams/readers/index.ts')
    const { JsonlFileWriter } = await import('../../streams/sinks.ts')
    const { readDocuments, readRecords } = await import('../apply-sources.ts')
    const { chainFor } = await import('../apply-chain.ts')
    // every option is validated here, before a file is opened
    const chain = await chainFor(operator, await stageConfigs(o))
    const ingest = ingestConfig(o)
    const files = expandInputs(o.in as string[])
    const outPath = path.resolve(o.out as string)
    const deadPath = path.resolve((o.deadletter as string | undefined) ?? outPath.replace(/(\.jsonl)?$/, '.deadletter.jsonl'))
    if (deadPath === outPath) throw new SluiceError('config', '--deadletter must differ from --out', { retryable: false })
    if (files.some(f => path.resolve(f) === outPath)) throw new SluiceError('config', '--out must differ from the inputs', { retryable: false })
    const out = new JsonlFileWriter(outPath)
    const dead = new JsonlFileWriter(deadPath)
    const abort = stopOnSignals()
    const started = Date.now()
    const read = { bytes: 0 }
    const bar = startProgress(() => `apply ${operator}: ${formatCount(out.lines)} docs, ${formatCount(dead.lines)} dead-lettered, ${formatBytes(read.bytes)}`)
    const deadLetter = async (letter: Parameters<typeof encodeDeadLetter>[0]) => { await dead.write(encodeDeadLetter(letter).toString()) }
    const source = chain.input === 'documents'
      ? readDocuments(files, deadLetter, read)
      : readRecords(files, { config: ingest, format: o.format as InputFormat | undefined }, deadLetter, read)
    const kept = { n: 0 }
    try {
      await chain.run(source, abort.signal, {
        document: async (doc: Document) => { if (doc.decision === 'keep') kept.n++; await out.write(JSON.stringify(doc)) },
        deadLetter
      })
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
    const reasons = Object.entries(chain.dropped()).sort((a, b) => b[1] - a[1])
    log(`apply ${operator}: ${formatCount(out.lines)} docs (${formatCount(kept.n)} kept) to ${outPath}, ${formatCount(dead.lines)} dead-lettered to ${deadPath} ` +
      `(${formatBytes(read.bytes)} from ${files.length} files in ${((Date.now() - started) / 1000).toFixed(1)} s)` +
      (reasons.length === 0 ? '' : `\n  dropped: ${reasons.map(([k, v]) => `${k} ${formatCount(v)}`).join(', ')}`))
  })
}
