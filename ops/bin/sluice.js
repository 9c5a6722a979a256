#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so `sluice` works right after `npm ci` with no build step.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../cli.ts')
await main(process.argv)
// kafkajs and DuckDB keep timers and handles alive after a command finished its work
process.exit(process.exitCode ?? 0)
