import { createHash } from 'node:crypto'
import { expect, test } from 'vitest'
import { MinHasher } from '../../../streams/dedup/minhash.ts'
import { dedupText, shingleHashes, shingleSize } from '../../../streams/dedup/shingles.ts'
import { simhash } from '../../../streams/dedup/simhash.ts'
import { goldenCorpus } from './golden-corpus.ts'
import { referenceDedupText, referenceMinHash, referenceShingleHashes, referenceShingleSize, referenceSimHash } from './reference.ts'

const sizes = { words: 5, chars: 5 }
const docs = goldenCorpus()

/**
 * sha256 of the reference's output over the golden corpus (normalised texts, shingle hashes,
 * MinHash 14×8 seed 1, SimHash), as computed at commit 93c07ff. It moves only when the shared
 * data, OpenCC's tables or the Traditional-Chinese detection change; then re-pin it, after
 * checking that the optimised code still matches the reference below.
 */
const REFERENCE_DIGEST = '52f536a4fbc74d7152414607ec5f9fff72aad331b6619652fec9494cb365a02d'

test('the reference implementation still gives the pinned signatures of the golden corpus', () => {
  const hash = createHash('sha256')
  for (const doc of docs) {
    const norm = referenceDedupText(doc.text)
    const hashes = referenceShingleHashes(norm, referenceShingleSize(norm, doc.lang, sizes))
    hash.update(norm)
    hash.update(new Uint8Array(hashes.buffer))
    if (hashes.length === 0) continue
    hash.update(new Uint8Array(referenceMinHash({ bands: 14, rows: 8, seed: 1 }, hashes).buffer))
    const s = referenceSimHash(hashes)
    hash.update(`${s.hi},${s.lo}`)
  }
  expect(docs.length).toBeGreaterThan(10_000)
  expect(hash.digest('hex')).toBe(REFERENCE_DIGEST)
})

test('normalised text, shingle hashes, MinHash and SimHash signatures equal the reference on every golden document', () => {
  const hashers = [{ bands: 14, rows: 8, seed: 1 }, { bands: 20, rows: 13, seed: 7 }, { bands: 3, rows: 2, seed: 0xffffffff }]
  const mine = hashers.map(p => new MinHasher(p))
  let mismatches = 0
  const first: string[] = []
  const check = (what: string, id: string, equal: boolean): void => {
    if (equal) return
    mismatches++
    if (first.length < 5) first.push(`${what} of ${id}`)
  }
  for (const doc of docs) {
    const want = referenceDedupText(doc.text)
    const norm = dedupText(doc.text)
    check('dedupText', doc.id, norm === want)
    const n = shingleSize(norm, doc.lang, sizes)
    check('shingleSize', doc.id, n === referenceShingleSize(want, doc.lang, sizes))
    for (const size of [n, 1, 3]) {
      const expected = referenceShingleHashes(want, size)
      // a copy: the returned view is only valid until the next call
      const hashes = shingleHashes(norm, size).slice()
      check(`shingleHashes(n=${size})`, doc.id, hashes.length === expected.length && hashes.every((h, i) => h === expected[i]))
      if (size !== n || expected.length === 0) continue
      hashers.forEach((params, i) => {
        const sig = mine[i]!.signature(hashes)
        const ref = referenceMinHash(params, expected)
        check(`MinHash ${params.bands}x${params.rows}`, doc.id, sig.length === ref.length && sig.every((v, j) => v === ref[j]))
      })
      const s = simhash(hashes)
      const r = referenceSimHash(expected)
      check('SimHash', doc.id, s.hi === r.hi && s.lo === r.lo)
    }
  }
  expect(first).toEqual([])
  expect(mismatches).toBe(0)
})
