import type { Kafka } from 'kafkajs'
import type { IngestConfig } from '../../schemas/config.ts'
import { deadLetterKey, encodeDeadLetter } from '../../schemas/deadletter.ts'
import { encodeRawRecord } from '../../schemas/raw-record.ts'
import type { ReadItem } from '../readers/types.ts'
import { checkpointKey, loadCheckpoints, type FileCheckpoint } from './checkpoints.ts'
import { kafkaHeaders, openTransactionalProducer, type OutgoingMessage, type TransactionalProducer } from './tx-producer.ts'

const RAW_HEADERS = kafkaHeaders({ 'sluice.schema': 'raw_record.v1' })
const DEAD_LETTER_HEADERS = kafkaHeaders({ 'sluice.schema': 'deadletter.v1' })

export interface IngestTopics { raw: string, deadletter: string, checkpoints: string }

export interface WriterStats { records: number, deadLetters: number, bytes: number, transactions: number }

interface PendingBatch {
  raw: OutgoingMessage[]
  dead: OutgoingMessage[]
  checkpoints: Map<string, FileCheckpoint>
  stats: { records: number, deadLetters: number, bytes: number }
}

/**
 * Sends documents to `docs.raw` and bad records to `docs.deadletter` in Kafka transactions that
 * also carry each file's checkpoint. A crash loses only the open transaction, which the broker
 * aborts; a restart resumes from the last committed checkpoint, so nothing is lost or doubled
 * for consumers that read committed data.
 */
export class IngestWriter {
  private producer!: TransactionalProducer
  /** Each file's latest checkpoint: committed, in flight or queued (commits land in order). */
  private checkpoints = new Map<string, FileCheckpoint>()
  private inFlight: Promise<void> | null = null
  private pendingRaw: OutgoingMessage[] = []
  private pendingDead: OutgoingMessage[] = []
  private pendingCheckpoints = new Map<string, FileCheckpoint>()
  private pendingBytes = 0
  private openedAt = 0
  private pendingStats = { records: 0, deadLetters: 0, bytes: 0 }
  readonly stats: WriterStats = { records: 0, deadLetters: 0, bytes: 0, transactions: 0 }

  /** `kafka` reads the checkpoints back; `brokers` is for the transactional producer. */
  constructor (private readonly kafka: Kafka, private readonly brokers: string[], private readonly topics: IngestTopics, private readonly config: IngestConfig) {}

  async open (): Promise<void> {
    // one transactional id per job and checkpoint topic: jobs of different topic prefixes never fence each other
    this.producer = openTransactionalProducer(this.brokers, `sluice-ingest-${this.topics.checkpoints}-${this.config.job}`, this.config.compression)
    this.checkpoints = await loadCheckpoints(this.kafka, this.producer, this.topics.checkpoints, this.config.job)
  }

  checkpoint (file: string): FileCheckpoint | undefined {
    return this.checkpoints.get(file)
  }

  /** Queues one item of `file`; commits when the batch is full or has waited `lingerMs`. */
  async add (file: string, item: ReadItem, trackOffsets: boolean): Promise<void> {
    if (this.pendingRaw.length + this.pendingDead.length === 0) this.openedAt = Date.now()
    let size: number
    if (item.kind === 'record') {
      const value = encodeRawRecord(item.record)
      size = value.length
      this.pendingRaw.push({ topic: this.topics.raw, key: item.record.id, value, headers: RAW_HEADERS })
      this.pendingStats.records++
    } else {
      const value = encodeDeadLetter(item.letter)
      size = value.length
      this.pendingDead.push({ topic: this.topics.deadletter, key: deadLetterKey(item.letter), value, headers: DEAD_LETTER_HEADERS })
      this.pendingStats.deadLetters++
    }
    this.pendingBytes += size
    this.pendingStats.bytes += size
    if (trackOffsets) {
      const prev = this.checkpoints.get(file)
      const crawlId = item.kind === 'record' ? item.record.crawl_id : prev?.crawlId ?? null
      this.queueCheckpoint({ job: this.config.job, file, offset: item.end, complete: false, size: prev?.size ?? 0, mtimeMs: prev?.mtimeMs ?? 0, crawlId })
    }
    if (this.pendingBytes >= this.config.batchBytes ||
        this.pendingRaw.length + this.pendingDead.length >= this.config.batchRecords ||
        Date.now() - this.openedAt >= this.config.lingerMs) {
      await this.flush(false)
    }
  }

  /** Records that `file` was read to its end at this size; committed with the next batch. */
  complete (file: string, size: number, mtimeMs: number): void {
    const prev = this.checkpoints.get(file)
    this.queueCheckpoint({ job: this.config.job, file, offset: prev?.offset ?? 0, complete: true, size, mtimeMs, crawlId: prev?.crawlId ?? null })
  }

  private queueCheckpoint (c: FileCheckpoint): void {
    this.pendingCheckpoints.set(c.file, c)
    this.checkpoints.set(c.file, c)
  }

  /**
   * Commits everything queued. The commit runs while the caller reads the next batch (one
   * transaction in flight at most, so memory stays at two batches and commits stay in order);
   * `wait` also waits for it, as `close` and the end of each input do.
   */
  async flush (wait = true): Promise<void> {
    await this.settle()
    if (this.pendingRaw.length + this.pendingDead.length + this.pendingCheckpoints.size === 0) return
    const batch = {
      raw: this.pendingRaw, dead: this.pendingDead, checkpoints: this.pendingCheckpoints, stats: this.pendingStats
    }
    this.pendingRaw = []
    this.pendingDead = []
    this.pendingCheckpoints = new Map()
    this.pendingBytes = 0
    this.pendingStats = { records: 0, deadLetters: 0, bytes: 0 }
    this.inFlight = this.commit(batch)
    // a failure surfaces at the next add/flush; until then it must not count as unhandled
    this.inFlight.catch(() => {})
    if (wait) await this.settle()
  }

  private async settle (): Promise<void> {
    const running = this.inFlight
    this.inFlight = null
    if (running !== null) await running
  }

  private async commit (batch: PendingBatch): Promise<void> {
    const checkpoints = [...batch.checkpoints.values()].map(c => ({
      topic: this.topics.checkpoints, key: checkpointKey(c.job, c.file), value: Buffer.from(JSON.stringify(c)), partition: 0
    }))
    await this.producer.commit([...batch.raw, ...batch.dead, ...checkpoints])
    this.stats.records += batch.stats.records
    this.stats.deadLetters += batch.stats.deadLetters
    this.stats.bytes += batch.stats.bytes
    this.stats.transactions++
  }

  async close (): Promise<void> {
    try {
      await this.flush()
    } finally {
      await this.producer.close()
    }
  }
}
