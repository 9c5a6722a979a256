import type { Admin, Kafka } from 'kafkajs'
import { TOPIC_ROLES, type TopicRole, type TopicsConfig } from '../../schemas/config.ts'
import { SluiceError } from '../../schemas/errors.ts'

const DEFAULT_NAMES: Record<TopicRole, string> = {
  raw: 'docs.raw',
  normalized: 'docs.normalized',
  scored: 'docs.scored',
  curated: 'docs.curated',
  deadletter: 'docs.deadletter'
}

export type TopicNames = Record<TopicRole, string>

export function topicNames (cfg: Pick<TopicsConfig, 'prefix'>): TopicNames {
  return Object.fromEntries(TOPIC_ROLES.map(r => [r, cfg.prefix + DEFAULT_NAMES[r]])) as TopicNames
}

/** Where ingest checkpoints live: compacted, one partition so one job's history is ordered. */
export function checkpointTopic (cfg: Pick<TopicsConfig, 'prefix'>): string {
  return `${cfg.prefix}sluice.checkpoints`
}

export interface EnsuredTopic { topic: string, created: boolean, partitions: number }

/**
 * Creates the pipeline topics that do not exist yet, with the configured partitions, compression
 * and size limit. Existing topics are left as they are; a partition count that differs from the
 * config is reported, never changed, because it would move keys between partitions.
 */
export async function ensureTopics (admin: Admin, cfg: TopicsConfig): Promise<EnsuredTopic[]> {
  const names = topicNames(cfg)
  const wanted = [
    ...TOPIC_ROLES.map(r => ({ topic: names[r], numPartitions: cfg.partitions, compacted: false })),
    { topic: checkpointTopic(cfg), numPartitions: 1, compacted: true }
  ]
  const existing = new Set(await admin.listTopics())
  const missing = wanted.filter(t => !existing.has(t.topic))
  if (missing.length > 0) {
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map(t => ({
          topic: t.topic,
          numPartitions: t.numPartitions,
          replicationFactor: cfg.replicationFactor,
          configEntries: [
            { name: 'compression.type', value: cfg.compression },
            { name: 'max.message.bytes', value: String(cfg.maxMessageBytes) },
            ...(t.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : [])
          ]
        }))
      })
    } catch (err) {
      // another worker may have created them in the meantime: that is success
      const now = new Set(await admin.listTopics())
      if (!missing.every(t => now.has(t.topic))) {
        throw new SluiceError('kafka', `creating topics ${missing.map(t => t.topic).join(', ')} failed: ${(err as Error).message}`, { retryable: true, cause: err })
      }
    }
  }
  const meta = await admin.fetchTopicMetadata({ topics: wanted.map(t => t.topic) })
  return meta.topics.map(t => ({ topic: t.name, created: missing.some(m => m.topic === t.name), partitions: t.partitions.length }))
}

/** `ensureTopics` with an admin client of its own: what a command does before it reads or writes the topics. */
export async function ensureTopicsWith (kafka: Kafka, cfg: TopicsConfig): Promise<EnsuredTopic[]> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    return await ensureTopics(admin, cfg)
  } finally {
    await admin.disconnect()
  }
}
