import { ConfigResourceTypes } from 'kafkajs'
import { expect, test } from 'vitest'
import { runCli } from '../helpers/cli.ts'
import { freshPrefix, testBrokers, testKafka } from '../helpers/kafka.ts'

test('topics ensure creates the five pipeline topics with partitions, compression and size limit, once', async () => {
  const prefix = freshPrefix('topics')
  const args = ['topics', 'ensure', '--brokers', testBrokers().join(','), '--topic-prefix', prefix, '--partitions', '3',
    '--topic-compression', 'zstd', '--max-message-bytes', '32MiB']
  const first = await runCli(args)
  expect(first.code, first.stderr).toBe(0)
  for (const t of ['docs.raw', 'docs.normalized', 'docs.scored', 'docs.curated', 'docs.deadletter']) {
    expect(first.stdout).toMatch(new RegExp(`${prefix.replace(/\./g, '\\.')}${t.replace('.', '\\.')}\\s+3 partitions\\s+created`))
  }
  const admin = testKafka().admin()
  await admin.connect()
  try {
    const meta = await admin.fetchTopicMetadata({ topics: [`${prefix}docs.raw`] })
    expect(meta.topics[0]!.partitions).toHaveLength(3)
    const configs = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: `${prefix}docs.raw`, configNames: ['compression.type', 'max.message.bytes'] }] })
    const entries = Object.fromEntries(configs.resources[0]!.configEntries.map(e => [e.configName, e.configValue]))
    expect(entries).toEqual({ 'compression.type': 'zstd', 'max.message.bytes': String(32 * 1024 * 1024) })
  } finally {
    await admin.disconnect()
  }
  const second = await runCli(args)
  expect(second.stdout).not.toContain('created')
  expect(second.stdout.match(/exists/g)).toHaveLength(6)
})
