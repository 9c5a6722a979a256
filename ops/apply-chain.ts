import { DEAD_LETTER_RAW_BYTES, type DeadLetter } from '../schemas/deadletter.ts'
import type { Document } from '../schemas/document.ts'
import { encodeRawRecord, type RawRecord } from '../schemas/raw-record.ts'
import type { Operator, OperatorContext, OperatorStats } from '../streams/operator.ts'
import type { StageConfigs } from '../streams/stages/index.ts'

export interface ApplySinks {
  document: (doc: Document) => Promise<void>
  deadLetter: (letter: DeadLetter) => Promise<void>
}

/** One or more operators run in a row over a source, with what they drop routed as the workers route it. */
export interface ApplyChain {
  input: 'records' | 'documents'
  run: (source: AsyncIterable<any>, signal: AbortSignal, sinks: ApplySinks) => Promise<void>
  /** Drop counts by reason, over all operators of the chain. */
  dropped: () => Record<string, number>
}

/**
 * Builds the operators of an `apply` command, validating their config before anything is read.
 * A dropped document is written marked drop, in input order; a raw record the normalizer failed on
 * becomes a dead letter with the error, as in the normalize worker.
 */
export async function chainFor (operator: 'ingest' | 'normalize' | 'filter' | 'score' | 'dedup' | 'pipeline', config: StageConfigs): Promise<ApplyChain> {
  const { fromConfig } = await import('../streams/filters/index.ts')
  const { loadScorer } = await import('../streams/quality/load.ts')
  const { scoreDocuments } = await import('../streams/quality/score.ts')
  const { DedupState, dedupDocuments } = await import('../streams/dedup/index.ts')
  const { normalizeDocuments } = await import('../streams/normalize/index.ts')
  const { toDocuments } = await import('../streams/operators/to-document.ts')
  const errors = new WeakMap<RawRecord, Error>()
  const normalizer = () => normalizeDocuments(config.normalize, { onError: (raw, err) => errors.set(raw, err) })
  // in memory: a run over files checks them against each other, not against a worker's history
  const dedup = () => dedupDocuments(new DedupState(config.dedup.config))
  const score = () => scoreDocuments(async () => await loadScorer(config.quality))
  const ops: Array<Operator<any, any>> = {
    ingest: () => [toDocuments()],
    normalize: () => [normalizer()],
    filter: () => [fromConfig(config.filter)],
    score: () => [normalizer(), fromConfig(config.filter), score()],
    dedup: () => [dedup()],
    pipeline: () => [normalizer(), fromConfig(config.filter), score(), dedup()]
  }[operator]()
  const stats: OperatorStats[] = []
  return {
    input: operator === 'filter' || operator === 'dedup' ? 'documents' : 'records',
    dropped: () => {
      const out: Record<string, number> = {}
      for (const s of stats) for (const [k, v] of Object.entries(s)) if (k.startsWith('dropped_')) out[k.slice(8)] = (out[k.slice(8)] ?? 0) + v
      return out
    },
    run: async (source, signal, sinks) => {
      // every input ends as one output, drop or dead letter; operators that batch (score) let drops
      // overtake the documents they hold, so outcomes wait in input order before they are written
      const order = new InputOrder()
      const context = (): OperatorContext<any> => {
        const s: OperatorStats = { received: 0, forwarded: 0 }
        stats.push(s)
        return {
          stats: s,
          signal,
          drop: (item: Document | RawRecord, reason: string) => {
            s[`dropped_${reason}`] = (s[`dropped_${reason}`] ?? 0) + 1
            order.done(item, 'decision' in item
              ? async () => await sinks.document(item)
              : async () => {
                const raw = encodeRawRecord(item)
                await sinks.deadLetter({
                  schema_version: 1, stage: 'normalize', code: 'stage_failed', message: errors.get(item)?.message ?? reason, at: new Date().toISOString(),
                  provenance: item.provenance, raw: new Uint8Array(raw.subarray(0, DEAD_LETTER_RAW_BYTES)), raw_truncated: raw.length > DEAD_LETTER_RAW_BYTES
                })
              })
          }
        }
      }
      let stream: AsyncIterable<any> = order.track(source)
      for (const op of ops) stream = op(stream, context())
      for await (const doc of stream as AsyncIterable<Document>) {
        order.done(doc, async () => await sinks.document(doc))
        await order.flush()
      }
      await order.flush(true)
    }
  }
}

type Item = Document | RawRecord

/** An input's place: its crawl position, else its id (documents made up without one). */
function placeOf (item: Item): string {
  const p = item.provenance
  return p.file !== null ? `${p.file}@${p.offset ?? ''}#${p.kafka_offset ?? ''}` : `id:${item.id}`
}

/** Releases the outcomes of inputs in the order the inputs were read. */
class InputOrder {
  private readonly seqs = new Map<string, number[]>()
  private readonly ready = new Map<number, () => Promise<void>>()
  private read = 0
  private written = 0

  async * track (source: AsyncIterable<Item>): AsyncIterable<Item> {
    for await (const item of source) {
      const place = placeOf(item)
      const queue = this.seqs.get(place)
      if (queue === undefined) this.seqs.set(place, [this.read++])
      else queue.push(this.read++)
      yield item
    }
  }

  done (item: Item, write: () => Promise<void>): void {
    const place = placeOf(item)
    const queue = this.seqs.get(place)
    const seq = queue?.shift()
    if (seq === undefined) throw new Error(`apply: an outcome for ${place}, which was never read (an operator changed its provenance or id)`)
    if (queue!.length === 0) this.seqs.delete(place)
    this.ready.set(seq, write)
  }

  /** Writes what is next in input order; at the end everything, still in order. */
  async flush (all = false): Promise<void> {
    while (this.ready.has(this.written)) {
      await this.ready.get(this.written)!()
      this.ready.delete(this.written++)
    }
    if (!all) return
    for (const seq of [...this.ready.keys()].sort((a, b) => a - b)) await this.ready.get(seq)!()
    this.ready.clear()
  }
}
