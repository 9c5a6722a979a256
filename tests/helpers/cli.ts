import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const SLUICE = path.resolve(fileURLToPath(new URL('../../ops/bin/sluice.js', import.meta.url)))

export interface CliResult { code: number | null, stdout: string, stderr: string }

/** Starts the real CLI as a child process (what a user runs). */
export function startCli (args: string[], env: Record<string, string> = {}): { child: ChildProcess, done: Promise<CliResult> } {
  const child = spawn(process.execPath, [SLUICE, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (b: Buffer) => { stdout += b.toString() })
  child.stderr!.on('data', (b: Buffer) => { stderr += b.toString() })
  const done = new Promise<CliResult>(resolve => child.on('close', code => resolve({ code, stdout, stderr })))
  return { child, done }
}

export async function runCli (args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return await startCli(args, env).done
}
