/**
 * Redraws one status line on a terminal a few times a second; elsewhere (CI logs, pipes) prints
 * a plain line every `plainEveryMs` so long work still shows it is alive.
 */
export function startProgress (line: () => string, opts: { plainEveryMs?: number } = {}): { stop: () => void } {
  const tty = process.stderr.isTTY === true
  const every = tty ? 250 : opts.plainEveryMs ?? 10_000
  const timer = setInterval(() => {
    if (tty) process.stderr.write(`\r\x1b[K${line()}`)
    else process.stderr.write(`${line()}\n`)
  }, every)
  timer.unref()
  return {
    stop: () => {
      clearInterval(timer)
      if (tty) process.stderr.write('\r\x1b[K')
    }
  }
}

/** Rate helper: per-second figures since `start`. */
export function rate (count: number, startMs: number): number {
  const s = (Date.now() - startMs) / 1000
  return s > 0 ? count / s : 0
}
