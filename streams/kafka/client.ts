import { Kafka, logLevel, type LogEntry } from 'kafkajs'
import { SluiceError } from '../../schemas/errors.ts'

// kafkajs logs every retriable broker answer (a coordinator still loading, a transaction being
// added) at ERROR level, which reads like a failure to someone watching a healthy run. Failures
// that matter reach us as rejected promises, so only its warnings and non-retriable errors are shown.
function logCreator () {
  return ({ namespace, level, log }: LogEntry) => {
    const { message, retriable, ...rest } = log as LogEntry['log'] & { retriable?: boolean, retryCount?: number }
    // a line with a retry count reports an attempt that is being retried
    if (namespace === 'Connection' || retriable === true || rest.retryCount !== undefined) return
    // Sluice's idempotent producers are transactional: a send that runs out of retries aborts its
    // transaction, whose records readers never see, so limited retries cannot break exactly-once.
    if (message.startsWith('Limiting retries for the idempotent producer')) return
    // a consumer that meets a coordinator still loading (a broker just started) restarts itself: not a failure
    if (namespace === 'Consumer' && /coordinator is loading|Restarting the consumer/.test(message)) return
    if (level > logLevel.WARN && process.env.SLUICE_KAFKA_DEBUG === undefined) return
    process.stderr.write(`kafka ${namespace}: ${message} ${JSON.stringify(rest)}\n`)
  }
}

/** Parses `host:port,host:port`; a config error names the bad entry. */
export function parseBrokers (list: string): string[] {
  const brokers = list.split(',').map(s => s.trim()).filter(s => s !== '')
  for (const b of brokers) {
    if (!/^[^\s:]+:\d{1,5}$/.test(b)) throw new SluiceError('config', `--brokers: "${b}" is not host:port`, { retryable: false })
  }
  if (brokers.length === 0) throw new SluiceError('config', '--brokers is empty', { retryable: false })
  return brokers
}

/** The one place a Kafka client is made, so the client library can be swapped behind it. */
export function kafkaClient (brokers: string[], clientId = 'sluice'): Kafka {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1'
  return new Kafka({
    clientId,
    brokers,
    logLevel: process.env.SLUICE_KAFKA_DEBUG !== undefined ? logLevel.DEBUG : logLevel.WARN,
    logCreator,
    connectionTimeout: 5000,
    retry: { retries: 8, initialRetryTime: 200 }
  })
}

/** Asks the cluster for its metadata; true when a broker answers. */
export async function brokersAnswer (brokers: string[], timeoutMs = 3000): Promise<boolean> {
  const admin = new Kafka({ clientId: 'sluice-probe', brokers, logLevel: logLevel.NOTHING, connectionTimeout: timeoutMs, retry: { retries: 0 } }).admin()
  try {
    await admin.connect()
    const cluster = await admin.describeCluster()
    return cluster.brokers.length > 0
  } catch {
    return false
  } finally {
    await admin.disconnect().catch(() => {})
  }
}
