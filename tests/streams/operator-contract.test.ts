import fs from 'node:fs'
import { expect, test } from 'vitest'
import type { RawRecord } from '../../schemas/raw-record.ts'
import { collectingContext, type Operator } from '../../streams/operator.ts'
import { toDocuments } from '../../streams/operators/to-document.ts'
import { normalizeConfigSchema } from '../../streams/normalize/config.ts'
import { normalizeDocuments } from '../../streams/normalize/index.ts'
import { readWarc } from '../../streams/readers/warc.ts'
import { collect, readOptions, records, SHARED } from '../helpers/readers.ts'

async function * of<T> (...items: T[]) { yield * items }

/** The checks every operator must pass; later operators join the list below. */
const operators: Array<[string, () => Operator<RawRecord, unknown>]> = [
  ['ingest', () => toDocuments()],
  ['normalize', () => normalizeDocuments(normalizeConfigSchema.parse({}))]
]

async function realRecords (): Promise<RawRecord[]> {
  const wet = fs.readFileSync(`${SHARED}/web/warc/ccnet-sample.wet.txt`)
  return records(await collect(readWarc(of(wet), readOptions('ccnet-sample.wet.txt'))))
}

for (const [name, make] of operators) {
  test(`${name}: empty input gives empty output and zero counts`, async () => {
    const ctx = collectingContext<RawRecord>()
    expect(await collect(make()(of(), ctx))).toEqual([])
    expect(ctx.stats).toEqual({ received: 0, forwarded: 0 })
  })

  test(`${name}: received = forwarded + every dropped_<reason>`, async () => {
    const input = await realRecords()
    const ctx = collectingContext<RawRecord>()
    const out = await collect(make()(of(...input), ctx))
    const dropped = Object.entries(ctx.stats).filter(([k]) => k.startsWith('dropped_')).reduce((s, [, v]) => s + v, 0)
    expect(ctx.stats.received).toBe(input.length)
    expect(ctx.stats.forwarded).toBe(out.length)
    expect(ctx.stats.received).toBe(ctx.stats.forwarded + dropped)
    expect(ctx.dropped).toHaveLength(dropped)
  })

  test(`${name}: stops after the signal aborts and reads at most one item ahead`, async () => {
    const input = await realRecords()
    let pulled = 0
    async function * counting () { for (const r of input) { pulled++; yield r } }
    const abort = new AbortController()
    const ctx = collectingContext<RawRecord>(abort.signal)
    const out: unknown[] = []
    for await (const item of make()(counting(), ctx)) {
      out.push(item)
      abort.abort()
    }
    expect(out).toHaveLength(1)
    expect(pulled).toBe(1)
  })
}
