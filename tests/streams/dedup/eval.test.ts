import { expect, test } from 'vitest'
import { buildEvalSet, score } from '../../../ops/bench/dedup-eval.ts'
import { NearDeduper } from '../../../streams/dedup/near.ts'

const set = buildEvalSet({ seed: 3, perLang: 80, sizes: { words: 5, chars: 5 } })

function clusters (method: 'minhash' | 'simhash'): Map<string, string> {
  const d = new NearDeduper({ method })
  const out = new Map<string, string>()
  for (const doc of set.docs) {
    const v = d.next(doc.id, doc.text, doc.lang)
    if (v !== null) out.set(doc.id, v.dupOf)
  }
  return out
}

test('the evaluation set is deterministic by seed and has positives and hard negatives', () => {
  const again = buildEvalSet({ seed: 3, perLang: 80, sizes: { words: 5, chars: 5 } })
  expect(again.docs.map(d => d.id)).toEqual(set.docs.map(d => d.id))
  expect(set.pairs.filter(p => p.jaccard >= 0.8).length).toBeGreaterThan(50)
  expect(set.pairs.some(p => p.kind === 'hard_negative')).toBe(true)
})

test('MinHash finds the planted duplicates (F1 above 0.9) and clusters deterministically', () => {
  const first = clusters('minhash')
  expect(score(set, first).f1).toBeGreaterThan(0.9)
  expect(clusters('minhash')).toEqual(first)
})

test('SimHash with k=3 is precise but misses duplicates below about J 0.95', () => {
  const s = score(set, clusters('simhash'))
  expect(s.precision).toBeGreaterThan(0.9)
  expect(s.recall).toBeLessThan(0.8)
})
