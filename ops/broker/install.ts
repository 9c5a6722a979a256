import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { SluiceError } from '../../schemas/errors.ts'
import { cacheDir } from './paths.ts'
import { requireProgram } from './java.ts'

export const KAFKA_VERSION = '4.1.1'
const POM = fileURLToPath(new URL('../kafka/pom.xml', import.meta.url))

export function libsDir (): string {
  return path.join(cacheDir(), `kafka-${KAFKA_VERSION}`, 'libs')
}

/**
 * Resolves the broker jars from Maven Central into the cache on first use. The folder is filled
 * under a temporary name and renamed last, so an interrupted download is never mistaken for a
 * complete one.
 */
export async function ensureKafkaJars (log: (line: string) => void = () => {}): Promise<string> {
  const dir = libsDir()
  if (fs.existsSync(path.join(dir, `kafka_2.13-${KAFKA_VERSION}.jar`))) return dir
  requireProgram('java', '-version')
  requireProgram('mvn', '-v')
  const partial = `${dir}.partial-${process.pid}`
  fs.rmSync(partial, { recursive: true, force: true })
  log(`resolving Apache Kafka ${KAFKA_VERSION} from Maven Central into ${dir} (first use only)`)
  const args = ['-q', '-B', '-f', POM, 'dependency:copy-dependencies', '-DincludeScope=runtime',
    `-Dkafka.version=${KAFKA_VERSION}`, `-DoutputDirectory=${partial}`]
  const output: string[] = []
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn('mvn', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout.on('data', (b: Buffer) => output.push(b.toString()))
    child.stderr.on('data', (b: Buffer) => output.push(b.toString()))
    child.on('error', reject)
    child.on('close', c => resolve(c ?? 1))
  })
  if (code !== 0) {
    fs.rmSync(partial, { recursive: true, force: true })
    throw new SluiceError('missing_dependency', `mvn could not resolve org.apache.kafka:kafka_2.13:${KAFKA_VERSION} (exit ${code}); is Maven Central reachable?\n${output.join('').slice(-2000)}`, { retryable: true })
  }
  fs.mkdirSync(path.dirname(dir), { recursive: true })
  fs.rmSync(dir, { recursive: true, force: true })
  fs.renameSync(partial, dir)
  return dir
}
