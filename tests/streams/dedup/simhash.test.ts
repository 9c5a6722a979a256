import { expect, test } from 'vitest'
import { hamming, simhash, SimHashIndex, type SimHash } from '../../../streams/dedup/simhash.ts'
import { referenceSimHash } from './reference.ts'

function random (seed: number): () => number {
  let s = seed
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0)
}

for (const [blocks, maxHamming] of [[4, 3], [8, 6]] as const) {
  test(`permuted tables (${blocks} blocks, k=${maxHamming}) find exactly what brute force finds`, () => {
    const next = random(blocks)
    const stored: SimHash[] = Array.from({ length: 2000 }, () => ({ hi: next(), lo: next() }))
    const index = new SimHashIndex({ blocks, maxHamming })
    stored.forEach((s, i) => index.add(String(i), s))
    for (let q = 0; q < 300; q++) {
      const base = stored[Math.floor((next() / 2 ** 32) * stored.length)]!
      const query = { ...base }
      for (let f = Math.floor((next() / 2 ** 32) * (maxHamming + 3)); f > 0; f--) {
        const bit = next() % 64
        if (bit < 32) query.lo = (query.lo ^ (1 << bit)) >>> 0
        else query.hi = (query.hi ^ (1 << (bit - 32))) >>> 0
      }
      const brute = stored.map((s, i) => [String(i), hamming(s, query)] as const).filter(([, d]) => d <= maxHamming).map(([id]) => id)
      expect(index.query(query).map(c => c.id)).toEqual(brute)
    }
  })
}

test('the bit-sliced SimHash counts exactly: any length, including around a counter flush (524,280 shingles)', () => {
  const next = random(99)
  for (const n of [0, 1, 2, 7, 8, 9, 15, 16, 17, 63, 1000, 8 * 65534 + 7, 8 * 65535 + 7]) {
    // biased bits, so that most positions are close to the majority threshold or far from it
    const hashes = Uint32Array.from({ length: n }, () => next() & next() | (next() & 0x0f0f0f0f))
    expect(simhash(hashes), `${n} shingles`).toEqual(referenceSimHash(hashes))
  }
})
