import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { expect, test } from 'vitest'
import { buildEvalSet } from '../../ops/bench/dedup-eval.ts'
import { topicsConfigSchema } from '../../schemas/config.ts'
import { documentSchema, type Document } from '../../schemas/document.ts'
import { ensureTopicsWith, topicNames } from '../../streams/kafka/topics.ts'
import { openTransactionalProducer } from '../../streams/kafka/tx-producer.ts'
import { runCli, startCli } from '../helpers/cli.ts'
import { freshPrefix, highWatermarks, readAll, testBrokers, testKafka } from '../helpers/kafka.ts'
import { doc } from './filters/docs.ts'

const PARTITIONS = 4

/** Planted near duplicates of real pages, exact copies, and documents an earlier stage dropped (never indexed). */
function corpus (): Document[] {
  const set = buildEvalSet({ seed: 11, perLang: 60, sizes: { words: 5, chars: 5 } })
  const docs = set.docs.map(d => ({ ...doc(d.text, d.lang), id: d.id }))
  const copies = docs.slice(0, 10).map(d => ({ ...d, id: `${d.id}-copy`, text: d.text!.replace(/\s+/g, '  ') }))
  const dropped = docs.slice(10, 15).map(d => ({ ...d, id: `${d.id}-filtered`, decision: 'drop' as const, reason: 'filter:test' }))
  return [...docs, ...copies, ...dropped]
}

/**
 * The same documents into docs.scored of a fresh prefix, each on a fixed partition and in the
 * same transactions, so both runs see identical partitions and offsets (as a replayed upstream would).
 */
async function scoredTopic (name: string, docs: Document[]): Promise<{ prefix: string, names: ReturnType<typeof topicNames> }> {
  const prefix = freshPrefix(name)
  await ensureTopicsWith(testKafka(), topicsConfigSchema.parse({ prefix, partitions: PARTITIONS }))
  const names = topicNames({ prefix })
  const producer = openTransactionalProducer(testBrokers(), `test-dedup-input-${prefix}`, 'none')
  for (let i = 0; i < docs.length; i += 15) {
    await producer.commit(docs.slice(i, i + 15).map((d, k) => ({ topic: names.scored, key: d.id, value: Buffer.from(JSON.stringify(d)), partition: (i + k) % PARTITIONS })))
  }
  await producer.close()
  return { prefix, names }
}

async function verdicts (topic: string): Promise<Map<string, Document>> {
  const out = (await readAll(testKafka(), topic)).map(m => documentSchema.parse(JSON.parse(m.value.toString())))
  const byId = new Map(out.map(d => [d.id, d]))
  // every input document exactly once
  expect(byId.size).toBe(out.length)
  return byId
}

const show = (d: Document) => `${d.decision} ${d.reason} ${d.dup_of} ${d.cluster_id} ${d.signals.dedup_similarity ?? ''}`

test('the dedup worker marks planted duplicates; killed mid-stream and restarted, it decides exactly as a run without the kill', async () => {
  const docs = corpus()
  const stateRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-dedup-worker-'))
  const common = ['--brokers', testBrokers().join(','), '--partitions', String(PARTITIONS)]

  const calm = await scoredTopic('dedup-calm', docs)
  const ran = await runCli(['worker', 'dedup', ...common, '--topic-prefix', calm.prefix, '--dedup-state', path.join(stateRoot, 'calm'), '--stop-when-idle', '3000'])
  expect(ran.code, ran.stderr).toBe(0)
  const reference = await verdicts(calm.names.curated)
  expect(reference.size).toBe(docs.length)

  // the planted duplicates are marked, pointing at a kept document of their cluster
  const dups = [...reference.values()].filter(d => d.reason?.startsWith('dedup:'))
  expect(dups.filter(d => d.reason === 'dedup:near').length).toBeGreaterThan(40)
  expect(dups.filter(d => d.reason === 'dedup:exact').length).toBeGreaterThanOrEqual(10)
  for (const d of dups) {
    expect(d.decision).toBe('drop')
    const kept = reference.get(d.dup_of!)
    expect(kept?.decision, show(d)).toBe('keep')
    if (d.reason === 'dedup:near') expect(d.cluster_id).toBe(d.dup_of)
    if (d.reason === 'dedup:near') expect(d.signals.dedup_similarity).toBeGreaterThanOrEqual(0.8)
  }
  // a planted variant and its original end in one cluster
  expect(reference.get('en-3-v1-paragraph_removed')?.dup_of ?? reference.get('en-3')?.dup_of).toBeDefined()
  // what an earlier stage dropped passes untouched
  for (const d of docs.filter(x => x.decision === 'drop')) expect(show(reference.get(d.id)!)).toBe('drop filter:test null null ')

  const crash = await scoredTopic('dedup-crash', docs)
  const args = ['worker', 'dedup', ...common, '--topic-prefix', crash.prefix, '--dedup-state', path.join(stateRoot, 'crash'), '--max-batch', '7']
  const first = startCli(args)
  const deadline = Date.now() + 60_000
  while (await highWatermarks(crash.names.curated).catch(() => 0) < docs.length / 3 && Date.now() < deadline) await sleep(20)
  first.child.kill('SIGKILL')
  expect((await first.done).code).toBe(null)
  const second = await runCli([...args, '--stop-when-idle', '3000'])
  expect(second.code, second.stderr).toBe(0)
  expect(second.stderr).toMatch(/dedup state .*: \d+ transactions replayed/)
  const resumed = JSON.parse(second.stdout.trim().split('\n').pop()!)
  expect(resumed.received).toBeGreaterThan(0)
  expect(resumed.received).toBeLessThan(docs.length)

  const after = await verdicts(crash.names.curated)
  expect(new Map([...after].map(([id, d]) => [id, show(d)]))).toEqual(new Map([...reference].map(([id, d]) => [id, show(d)])))
}, 180_000)
