import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect, test } from 'vitest'
import { brokersAnswer } from '../../streams/kafka/client.ts'
import { runCli } from '../helpers/cli.ts'

// The suite's shared broker comes from the same code; this test owns a second one because
// starting and stopping is what it checks.
test('kafka up / status / down manage a real broker in their own home, and up is idempotent', async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-home-'))
  try {
    const up = await runCli(['kafka', 'up', '--home', home, '--heap-mb', '384'])
    expect(up.code, up.stderr).toBe(0)
    const address = up.stdout.trim()
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/)
    expect(await brokersAnswer([address])).toBe(true)

    const again = await runCli(['kafka', 'up', '--home', home])
    expect(again.stdout.trim()).toBe(address)
    expect(again.stderr).toContain('already running')

    const status = await runCli(['kafka', 'status', '--home', home])
    expect(status.code).toBe(0)
    expect(JSON.parse(status.stdout)).toMatchObject({ running: true, answers: true, address })

    // a command without --brokers finds the running local broker of its home
    const topics = await runCli(['topics', 'ensure', '--home', home, '--partitions', '2'], { SLUICE_BROKERS: '' })
    expect(topics.code, topics.stderr).toBe(0)
    expect(topics.stdout).toMatch(/docs\.raw\s+2 partitions\s+created/)

    const down = await runCli(['kafka', 'down', '--home', home])
    expect(down.code).toBe(0)
    expect(down.stderr).toContain(`stopped the broker at ${address}`)
    expect(await brokersAnswer([address], 1000)).toBe(false)
    const after = await runCli(['kafka', 'status', '--home', home])
    expect(after.code).toBe(1)
    expect(after.stderr).toContain('not running')
  } finally {
    await runCli(['kafka', 'down', '--home', home])
    fs.rmSync(home, { recursive: true, force: true })
  }
})

test('a missing Java gives a clear message and its own exit code', async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-nojava-'))
  // a PATH that has node and nothing else
  const bin = path.join(home, 'bin')
  fs.mkdirSync(bin)
  fs.symlinkSync(process.execPath, path.join(bin, 'node'))
  const r = await runCli(['kafka', 'up', '--home', home], { PATH: bin })
  expect(r.code).toBe(6)
  expect(r.stderr).toMatch(/\[missing_dependency\]: java was not found on PATH: install a Java 17\+ runtime/)
})
