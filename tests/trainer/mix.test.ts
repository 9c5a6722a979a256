import { expect, test } from 'vitest'
import { nextSource, splitBudget, type MixEntry } from '../../trainer/mix/schedule.ts'
import { epochOrder } from '../../trainer/mix/shuffle.ts'

test('budgets split by weight and sum exactly', () => {
  expect(splitBudget(100, [1, 1, 1])).toEqual([34, 33, 33])
  expect(splitBudget(1000, [1, 0.05])).toEqual([952, 48])
  const parts = splitBudget(650e9, [1, 1, 0.05])
  expect(parts.reduce((a, b) => a + b, 0)).toBe(650e9)
})

test('the schedule keeps every source at its share of the tokens, whatever the sample sizes', () => {
  const entries: MixEntry[] = splitBudget(200_000, [3, 1, 1]).map((target, i) => ({ key: `s${i}`, target, consumed: 0 }))
  const sizes = [700, 90, 2000]
  let e: MixEntry | null
  const trace: number[][] = []
  while ((e = nextSource(entries)) !== null) {
    e.consumed += sizes[entries.indexOf(e)]!
    trace.push(entries.map(x => x.consumed / x.target))
  }
  // each source overshoots its target by less than one sample, and along the way no share leads by more than one sample
  entries.forEach((x, i) => expect(x.consumed - x.target).toBeLessThan(sizes[i]!))
  for (const shares of trace.slice(50)) expect(Math.max(...shares) - Math.min(...shares)).toBeLessThan(2000 / 40_000 + 1e-9)
})

test('epoch orders are permutations fixed by seed, source and epoch', () => {
  const a = epochOrder(1000, 1, 'stage1/web_zh', 0)
  expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i))
  expect(epochOrder(1000, 1, 'stage1/web_zh', 0)).toEqual(a)
  for (const other of [epochOrder(1000, 2, 'stage1/web_zh', 0), epochOrder(1000, 1, 'stage1/web_en', 0), epochOrder(1000, 1, 'stage1/web_zh', 1)]) {
    expect(other).not.toEqual(a)
  }
  // about uniform: each of 10 samples lands first about a tenth of the time
  const firsts = new Array(10).fill(0)
  for (let epoch = 0; epoch < 2000; epoch++) firsts[epochOrder(10, 1, 's', epoch)[0]!]++
  for (const n of firsts) expect(Math.abs(n - 200)).toBeLessThan(60)
})
