import type { Message } from 'kafkajs'
import { topicsConfigSchema } from '../../../schemas/config.ts'
import type { Document } from '../../../schemas/document.ts'
import { kafkaClient } from '../../../streams/kafka/client.ts'
import { ensureTopics, topicNames } from '../../../streams/kafka/topics.ts'
import { openDocumentsTable } from '../../../lake/documents-table.ts'
import { runLakeSink } from '../../../lake/sink.ts'
import { openLake } from '../../../lake/sql.ts'

export interface SinkResult { docs: number, rejected: number, snapshots: number, committedSeconds: number, runSeconds: number, tableRows: number }

/** Sends the documents as v1 JSON to a fresh docs.curated, in ~8 MB batches (not timed). */
async function produce (brokers: string[], topic: string, docs: readonly Document[]): Promise<void> {
  const producer = kafkaClient(brokers, 'sluice-bench-lake').producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false })
  await producer.connect()
  try {
    let batch: Message[] = []
    let size = 0
    for (const d of docs) {
      const value = Buffer.from(JSON.stringify(d))
      batch.push({ key: d.id, value })
      size += value.length
      if (size >= 8 << 20) {
        await producer.sendBatch({ topicMessages: [{ topic, messages: batch }], acks: -1 })
        batch = []
        size = 0
      }
    }
    if (batch.length > 0) await producer.sendBatch({ topicMessages: [{ topic, messages: batch }], acks: -1 })
  } finally {
    await producer.disconnect()
  }
}

/**
 * Times the lake sink over a fresh topic from its start to the commit of the snapshot that holds
 * the last document (the snapshot's own timestamp), so the idle wait before it stops is not counted.
 */
export async function sinkBench (brokers: string[], lakeDir: string, docs: readonly Document[], batch: { rows: number, ms: number }): Promise<SinkResult> {
  const topics = topicsConfigSchema.parse({ prefix: `bench-lake-${Date.now()}.` })
  const admin = kafkaClient(brokers).admin()
  await admin.connect()
  await ensureTopics(admin, topics).finally(async () => { await admin.disconnect() })
  const names = topicNames(topics)
  await produce(brokers, names.curated, docs)

  const start = Date.now()
  const stats = await runLakeSink(kafkaClient(brokers, 'sluice-bench-lake-sink'), {
    lakeDir, documentsTopic: names.curated, deadletterTopic: names.deadletter, batchRows: batch.rows, batchMs: batch.ms, stopWhenIdleMs: 2000
  })
  const runSeconds = (Date.now() - start) / 1000
  const table = openDocumentsTable(lakeDir)
  const last = table.metadata.snapshots.at(-1)
  const lake = await openLake(lakeDir)
  try {
    const tableRows = Number((await lake.connection.runAndReadAll('SELECT count(*) FROM documents')).getRows()[0]![0])
    return { docs: stats.documents, rejected: stats.rejected, snapshots: table.metadata.snapshots.length, committedSeconds: ((last?.['timestamp-ms'] ?? Date.now()) - start) / 1000, runSeconds, tableRows }
  } finally {
    lake.close()
  }
}
