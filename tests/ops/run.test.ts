import { expect, test } from 'vitest'
import { runCli } from '../helpers/cli.ts'
import { expectedItems, topicContents } from '../helpers/ingest.ts'
import { freshPrefix, testBrokers } from '../helpers/kafka.ts'
import { SHARED } from '../helpers/readers.ts'

test('run: the main job creates the topics, ingests and prints a summary whose counts match docs.raw', async () => {
  const inputs = [`${SHARED}/web/warc`, `${SHARED}/web/en/olmo-c4-sample.01.json.gz`]
  const prefix = freshPrefix('run')
  const r = await runCli(['run', ...inputs, '--brokers', testBrokers().join(','), '--topic-prefix', prefix])
  expect(r.code, r.stderr).toBe(0)
  const summary = JSON.parse(r.stdout.trim().split('\n').pop()!).stages.ingest
  const got = await topicContents(prefix)
  const expected = await expectedItems(inputs)
  expect(summary.records).toBe(got.raw.length)
  expect(summary.deadLetters).toBe(got.dead.length)
  expect(got.raw).toHaveLength(expected.records.length)
  expect(r.stderr).toMatch(new RegExp(`ingested ${expected.records.length} docs .* into ${prefix.replace(/\./g, '\\.')}docs\\.raw`))
})
