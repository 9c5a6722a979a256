import { expect, test } from 'vitest'
import { runCli } from '../helpers/cli.ts'

test('--help works for the program and every command', async () => {
  const top = await runCli(['--help'])
  expect(top.code).toBe(0)
  for (const cmd of ['run', 'ingest', 'apply', 'topics', 'kafka']) expect(top.stdout).toContain(cmd)
  for (const args of [['run', '--help'], ['ingest', '--help'], ['apply', '--help'], ['topics', 'ensure', '--help'], ['kafka', 'up', '--help']]) {
    const r = await runCli(args)
    expect(r.code, args.join(' ')).toBe(0)
    expect(r.stdout).toContain('Usage: sluice')
  }
})

test('a bad option fails before any side effect, naming the option, with the config exit code', async () => {
  const r = await runCli(['ingest', 'x.jsonl', '--partitions', '0', '--brokers', '127.0.0.1:1'])
  expect(r.code).toBe(2)
  expect(r.stderr).toMatch(/\[config\].*--partitions/)
  const b = await runCli(['topics', 'ensure', '--brokers', 'no-port-here'])
  expect(b.code).toBe(2)
  expect(b.stderr).toContain('"no-port-here" is not host:port')
  const missing = await runCli(['ingest', 'does/not/exist.warc', '--brokers', '127.0.0.1:1'])
  expect(missing.code).toBe(2)
  expect(missing.stderr).toContain('no such file or folder: does/not/exist.warc')
})
