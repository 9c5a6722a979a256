import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import { setTimeout as sleep } from 'node:timers/promises'
import { expect, test } from 'vitest'
import { topicNames } from '../../streams/kafka/topics.ts'
import { startCli } from '../helpers/cli.ts'
import { positionOf, topicContents } from '../helpers/ingest.ts'
import { freshPrefix, highWatermarks, testBrokers } from '../helpers/kafka.ts'
import { SHARED } from '../helpers/readers.ts'

/** Real Chinese text (CLUECorpusSmall lines) as JSONL, with a few bad lines mixed in. */
function writeCorpus (file: string): number {
  const lines = zlib.gunzipSync(fs.readFileSync(`${SHARED}/web/zh/CLUECorpusSmall_sampled.txt.gz`)).toString('utf8').split('\n').filter(l => l.trim() !== '')
  const out = lines.map((text, i) => i % 250 === 7 ? '{"text": broken' : JSON.stringify({ text, n: i }))
  fs.writeFileSync(file, out.join('\n') + '\n')
  return out.length
}

test('SIGKILL in the middle of a file, then a restart: every line arrives exactly once', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-crash-'))
  const file = path.join(dir, 'clue.jsonl')
  const lines = writeCorpus(file)
  const prefix = freshPrefix('crash')
  const args = ['ingest', file, '--brokers', testBrokers().join(','), '--topic-prefix', prefix, '--batch-records', '40', '--linger-ms', '0']

  const first = startCli(args)
  // kill once some transactions have landed but long before the end
  const deadline = Date.now() + 60_000
  while (await highWatermarks(topicNames({ prefix }).raw).catch(() => 0) < 200 && Date.now() < deadline) await sleep(50)
  first.child.kill('SIGKILL')
  const killed = await first.done
  expect(killed.code).toBe(null)

  // the killed process left a transaction open, which blocks read_committed readers until the
  // restarted process (same transactional id) fences and aborts it, so nothing is read before
  const second = await startCli(args).done
  expect(second.code, second.stderr).toBe(0)
  const resumed = JSON.parse(second.stdout.trim().split('\n').pop()!)
  const sentAfterRestart = resumed.records + resumed.deadLetters
  expect(sentAfterRestart).toBeGreaterThan(0)
  expect(sentAfterRestart).toBeLessThan(lines)

  const all = await topicContents(prefix)
  const positions = [...all.raw.map(r => positionOf(r.record)), ...all.dead.map(d => positionOf(d.letter))]
  expect(positions).toHaveLength(lines)
  expect(new Set(positions).size).toBe(lines)
  expect(all.dead.every(d => d.letter.code === 'bad_json')).toBe(true)
  expect(all.dead).toHaveLength(Math.ceil((lines - 7) / 250))
  // each good line arrived with its own line number
  const numbers = new Set(all.raw.map(r => (r.record.meta as { n: number }).n))
  expect(numbers.size).toBe(all.raw.length)
})
