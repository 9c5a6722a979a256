import { log } from './log.ts'

/**
 * The first Ctrl-C / SIGTERM asks the work to stop at the next record and commit what it has;
 * a second one exits at once (the open Kafka transaction is then aborted by the broker).
 */
export function stopOnSignals (also?: AbortSignal): { signal: AbortSignal, dispose: () => void } {
  const controller = new AbortController()
  also?.addEventListener('abort', () => controller.abort(), { once: true })
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      log(`${sig} again: exiting now`)
      process.exit(130)
    }
    log(`${sig}: finishing the current batch, then stopping (press again to exit at once)`)
    controller.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    signal: controller.signal,
    // a process that goes on after the work (a test runner, `run`'s later stages) gets its signals back
    dispose: () => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
  }
}
