import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { expect, test } from 'vitest'
import { topicsConfigSchema } from '../../schemas/config.ts'
import { runIngest } from '../../ops/ingest-job.ts'
import { ingestConfig, positionOf, topicContents } from '../helpers/ingest.ts'
import { freshPrefix, testBrokers } from '../helpers/kafka.ts'

const line = (n: number) => JSON.stringify({ text: `document number ${n}`, url: `http://follow.example/${n}` }) + '\n'

function follow (prefix: string, dir: string, signal: AbortSignal) {
  return runIngest({
    inputs: [], follow: [dir], topics: topicsConfigSchema.parse({ prefix }), ingest: ingestConfig({ lingerMs: 0 }),
    brokers: testBrokers(), pollMs: 100, settleMs: 300, signal
  })
}

async function until (check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await sleep(200)
  }
}

test('--follow ingests files as they appear and grow, and a restart neither re-sends nor skips', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-follow-'))
  const prefix = freshPrefix('follow')
  fs.writeFileSync(path.join(dir, 'a.jsonl'), line(1) + line(2))

  const stop = new AbortController()
  const running = follow(prefix, dir, stop.signal)
  await until(async () => (await topicContents(prefix)).raw.length === 2)
  fs.writeFileSync(path.join(dir, 'b.jsonl'), line(3))
  fs.appendFileSync(path.join(dir, 'a.jsonl'), line(4))
  await until(async () => (await topicContents(prefix)).raw.length === 4)
  stop.abort()
  const first = await running
  expect(first.records).toBe(4)

  // while stopped, a.jsonl grows and c.jsonl appears; the restart picks up exactly those
  fs.appendFileSync(path.join(dir, 'a.jsonl'), line(5))
  fs.writeFileSync(path.join(dir, 'c.jsonl'), line(6))
  const again = new AbortController()
  const resumed = follow(prefix, dir, again.signal)
  await until(async () => (await topicContents(prefix)).raw.length >= 6)
  await sleep(1000)
  again.abort()
  expect((await resumed).records).toBe(2)

  const all = (await topicContents(prefix)).raw
  expect(all.map(r => r.record.text).sort()).toEqual([1, 2, 3, 4, 5, 6].map(n => `document number ${n}`))
  expect(new Set(all.map(r => positionOf(r.record))).size).toBe(6)
})
