import { spawn } from 'node:child_process'
import type { Command } from 'commander'
import { brokersAnswer } from '../../streams/kafka/client.ts'
import { ensureKafkaJars, KAFKA_VERSION, libsDir } from '../broker/install.ts'
import { brokerAddress, brokerDown, brokerUp, runningBroker } from '../broker/local-broker.ts'
import { homeDir } from '../broker/paths.ts'
import { log } from '../log.ts'

const int = (v: string) => Number(v)

export function registerKafka (program: Command): void {
  const kafka = program.command('kafka').description('manage the local single-node Kafka broker (KRaft) that Sluice runs itself')
  kafka.command('install')
    .description(`resolve Apache Kafka ${KAFKA_VERSION} from Maven Central into the cache (done on first use anyway)`)
    .action(async () => {
      const dir = await ensureKafkaJars(log)
      log(`Kafka ${KAFKA_VERSION} jars are in ${dir}`)
    })
  kafka.command('up')
    .description('start the local broker in the background (or report the one running) and wait until it answers')
    .option('--home <dir>', 'folder for broker data, logs and state (default: $SLUICE_HOME or ./.sluice)')
    .option('--port <n>', 'client port (default: a free port, kept across restarts)', int)
    .option('--controller-port <n>', 'KRaft controller port (default: a free port)', int)
    .option('--heap-mb <n>', 'broker JVM heap in MB', int, 512)
    .option('--foreground', 'run in the foreground until Ctrl-C / SIGTERM, then stop the broker cleanly')
    .action(async (o: { home?: string, port?: number, controllerPort?: number, heapMb: number, foreground?: boolean }) => {
      const home = homeDir(o.home)
      const { state, started } = await brokerUp({ home, port: o.port, controllerPort: o.controllerPort, heapMb: o.heapMb, log })
      log(`${started ? 'started' : 'already running'}: Kafka ${state.kafkaVersion} at ${brokerAddress(state)} (pid ${state.pid}, data ${state.dataDir})`)
      process.stdout.write(`${brokerAddress(state)}\n`)
      if (o.foreground === true) await followUntilSignal(home, state.logFile)
    })
  kafka.command('down')
    .description('stop the local broker (SIGTERM, so it shuts down cleanly)')
    .option('--home <dir>', 'folder of the broker (default: $SLUICE_HOME or ./.sluice)')
    .action(async (o: { home?: string }) => {
      const state = await brokerDown(homeDir(o.home))
      log(state === null ? 'no local broker was running' : `stopped the broker at ${brokerAddress(state)} (pid ${state.pid})`)
    })
  kafka.command('status')
    .description('say whether the local broker runs and answers a metadata request')
    .option('--home <dir>', 'folder of the broker (default: $SLUICE_HOME or ./.sluice)')
    .action(async (o: { home?: string }) => {
      const state = await runningBroker(homeDir(o.home))
      if (state === null) {
        log(`not running (jars ${libsDir()}); start it with: sluice kafka up`)
        process.exitCode = 1
        return
      }
      const answers = await brokersAnswer([brokerAddress(state)])
      process.stdout.write(JSON.stringify({ running: true, answers, address: brokerAddress(state), ...state }, null, 2) + '\n')
      if (!answers) process.exitCode = 1
    })
}

/** `kafka up --foreground`: shows the broker log and stops the broker on Ctrl-C or SIGTERM. */
async function followUntilSignal (home: string, logFile: string): Promise<void> {
  const tail = spawn('tail', ['-n', '0', '-F', logFile], { stdio: ['ignore', 'inherit', 'inherit'] })
  await new Promise<void>(resolve => {
    const stop = () => resolve()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  log('stopping the broker ...')
  await brokerDown(home)
  tail.kill()
  log('broker stopped')
}
