import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect, test } from 'vitest'
import { BloomFilter, bloomSize } from '../../../streams/dedup/bloom.ts'

const keys = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`)
const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bloom-'))

test('m and k follow the standard formulas', () => {
  // n = 1e6, p = 1%: m = 9,585,059 bits (1.14 MiB), k = 7
  expect(bloomSize(1_000_000, 0.01)).toEqual({ m: 9_585_059, k: 7 })
  expect(bloomSize(10_000_000, 1e-4)).toEqual({ m: 191_701_168, k: 13 })
})

test.each([[0.01, 100_000], [0.001, 200_000]])('at p=%d the measured false-positive rate is within tolerance, no false negatives', (p, probes) => {
  const f = BloomFilter.create({ capacity: 100_000, fpRate: p, seed: 3 })
  const inserted = keys('https://example.com/page/', 100_000)
  for (const k of inserted) f.add(k)
  expect(inserted.filter(k => !f.has(k))).toEqual([])
  const fp = keys('https://other.example/', probes).filter(k => f.has(k)).length / probes
  // ±30% is over 4 standard deviations of the binomial count at these sizes
  expect(fp).toBeGreaterThan(p * 0.7)
  expect(fp).toBeLessThan(p * 1.3)
  expect(f.expectedFpRate()).toBeGreaterThan(p * 0.9)
  expect(f.measuredFpRate()).toBeGreaterThan(p * 0.8)
  expect(f.measuredFpRate()).toBeLessThan(p * 1.2)
})

test('addIfAbsent says whether the key was (possibly) there and counts new keys', () => {
  const f = BloomFilter.create({ capacity: 1000, fpRate: 1e-6 })
  expect(f.addIfAbsent('a')).toBe(false)
  expect(f.addIfAbsent('a')).toBe(true)
  expect(f.addIfAbsent('b')).toBe(false)
  expect(f.inserted).toBe(2)
  expect(f.has('c')).toBe(false)
})

test('different seeds hash differently', () => {
  const a = BloomFilter.create({ capacity: 1000, fpRate: 0.01, seed: 1 })
  const b = BloomFilter.create({ capacity: 1000, fpRate: 0.01, seed: 2 })
  for (const k of keys('k', 500)) { a.add(k); b.add(k) }
  expect(Buffer.from(a.serialize().subarray(64)).equals(Buffer.from(b.serialize().subarray(64)))).toBe(false)
})

test('save and load round-trip the filter, atomically', async () => {
  const dir = tmpDir()
  const file = path.join(dir, 'urls.bloom')
  const f = BloomFilter.create({ capacity: 10_000, fpRate: 0.001, seed: 9 })
  for (const k of keys('u', 5000)) f.add(k)
  await f.save(file)
  expect(fs.readdirSync(dir)).toEqual(['urls.bloom'])
  expect(fs.statSync(file).size).toBe(f.sizeBytes)
  const g = await BloomFilter.load(file)
  expect({ m: g.m, k: g.k, capacity: g.capacity, fpRate: g.fpRate, seed: g.seed, inserted: g.inserted })
    .toEqual({ m: f.m, k: f.k, capacity: 10_000, fpRate: 0.001, seed: 9n, inserted: f.inserted })
  expect(keys('u', 5000).every(k => g.has(k))).toBe(true)
  expect(g.has('never added')).toBe(f.has('never added'))
  // saving over an existing file replaces it
  g.add('later')
  await g.save(file)
  expect((await BloomFilter.load(file)).has('later')).toBe(true)
})

test('serialize/deserialize round-trip without a file, and the copy is independent', () => {
  const f = BloomFilter.create({ capacity: 1000, fpRate: 0.01 })
  f.add('x')
  const bytes = f.serialize()
  const g = BloomFilter.deserialize(bytes)
  f.add('y')
  expect(g.has('x')).toBe(true)
  expect(g.has('y')).toBe(false)
  expect(g.inserted).toBe(1)
})

test('a foreign, truncated or damaged file is refused with its name', async () => {
  const dir = tmpDir()
  const f = BloomFilter.create({ capacity: 1000, fpRate: 0.01 })
  f.add('x')
  const good = f.serialize()
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['foreign.bloom', new TextEncoder().encode('{"not":"a bloom filter"} padding padding padding padding padding'), /wrong magic/],
    ['short.bloom', good.subarray(0, 10), /shorter than the 64-byte header/],
    ['truncated.bloom', good.subarray(0, good.length - 4), /truncated/],
    ['flipped.bloom', good.map((b, i) => i === 100 ? b ^ 1 : b), /checksum/]
  ]
  for (const [name, bytes, problem] of cases) {
    const file = path.join(dir, name)
    fs.writeFileSync(file, bytes)
    await expect(BloomFilter.load(file)).rejects.toThrow(problem)
    await expect(BloomFilter.load(file)).rejects.toThrow(file)
  }
})

test('impossible configurations are refused before allocating', () => {
  expect(() => BloomFilter.create({ capacity: 0, fpRate: 0.01 })).toThrow(/capacity/)
  expect(() => BloomFilter.create({ capacity: 10, fpRate: 1 })).toThrow(/fpRate/)
  expect(() => BloomFilter.create({ capacity: 1e12, fpRate: 1e-4 })).toThrow(/2\^32/)
})
