import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { TestProject } from 'vitest/node'
import { brokerAddress, brokerDown, brokerUp } from '../ops/broker/local-broker.ts'

/**
 * One real Kafka broker for the whole run (unless SLUICE_BROKERS points at one), in a temporary
 * home with free ports, so tests never touch a developer's own broker.
 */
export default async function setup (project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.SLUICE_BROKERS
  if (given !== undefined && given !== '') {
    project.provide('brokers', given)
    return async () => {}
  }
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-broker-'))
  const { state } = await brokerUp({ home, heapMb: 768, log: line => process.stderr.write(`[test broker] ${line}\n`) })
  project.provide('brokers', brokerAddress(state))
  process.env.SLUICE_BROKERS = brokerAddress(state)
  return async () => {
    await brokerDown(home)
    fs.rmSync(home, { recursive: true, force: true })
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    brokers: string
  }
}
