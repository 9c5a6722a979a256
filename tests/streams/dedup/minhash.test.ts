import { expect, test } from 'vitest'
import { buildEvalSet, ShingleSets } from '../../../ops/bench/dedup-eval.ts'
import { estimatedJaccard, MinHasher } from '../../../streams/dedup/minhash.ts'
import { dedupText, shingleHashes, shingleSize } from '../../../streams/dedup/shingles.ts'

const sizes = { words: 5, chars: 5 }
const set = buildEvalSet({ seed: 7, perLang: 40, sizes })
const byId = new Map(set.docs.map(d => [d.id, d]))

test('estimated Jaccard follows the exact Jaccard of real planted pairs within the binomial error', () => {
  const hasher = new MinHasher({ bands: 14, rows: 8, seed: 1 })
  const sig = (id: string): Uint32Array => {
    const doc = byId.get(id)!
    const norm = dedupText(doc.text)
    return hasher.signature(shingleHashes(norm, shingleSize(norm, doc.lang, sizes)))
  }
  const errors = set.pairs.map(p => estimatedJaccard(sig(p.a), sig(p.b)) - p.jaccard)
  const mean = errors.reduce((a, b) => a + b, 0) / errors.length
  const rms = Math.sqrt(errors.reduce((a, b) => a + b * b, 0) / errors.length)
  expect(errors.length).toBeGreaterThan(50)
  expect(Math.abs(mean)).toBeLessThan(0.01)
  // √(J(1−J)/112) is at most 0.047
  expect(rms).toBeLessThan(0.05)
})

test('the same seed gives the same signature; another seed another one', () => {
  const doc = set.docs[0]!
  const hashes = shingleHashes(dedupText(doc.text), 5).slice()
  expect(new MinHasher({ bands: 14, rows: 8, seed: 1 }).signature(hashes)).toEqual(new MinHasher({ bands: 14, rows: 8, seed: 1 }).signature(hashes))
  expect(new MinHasher({ bands: 14, rows: 8, seed: 2 }).signature(hashes)).not.toEqual(new MinHasher({ bands: 14, rows: 8, seed: 1 }).signature(hashes))
  expect(new ShingleSets(sizes).jaccard(doc, doc)).toBe(1)
})
