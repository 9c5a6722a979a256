#!/usr/bin/env node
// `npm run bench -- <name> [options]`: runs ops/bench/<name>.ts and prints its figures.
import fs from 'node:fs'
import { register } from 'tsx/esm/api'

register()
const [name, ...args] = process.argv.slice(2)
const dir = new URL('../bench/', import.meta.url)
const available = fs.readdirSync(dir).filter(f => f.endsWith('.ts')).map(f => f.replace(/\.ts$/, ''))
if (name === undefined || name === '--help' || !available.includes(name)) {
  process.stderr.write(`usage: npm run bench -- <${available.join('|')}> [--help]\n`)
  process.exit(name === undefined || name === '--help' ? 0 : 2)
}
const { main } = await import(new URL(`${name}.ts`, dir).href)
await main(args)
process.exit(process.exitCode ?? 0)
