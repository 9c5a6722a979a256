import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { parseArgs } from 'node:util'
import { compatibilityPartitioner, Producer } from '@platformatic/kafka'
import type { Message } from 'kafkajs'
import { ingestConfigSchema, topicsConfigSchema } from '../../schemas/config.ts'
import { encodeRawRecord } from '../../schemas/raw-record.ts'
import { kafkaClient } from '../../streams/kafka/client.ts'
import { ensureTopics, topicNames } from '../../streams/kafka/topics.ts'
import { readInput } from '../../streams/readers/index.ts'
import { runIngest } from '../ingest-job.ts'
import { resolveBrokers } from '../connect.ts'

const SHARED = path.resolve('../shared/data')
const HELP = `npm run bench -- ingest [--mb 256] [--brokers host:port] [--out bench-out]

Builds a JSONL input of about --mb MB from the real Chinese and English texts in ../shared/data,
ingests it into a fresh docs.raw on the local broker (or --brokers), then sends the same encoded
records with plain idempotent kafkajs and @platformatic/kafka producers (the ceilings) and prints all.`

/** Real texts, repeated with a serial number so every line is its own document. */
function buildInput (file: string, targetBytes: number): void {
  if (fs.existsSync(file) && fs.statSync(file).size >= targetBytes) return
  const texts: Array<{ text: string, url?: string }> = []
  for (const name of ['web/zh/CLUECorpusSmall_sampled.txt.gz', 'web/zh/zhwiki_sampled.txt.gz']) {
    for (const line of zlib.gunzipSync(fs.readFileSync(path.join(SHARED, name))).toString('utf8').split('\n')) if (line.trim() !== '') texts.push({ text: line })
  }
  for (const name of ['web/en/olmo-c4-sample.01.json.gz', 'web/en/olmo-c4-sample.02.json.gz', 'web/en/dolma-cc_en_head-0091.jsonl.gz', 'web/en/olmo-c4_100_domains-theguardian.jsonl.gz']) {
    for (const line of zlib.gunzipSync(fs.readFileSync(path.join(SHARED, name))).toString('utf8').split('\n')) if (line.trim() !== '') texts.push({ text: JSON.parse(line).text })
  }
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const fd = fs.openSync(`${file}.partial`, 'w')
  let written = 0
  for (let round = 0; written < targetBytes; round++) {
    const chunk = texts.map((t, i) => JSON.stringify({ url: `https://bench.example/${round}/${i}`, text: t.text })).join('\n') + '\n'
    fs.writeSync(fd, chunk)
    written += Buffer.byteLength(chunk)
  }
  fs.closeSync(fd)
  fs.renameSync(`${file}.partial`, file)
}

/** The same bytes through a plain idempotent @platformatic/kafka producer: the faster client's ceiling. */
async function platformaticCeiling (brokers: string[], topic: string, messages: Message[], batchBytes: number): Promise<number> {
  const producer = new Producer({ clientId: 'sluice-bench-platformatic', bootstrapBrokers: brokers, idempotent: true, acks: -1, partitioner: compatibilityPartitioner })
  const start = process.hrtime.bigint()
  let batch: Array<{ topic: string, key: Buffer, value: Buffer }> = []
  let size = 0
  for (const m of messages) {
    batch.push({ topic, key: Buffer.from(m.key as string), value: m.value as Buffer })
    size += (m.value as Buffer).length
    if (size >= batchBytes) {
      await producer.send({ messages: batch })
      batch = []
      size = 0
    }
  }
  if (batch.length > 0) await producer.send({ messages: batch })
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  await producer.close()
  return seconds
}

async function ceiling (brokers: string[], topic: string, messages: Message[], batchBytes: number): Promise<number> {
  const producer = kafkaClient(brokers, 'sluice-bench-ceiling').producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false })
  await producer.connect()
  const start = process.hrtime.bigint()
  let batch: Message[] = []
  let size = 0
  for (const m of messages) {
    batch.push(m)
    size += (m.value as Buffer).length
    if (size >= batchBytes) {
      await producer.sendBatch({ topicMessages: [{ topic, messages: batch }], acks: -1 })
      batch = []
      size = 0
    }
  }
  if (batch.length > 0) await producer.sendBatch({ topicMessages: [{ topic, messages: batch }], acks: -1 })
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  await producer.disconnect()
  return seconds
}

export async function main (argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { mb: { type: 'string', default: '256' }, brokers: { type: 'string' }, out: { type: 'string', default: 'bench-out' }, help: { type: 'boolean' } } })
  if (values.help === true) { console.log(HELP); return }
  const input = path.resolve(values.out!, `ingest-input-${values.mb}mb.jsonl`)
  buildInput(input, Number(values.mb) * 1e6)
  const inputBytes = fs.statSync(input).size
  const brokers = await resolveBrokers({ brokers: values.brokers })
  const prefix = `bench-${Date.now()}.`
  const topics = topicsConfigSchema.parse({ prefix })
  const ingest = ingestConfigSchema.parse({ job: `bench-${Date.now()}` })

  // parse only, no Kafka: the reader's own rate
  const config = ingestConfigSchema.parse({})
  let t = process.hrtime.bigint()
  const messages: Message[] = []
  for await (const item of readInput(input, { config, startOffset: 0 })) {
    if (item.kind === 'record') messages.push({ key: item.record.id, value: encodeRawRecord(item.record) })
  }
  const parseSeconds = Number(process.hrtime.bigint() - t) / 1e9

  t = process.hrtime.bigint()
  const summary = await runIngest({ inputs: [input], topics, ingest, brokers })
  const ingestSeconds = Number(process.hrtime.bigint() - t) / 1e9

  const ceilingTopics = topicsConfigSchema.parse({ prefix: `${prefix}ceiling.` })
  const admin = kafkaClient(brokers).admin()
  await admin.connect()
  await ensureTopics(admin, ceilingTopics)
  await admin.disconnect()
  const ceilingSeconds = await ceiling(brokers, topicNames(ceilingTopics).raw, messages, ingest.batchBytes)
  const platformaticSeconds = await platformaticCeiling(brokers, topicNames(ceilingTopics).normalized, messages, ingest.batchBytes)

  const mb = inputBytes / 1e6
  const result = {
    input: { file: input, mb: Number(mb.toFixed(1)), docs: summary.records },
    parse_only: { mb_per_s: Number((mb / parseSeconds).toFixed(1)) },
    sluice_ingest: { seconds: Number(ingestSeconds.toFixed(2)), docs_per_s: Math.round(summary.records / ingestSeconds), mb_per_s: Number((mb / ingestSeconds).toFixed(1)), transactions: summary.transactions },
    kafkajs_producer_ceiling: { seconds: Number(ceilingSeconds.toFixed(2)), mb_per_s: Number((mb / ceilingSeconds).toFixed(1)) },
    platformatic_producer: { seconds: Number(platformaticSeconds.toFixed(2)), mb_per_s: Number((mb / platformaticSeconds).toFixed(1)) },
    ratio_to_ceiling: Number((ceilingSeconds / ingestSeconds).toFixed(2)),
    ratio_to_platformatic: Number((platformaticSeconds / ingestSeconds).toFixed(2)),
    brokers,
    at: new Date().toISOString()
  }
  console.log(`ingest bench: ${result.input.mb} MB, ${summary.records} docs`)
  console.log(`  parse only (no Kafka)        ${result.parse_only.mb_per_s} MB/s`)
  console.log(`  sluice ingest -> docs.raw    ${result.sluice_ingest.mb_per_s} MB/s, ${result.sluice_ingest.docs_per_s} docs/s (${summary.transactions} transactions)`)
  console.log(`  kafkajs producer (ceiling)   ${result.kafkajs_producer_ceiling.mb_per_s} MB/s`)
  console.log(`  platformatic producer        ${result.platformatic_producer.mb_per_s} MB/s (the client ingest uses)`)
  console.log(`  ratio to kafkajs ceiling     ${result.ratio_to_ceiling}`)
  console.log(`  ratio to platformatic        ${result.ratio_to_platformatic}`)
  fs.writeFileSync(path.resolve(values.out!, 'ingest.json'), JSON.stringify(result, null, 2) + '\n')
}
