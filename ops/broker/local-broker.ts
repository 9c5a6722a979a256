import { spawn, spawnSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { SluiceError } from '../../schemas/errors.ts'
import { brokersAnswer } from '../../streams/kafka/client.ts'
import { ensureKafkaJars, KAFKA_VERSION } from './install.ts'
import { freePort, portIsFree } from './ports.ts'
import { requireProgram } from './java.ts'

/** What `sluice kafka up` leaves in `<home>/broker/state.json` for later commands to find. */
export interface BrokerState {
  pid: number
  host: string
  port: number
  controllerPort: number
  dataDir: string
  logFile: string
  startedAt: string
  kafkaVersion: string
}

export interface BrokerOptions {
  home: string
  port?: number
  controllerPort?: number
  heapMb?: number
  /** Largest record batch the broker accepts; raised so big documents fit (topics set their own). */
  maxMessageBytes?: number
  readyTimeoutMs?: number
  log?: (line: string) => void
}

const brokerDir = (home: string) => path.join(home, 'broker')
const stateFile = (home: string) => path.join(brokerDir(home), 'state.json')

export function readState (home: string): BrokerState | null {
  try {
    return JSON.parse(fs.readFileSync(stateFile(home), 'utf8')) as BrokerState
  } catch {
    return null
  }
}

export function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export function brokerAddress (s: BrokerState): string {
  return `${s.host}:${s.port}`
}

function serverProperties (o: { port: number, controllerPort: number, dataDir: string, maxMessageBytes: number }): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${o.controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${o.port},CONTROLLER://127.0.0.1:${o.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${o.port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${o.dataDir}`,
    'num.partitions=4',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=4',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=4',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    // the default 128 MiB dedupe buffer alone would not fit the small heap
    'log.cleaner.dedupe.buffer.size=8388608',
    `message.max.bytes=${o.maxMessageBytes}`,
    `replica.fetch.max.bytes=${o.maxMessageBytes}`,
    ''
  ].join('\n')
}

const LOG4J2 = `<Configuration status="warn">
  <Appenders><Console name="out" target="SYSTEM_OUT"><PatternLayout pattern="[%d] %p %m (%c)%n"/></Console></Appenders>
  <Loggers>
    <Logger name="kafka.request.logger" level="warn"/>
    <Logger name="org.apache.kafka.common.config" level="warn"/>
    <Root level="info"><AppenderRef ref="out"/></Root>
  </Loggers>
</Configuration>
`

async function choosePort (wanted: number | undefined, previous: number | undefined): Promise<number> {
  if (wanted !== undefined) {
    if (!(await portIsFree(wanted))) throw new SluiceError('config', `port ${wanted} is already in use; pick another or leave it out`, { retryable: false })
    return wanted
  }
  if (previous !== undefined && await portIsFree(previous)) return previous
  return await freePort()
}

function tail (file: string, bytes = 3000): string {
  try {
    const text = fs.readFileSync(file, 'utf8')
    return text.slice(-bytes)
  } catch {
    return '(no broker log)'
  }
}

/** Returns the running local broker, or null; a stale state file (dead pid) is removed. */
export async function runningBroker (home: string): Promise<BrokerState | null> {
  const state = readState(home)
  if (state === null) return null
  if (!isAlive(state.pid)) {
    fs.rmSync(stateFile(home), { force: true })
    return null
  }
  return state
}

/**
 * Starts the local single-node KRaft broker in the background (or returns the one already
 * running for this home), and waits until it answers a metadata request.
 */
export async function brokerUp (opts: BrokerOptions): Promise<{ state: BrokerState, started: boolean }> {
  const log = opts.log ?? (() => {})
  const existing = await runningBroker(opts.home)
  if (existing !== null) {
    await waitReady(existing, opts.readyTimeoutMs ?? 60_000)
    return { state: existing, started: false }
  }
  requireProgram('java', '-version')
  const libs = await ensureKafkaJars(log)
  const dir = brokerDir(opts.home)
  const dataDir = path.join(dir, 'data')
  fs.mkdirSync(dataDir, { recursive: true })
  const previous = readPorts(dir)
  const port = await choosePort(opts.port, previous?.port)
  const controllerPort = await choosePort(opts.controllerPort, previous?.controllerPort)
  if (port === controllerPort) throw new SluiceError('config', 'the broker and controller ports must differ', { retryable: false })
  const maxMessageBytes = opts.maxMessageBytes ?? 64 * 1024 * 1024
  const propsFile = path.join(dir, 'server.properties')
  fs.writeFileSync(propsFile, serverProperties({ port, controllerPort, dataDir, maxMessageBytes }))
  fs.writeFileSync(path.join(dir, 'log4j2.xml'), LOG4J2)
  fs.writeFileSync(path.join(dir, 'ports.json'), JSON.stringify({ port, controllerPort }))
  const logFile = path.join(dir, 'broker.log')
  const javaArgs = (heap: number) => [`-Xmx${heap}m`, `-Xms${Math.min(heap, 128)}m`, '-XX:+UseSerialGC',
    `-Dlog4j2.configurationFile=${path.join(dir, 'log4j2.xml')}`, '-cp', path.join(libs, '*')]

  const clusterIdFile = path.join(dir, 'cluster-id')
  if (!fs.existsSync(clusterIdFile)) fs.writeFileSync(clusterIdFile, crypto.randomBytes(16).toString('base64url'))
  const clusterId = fs.readFileSync(clusterIdFile, 'utf8').trim()
  const format = spawnSync('java', [...javaArgs(256), 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propsFile, '--ignore-formatted'], { encoding: 'utf8' })
  if (format.status !== 0) {
    throw new SluiceError('kafka', `formatting the broker log dir failed:\n${(format.stderr + format.stdout).slice(-2000)}`, { retryable: false })
  }

  log(`starting Kafka ${KAFKA_VERSION} on 127.0.0.1:${port} (data ${dataDir}, log ${logFile})`)
  const out = fs.openSync(logFile, 'a')
  const child = spawn('java', [...javaArgs(opts.heapMb ?? 512), 'kafka.Kafka', propsFile], { detached: true, stdio: ['ignore', out, out] })
  fs.closeSync(out)
  child.unref()
  const state: BrokerState = {
    pid: child.pid!, host: '127.0.0.1', port, controllerPort, dataDir, logFile, startedAt: new Date().toISOString(), kafkaVersion: KAFKA_VERSION
  }
  fs.writeFileSync(stateFile(opts.home), JSON.stringify(state, null, 2))
  try {
    await waitReady(state, opts.readyTimeoutMs ?? 90_000)
  } catch (err) {
    await brokerDown(opts.home)
    throw err
  }
  return { state, started: true }
}

function readPorts (dir: string): { port: number, controllerPort: number } | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'ports.json'), 'utf8'))
  } catch {
    return undefined
  }
}

async function waitReady (state: BrokerState, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (!isAlive(state.pid)) {
      throw new SluiceError('broker_unavailable', `the local broker exited during start-up; its log ends with:\n${tail(state.logFile)}`, { retryable: false })
    }
    if (await brokersAnswer([brokerAddress(state)], 2000)) return
    await sleep(300)
  }
  throw new SluiceError('broker_unavailable', `the local broker did not answer within ${timeoutMs / 1000}s; see ${state.logFile}`, { retryable: true })
}

/** Stops the local broker with SIGTERM (a clean shutdown), then SIGKILL if it hangs. */
export async function brokerDown (home: string, timeoutMs = 60_000): Promise<BrokerState | null> {
  const state = readState(home)
  if (state === null) return null
  if (isAlive(state.pid)) {
    process.kill(state.pid, 'SIGTERM')
    const deadline = Date.now() + timeoutMs
    while (isAlive(state.pid) && Date.now() < deadline) await sleep(200)
    if (isAlive(state.pid)) process.kill(state.pid, 'SIGKILL')
  }
  fs.rmSync(stateFile(home), { force: true })
  return state
}
