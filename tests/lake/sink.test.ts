import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import { setTimeout as sleep } from 'node:timers/promises'
import { expect, test } from 'vitest'
import { openDocumentsTable } from '../../lake/documents-table.ts'
import { IcebergTable } from '../../lake/iceberg/table.ts'
import { openLake } from '../../lake/sql.ts'
import { topicsConfigSchema } from '../../schemas/config.ts'
import { rawToDocument } from '../../streams/operators/to-document.ts'
import { documentId } from '../../schemas/ids.ts'
import { deadLetterKey, encodeDeadLetter, type DeadLetter } from '../../schemas/deadletter.ts'
import { ensureTopics, topicNames } from '../../streams/kafka/topics.ts'
import { openTransactionalProducer } from '../../streams/kafka/tx-producer.ts'
import { startCli } from '../helpers/cli.ts'
import { freshPrefix, testBrokers, testKafka } from '../helpers/kafka.ts'
import { SHARED } from '../helpers/readers.ts'

const DOCS = 400

async function produceCurated (topic: string): Promise<string[]> {
  const lines = zlib.gunzipSync(fs.readFileSync(`${SHARED}/web/zh/CLUECorpusSmall_sampled.txt.gz`)).toString('utf8').split('\n').filter(l => l.trim() !== '').slice(0, DOCS)
  const producer = openTransactionalProducer(testBrokers(), `test-curated-${topic}`, 'none')
  const ids: string[] = []
  for (let i = 0; i < lines.length; i += 50) {
    await producer.commit(lines.slice(i, i + 50).map((text, j) => {
      const doc = {
        ...rawToDocument({
          schema_version: 1, id: `${documentId(null, text)}-${i + j}`, url: null, source: 'clue', crawl_id: null, fetched_at: null, record_type: 'jsonl',
          content_type: 'text/plain', http_status: null, http_headers: null, text, body: null, meta: null,
          provenance: { file: 'clue', offset: i + j, length: 1, topic: null, partition: null, kafka_offset: null }
        }, '2026-11-28T08:00:00.000Z'),
        lang: (i + j) % 3 === 0 ? 'en' : 'zh',
        signals: { ppl: 123.5 + i + j, bucket: 'high', flags: ['a', 1], ok: true, none: null },
        meta: { n: i + j, nested: { 'ü': 'é\u2028' } }
      }
      ids.push(doc.id)
      return { topic, key: doc.id, value: Buffer.from(JSON.stringify(doc)) }
    }))
    if (i === 200) {
      // a document without text or decision: it must land in deadletter, not in documents
      await producer.commit([
        { topic, key: 'bad', value: Buffer.from(JSON.stringify({ schema_version: 1, id: 'bad', url: null })) },
        { topic, key: 'latin1', value: Buffer.from([0x7b, 0xe9, 0x7d]) }
      ])
    }
  }
  await producer.close()
  return ids
}

async function produceDeadLetters (topic: string, n: number): Promise<void> {
  const producer = openTransactionalProducer(testBrokers(), `test-dead-${topic}`, 'none')
  for (let i = 0; i < n; i += 10) {
    await producer.commit(Array.from({ length: Math.min(10, n - i) }, (_, j) => {
      const letter: DeadLetter = {
        schema_version: 1, stage: 'ingest', code: 'bad_json', message: `line ${i + j}: not JSON`, at: '2026-11-28T08:00:00.000Z',
        provenance: { file: '/data/in.jsonl', offset: (i + j) * 100, length: 100, topic: null, partition: null, kafka_offset: null },
        raw: new Uint8Array([0xff, 0x00, i + j]), raw_truncated: false
      }
      return { topic, key: deadLetterKey(letter), value: encodeDeadLetter(letter) }
    }))
  }
  await producer.commit([{ topic, key: 'garbage', value: Buffer.from('not a dead letter') }])
  await producer.close()
}

test('the sink killed mid-stream and restarted leaves every document in the table exactly once, and removes uncommitted files', async () => {
  const prefix = freshPrefix('sink')
  const admin = testKafka().admin()
  await admin.connect()
  await ensureTopics(admin, topicsConfigSchema.parse({ prefix }))
  await admin.disconnect()
  const topic = topicNames({ prefix }).curated
  const ids = await produceCurated(topic)
  const DEAD = 40
  await produceDeadLetters(topicNames({ prefix }).deadletter, DEAD)

  const lake = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sink-'))
  const table = openDocumentsTable(lake)
  const orphan = path.join(table.dataDir, 'lang=zh', `sink-${crypto.randomUUID()}.parquet`)
  fs.mkdirSync(path.dirname(orphan), { recursive: true })
  fs.writeFileSync(orphan, 'not committed')
  // not Sluice's: a sink never deletes it, however unreferenced
  const foreign = path.join(table.dataDir, 'lang=zh', 'someone-elses.parquet')
  fs.writeFileSync(foreign, 'foreign')

  const args = ['lake', 'sink', '--lake', lake, '--brokers', testBrokers().join(','), '--topic-prefix', prefix, '--batch-rows', '30', '--batch-ms', '200']
  const first = startCli(args)
  const deadline = Date.now() + 60_000
  while (IcebergTable.load(table.dir).metadata.snapshots.length < 3 && Date.now() < deadline) await sleep(50)
  first.child.kill('SIGKILL')
  await first.done
  const committedBeforeKill = Number(IcebergTable.load(table.dir).metadata.snapshots.at(-1)!.summary['total-records'])
  expect(committedBeforeKill).toBeGreaterThan(0)
  expect(committedBeforeKill).toBeLessThan(DOCS)

  const second = await startCli([...args, '--stop-when-idle', '3000']).done
  expect(second.code, second.stderr).toBe(0)
  expect(fs.existsSync(orphan)).toBe(false)
  expect(fs.existsSync(foreign)).toBe(true)

  const session = await openLake(lake)
  const r = await session.connection.runAndReadAll('select count(*)::INTEGER as n, count(distinct id)::INTEGER as ids, count(*) filter (where lang = \'en\')::INTEGER as en from documents')
  expect(r.getRowObjects()[0]).toEqual({ n: DOCS, ids: DOCS, en: Math.ceil(DOCS / 3) })
  const all = await session.connection.runAndReadAll('select id from documents order by id')
  expect(all.getRowObjects().map(o => o.id)).toEqual([...ids].sort())
  const dead = await session.connection.runAndReadAll(
    'select stage, code, count(*)::INTEGER as n, count(distinct provenance.offset)::INTEGER as distinct_offsets from deadletter group by all order by all')
  expect(dead.getRowObjects()).toEqual([
    { stage: 'ingest', code: 'bad_json', n: DEAD, distinct_offsets: DEAD },
    // the document that did not fit, and the message on docs.deadletter that was no dead letter
    { stage: 'lake', code: 'bad_schema', n: 3, distinct_offsets: 0 }
  ])
  const raw = await session.connection.runAndReadAll("select hex(raw) as raw from deadletter where message = 'line 7: not JSON'")
  expect(raw.getRowObjects()).toEqual([{ raw: 'FF0007' }])
  const rejected = await session.connection.runAndReadAll("select provenance.topic as topic, hex(raw) as raw, message from deadletter where stage = 'lake' order by topic")
  const rows = rejected.getRowObjects()
  expect(rows.map(r => r.topic)).toEqual([topicNames({ prefix }).curated, topicNames({ prefix }).curated, topicNames({ prefix }).deadletter])
  expect(rows.some(r => /not a v1 document/.test(String(r.message)))).toBe(true)
  expect(rows.some(r => /not valid UTF-8/.test(String(r.message)))).toBe(true)
  expect(rows.at(-1)!.raw).toBe(Buffer.from('not a dead letter').toString('hex').toUpperCase())
  expect(rows.find(r => /UTF-8/.test(String(r.message)))!.raw).toBe('7BE97D')
  // the JSON columns hold the same values the messages carried
  const sample = await session.connection.runAndReadAll('select signals, meta from documents order by id limit 5')
  for (const r of sample.getRowObjects()) {
    const signals = JSON.parse(String(r.signals))
    expect(signals).toMatchObject({ bucket: 'high', flags: ['a', 1], ok: true, none: null })
    expect(JSON.parse(String(r.meta))).toEqual({ n: signals.ppl - 123.5, nested: { 'ü': 'é\u2028' } })
  }
  session.close()
})
