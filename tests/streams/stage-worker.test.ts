import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import { setTimeout as sleep } from 'node:timers/promises'
import { expect, test } from 'vitest'
import { documentSchema } from '../../schemas/document.ts'
import { decodeDeadLetter } from '../../schemas/deadletter.ts'
import { topicNames } from '../../streams/kafka/topics.ts'
import { openTransactionalProducer } from '../../streams/kafka/tx-producer.ts'
import { runCli, startCli } from '../helpers/cli.ts'
import { freshPrefix, highWatermarks, readAll, testBrokers, testKafka } from '../helpers/kafka.ts'
import { SHARED } from '../helpers/readers.ts'

test('a stage worker (normalize) killed mid-stream and restarted turns every raw record into exactly one document; bad records are dead-lettered', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-stage-'))
  const file = path.join(dir, 'clue.jsonl')
  const lines = zlib.gunzipSync(fs.readFileSync(`${SHARED}/web/zh/CLUECorpusSmall_sampled.txt.gz`)).toString('utf8').split('\n').filter(l => l.trim() !== '')
  fs.writeFileSync(file, lines.map((text, n) => JSON.stringify({ text, n })).join('\n') + '\n')
  const prefix = freshPrefix('stage')
  const names = topicNames({ prefix })
  const common = ['--brokers', testBrokers().join(','), '--topic-prefix', prefix]
  const ingested = await runCli(['ingest', file, ...common])
  expect(ingested.code, ingested.stderr).toBe(0)
  // a record on docs.raw that is not a raw record: the worker must dead-letter it and go on
  const producer = openTransactionalProducer(testBrokers(), `test-stage-garbage-${prefix}`, 'none')
  await producer.commit([{ topic: names.raw, key: 'garbage', value: Buffer.from('not a raw record') }])
  await producer.close()

  const args = ['worker', 'normalize', ...common, '--max-batch', '40']
  const first = startCli(args)
  const deadline = Date.now() + 60_000
  while (await highWatermarks(names.normalized).catch(() => 0) < 200 && Date.now() < deadline) await sleep(50)
  first.child.kill('SIGKILL')
  expect((await first.done).code).toBe(null)

  const second = await startCli([...args, '--stop-when-idle', '2000']).done
  expect(second.code, second.stderr).toBe(0)
  const resumed = JSON.parse(second.stdout.trim().split('\n').pop()!)
  expect(resumed.received).toBeGreaterThan(0)
  expect(resumed.received).toBeLessThan(lines.length + 1)

  const kafka = testKafka()
  const docs = (await readAll(kafka, names.normalized)).map(m => documentSchema.parse(JSON.parse(m.value.toString())))
  const numbers = docs.map(d => (d.meta as { n: number }).n)
  expect(numbers).toHaveLength(lines.length)
  expect(new Set(numbers).size).toBe(lines.length)
  // normalized: Chinese identified, text cleaned but still the line's text
  expect(docs.filter(d => d.lang === 'zh').length).toBeGreaterThan(lines.length * 0.95)
  expect(docs.every(d => typeof d.signals.langid_letters === 'number' && typeof d.signals.clean_nfkc_changed === 'number')).toBe(true)
  const dead = (await readAll(kafka, names.deadletter)).map(m => decodeDeadLetter(m.value))
  expect(dead).toHaveLength(1)
  expect(dead[0]).toMatchObject({ stage: 'normalize', code: 'bad_schema', provenance: { topic: names.raw } })
  expect(Buffer.from(dead[0]!.raw!).toString()).toBe('not a raw record')
})

test('two workers of one stage split the partitions of their input and together send every document once', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-stage2-'))
  const file = path.join(dir, 'clue.jsonl')
  const lines = zlib.gunzipSync(fs.readFileSync(`${SHARED}/web/zh/CLUECorpusSmall_sampled.txt.gz`)).toString('utf8').split('\n').filter(l => l.trim() !== '')
  const corpus = [...lines, ...lines, ...lines]
  fs.writeFileSync(file, corpus.map((text, n) => JSON.stringify({ text, n })).join('\n') + '\n')
  const prefix = freshPrefix('stage2')
  const names = topicNames({ prefix })
  const common = ['--brokers', testBrokers().join(','), '--topic-prefix', prefix]
  expect((await runCli(['ingest', file, ...common])).code).toBe(0)

  // small transactions keep the first worker busy long enough for the second to join and take partitions over
  const args = ['worker', 'normalize', ...common, '--max-batch', '5', '--stop-when-idle', '4000']
  const first = startCli(args)
  const deadline = Date.now() + 60_000
  while (await highWatermarks(names.normalized).catch(() => 0) < 50 && Date.now() < deadline) await sleep(50)
  const [a, b] = await Promise.all([first.done, startCli(args).done])
  expect(a.code, a.stderr).toBe(0)
  expect(b.code, b.stderr).toBe(0)
  const received = [a, b].map(r => JSON.parse(r.stdout.trim().split('\n').pop()!).received as number)
  expect(received[0]! + received[1]!).toBe(corpus.length)
  expect(Math.min(...received)).toBeGreaterThan(0)

  const docs = (await readAll(testKafka(), names.normalized)).map(m => documentSchema.parse(JSON.parse(m.value.toString())))
  const numbers = docs.map(d => (d.meta as { n: number }).n)
  expect(numbers).toHaveLength(corpus.length)
  expect(new Set(numbers).size).toBe(corpus.length)
})
