import type { Command } from 'commander'
import { addConnectionOptions, addTopicOptions, topicsConfig } from './options.ts'

export function registerTopics (program: Command): void {
  const topics = program.command('topics').description('pipeline topics (docs.raw, docs.normalized, docs.scored, docs.curated, docs.deadletter)')
  addTopicOptions(addConnectionOptions(topics.command('ensure')
    .description('create the pipeline topics that are missing (workers do this implicitly)')))
    .action(async (o: Record<string, unknown>) => {
      const cfg = topicsConfig(o)
      const { kafkaClient } = await import('../../streams/kafka/client.ts')
      const { ensureTopics } = await import('../../streams/kafka/topics.ts')
      const { resolveBrokers } = await import('../connect.ts')
      const brokers = await resolveBrokers(o)
      const admin = kafkaClient(brokers).admin()
      await admin.connect()
      try {
        for (const t of await ensureTopics(admin, cfg)) {
          process.stdout.write(`${t.topic.padEnd(32)} ${String(t.partitions).padStart(3)} partitions  ${t.created ? 'created' : 'exists'}\n`)
        }
      } finally {
        await admin.disconnect()
      }
    })
}
