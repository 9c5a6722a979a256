import type { RawRecord } from '../../schemas/raw-record.ts'
import type { DeadLetter } from '../../schemas/deadletter.ts'

/**
 * What every format reader yields, in input order. `end` is the byte offset just after the item
 * in the (decompressed) input: a checkpoint at `end` resumes exactly after it.
 */
export type ReadItem =
  | { kind: 'record', record: RawRecord, end: number }
  | { kind: 'deadletter', letter: DeadLetter, end: number }

export interface ReadOptions {
  /** Absolute path of the input, written into provenance. */
  file: string
  /** Offset of the first byte of `chunks` in the whole (decompressed) input; 0 unless resuming. */
  baseOffset: number
  /** A record whose payload is larger than this is dead-lettered with code `oversize`. */
  maxDocBytes: number
  /** Value for `source` in every record (e.g. 'warc', 'jsonl', or a --source label). */
  source: string
  /** Overrides the crawl id found in the input. */
  crawlId: string | null
  /**
   * When resuming: the crawl id in effect at `baseOffset` (a WARC's warcinfo comes before the
   * resume point), so a restarted run labels records as the uninterrupted run did.
   */
  resumeCrawlId?: string | null
}

/** A format reader: bytes of one input in, records and dead letters out. Never throws for bad input. */
export type FormatReader = (chunks: AsyncIterable<Uint8Array>, opts: ReadOptions) => AsyncIterable<ReadItem>
