import type { KafkaMessage } from 'kafkajs'
import { expect, test } from 'vitest'
import { AlignedMerge } from '../../../streams/kafka/aligned-merge.ts'

const message = (offset: number) => ({ offset: String(offset) }) as KafkaMessage
const ids = (inputs: Array<{ partition: number, message: KafkaMessage }>) => inputs.map(i => `${i.partition}:${i.message.offset}`)

/** Random-ish deliveries of the same partitions: batches of 1..7 messages, partitions in random turns, gaps (transaction markers). */
function deliveries (seed: number, partitions: number, perPartition: number) {
  let s = 7
  const rand = (n: number) => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return (s >>> 8) % n }
  const offsets = Array.from({ length: partitions }, () => {
    const out: number[] = []
    for (let o = 0; out.length < perPartition; o += 1 + (rand(5) === 0 ? 1 : 0)) out.push(o)
    return out
  })
  // the offsets (with their gaps) are the same for every seed; the seed changes only how they arrive
  s = seed
  const cursor = new Array<number>(partitions).fill(0)
  const steps: Array<{ partition: number, messages: KafkaMessage[] }> = []
  while (cursor.some((c, p) => c < offsets[p]!.length)) {
    const p = rand(partitions)
    const n = 1 + rand(7)
    const batch = offsets[p]!.slice(cursor[p], cursor[p]! + n)
    cursor[p]! += batch.length
    if (batch.length > 0) steps.push({ partition: p, messages: batch.map(message) })
  }
  return { steps, offsets }
}

test('the merge order depends on the offsets only, not on which partition was fetched first', () => {
  const orders = [1, 2, 3, 4, 5].map(seed => {
    const { steps, offsets } = deliveries(seed, 3, 60)
    const merge = new AlignedMerge(3, {}, 10)
    const out: string[] = []
    for (const step of steps) {
      merge.push(step.partition, step.messages)
      out.push(...ids(merge.take(4, false)))
    }
    out.push(...ids(merge.take(1000, true)))
    const expected = offsets.flatMap((os, p) => os.map(o => ({ p, o })))
      .sort((a, b) => Math.floor(a.o / 10) - Math.floor(b.o / 10) || a.p - b.p || a.o - b.o).map(x => `${x.p}:${x.o}`)
    expect(out).toEqual(expected)
    return out
  })
  for (const order of orders) expect(order).toEqual(orders[0])
  expect(orders[0]).toHaveLength(180)
})

test('a round waits for a silent partition unless forced, and a restart continues from the committed positions', () => {
  const merge = new AlignedMerge(2, { 0: 10, 1: 0 }, 10)
  merge.push(0, [8, 9, 10, 11].map(message))
  // offsets 8 and 9 were committed before: never handed over again
  expect(merge.queued).toBe(2)
  // partition 1 could still send offset 0 (round 0), before partition 0's round 1
  expect(merge.take(10, false)).toEqual([])
  expect(ids(merge.take(10, true))).toEqual(['0:10', '0:11'])
  merge.push(1, [0, 1].map(message))
  merge.push(0, [12].map(message))
  expect(ids(merge.take(10, false))).toEqual(['1:0', '1:1'])
  merge.push(1, [25].map(message))
  expect(ids(merge.take(10, false))).toEqual(['0:12'])
  merge.reset({ 0: 12, 1: 2 })
  expect(merge.queued).toBe(0)
})
