import { spawnSync } from 'node:child_process'
import { SluiceError } from '../../schemas/errors.ts'

/** Fails with a message that says what to install when a required program is missing. */
export function requireProgram (name: 'java' | 'mvn', versionArg: string): void {
  const r = spawnSync(name, [versionArg], { stdio: 'ignore' })
  if (r.error !== undefined || r.status !== 0) {
    const hint = name === 'java'
      ? 'install a Java 17+ runtime (Debian: apt-get install openjdk-17-jre-headless) or pass --brokers to use an existing cluster'
      : 'install Apache Maven (Debian: apt-get install maven), which fetches the Kafka jars from Maven Central, or pass --brokers'
    throw new SluiceError('missing_dependency', `${name} was not found on PATH: ${hint}`, { retryable: false, cause: r.error })
  }
}
