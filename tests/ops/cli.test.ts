import type { Command } from 'commander'
import { expect, test } from 'vitest'
import { buildProgram } from '../../ops/cli.ts'
import { runCli } from '../helpers/cli.ts'

function commandPaths (cmd: Command, prefix: string[] = []): string[][] {
  return cmd.commands.flatMap(c => [[...prefix, c.name()], ...commandPaths(c, [...prefix, c.name()])])
}

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

test('every command, nested ones too, describes itself and its options', () => {
  const paths = commandPaths(buildProgram())
  expect(paths.map(p => p.join(' '))).toEqual(expect.arrayContaining(['quality train-lm', 'quality train-classifier', 'quality rescore', 'apply', 'worker', 'lake compact']))
  for (const p of paths) {
    let cmd = buildProgram()
    for (const name of p) cmd = cmd.commands.find(c => c.name() === name)!
    expect(cmd.description().length, p.join(' ')).toBeGreaterThan(10)
    expect(cmd.helpInformation()).toContain(`Usage: sluice ${p.join(' ')}`)
    for (const o of cmd.options) expect(o.description.length, `${p.join(' ')} ${o.flags}`).toBeGreaterThan(3)
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
