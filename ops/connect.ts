import { brokerAddress, brokerUp } from './broker/local-broker.ts'
import { homeDir } from './broker/paths.ts'
import { parseBrokers } from '../streams/kafka/client.ts'
import { log } from './log.ts'

export interface ConnectOptions { brokers?: string, home?: string }

/**
 * The brokers a command talks to: `--brokers`, else SLUICE_BROKERS, else the local broker of
 * this project's home, started on demand. A user with a cluster sets one of the first two and
 * nothing else changes.
 */
export async function resolveBrokers (opts: ConnectOptions): Promise<string[]> {
  const given = opts.brokers ?? process.env.SLUICE_BROKERS
  if (given !== undefined && given !== '') return parseBrokers(given)
  const { state, started } = await brokerUp({ home: homeDir(opts.home), log })
  if (started) log(`local broker started at ${brokerAddress(state)} (stop it with: sluice kafka down)`)
  return [brokerAddress(state)]
}
