import type { IngestConfig } from '../../schemas/config.ts'
import { inputBytes } from './bytes.ts'
import { deadLetterAt } from './dead-letter.ts'
import { detectFormat, type InputFormat } from './format.ts'
import { isStdin } from './inputs.ts'
import { readJsonl } from './jsonl.ts'
import { readTextLines } from './lines.ts'
import { readParquet } from './parquet.ts'
import type { ReadItem, ReadOptions } from './types.ts'
import { readWarc } from './warc.ts'
import { readWholeFile } from './whole-file.ts'

export interface ReadInputOptions {
  config: IngestConfig
  /** Resume point: the `end` of the last item already ingested from this file. */
  startOffset: number
  /** The crawl id of the last record before the resume point (see ReadOptions.resumeCrawlId). */
  resumeCrawlId?: string | null
  /** Forces a format instead of detecting it. */
  format?: InputFormat
}

/**
 * All documents and dead letters of one input file, in order, from `startOffset`. An I/O or
 * decompression failure part-way through becomes a final dead letter at the last good offset, so
 * one broken file never stops a run.
 */
export async function * readInput (file: string, opts: ReadInputOptions): AsyncIterable<ReadItem> {
  const format = opts.format ?? (isStdin(file) ? 'jsonl' : await detectFormat(file))
  const readOpts: ReadOptions = {
    file,
    baseOffset: opts.startOffset,
    maxDocBytes: opts.config.maxDocBytes,
    source: opts.config.source ?? format,
    crawlId: opts.config.crawlId ?? null,
    resumeCrawlId: opts.resumeCrawlId ?? null
  }
  if (format === 'parquet') {
    yield * readParquet(opts.config.jsonl, readOpts)
    return
  }
  const bytes = inputBytes(file, opts.startOffset, isStdin(file) ? process.stdin : undefined)
  const items = format === 'warc'
    ? readWarc(bytes, readOpts)
    : format === 'jsonl'
      ? readJsonl(opts.config.jsonl)(bytes, readOpts)
      : format === 'lines'
        ? readTextLines()(bytes, readOpts)
        : readWholeFile(bytes, format, readOpts)
  let last = opts.startOffset
  try {
    for await (const item of items) {
      last = item.end
      yield item
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    const code = e.code === 'Z_BUF_ERROR' ? 'truncated' : e.code?.startsWith('Z_') === true ? 'bad_gzip' : 'io'
    yield deadLetterAt(file, last, 0, code, `reading stopped: ${e.message}`, null)
  }
}

export { expandInputs } from './inputs.ts'
export type { InputFormat } from './format.ts'
export type { ReadItem } from './types.ts'
