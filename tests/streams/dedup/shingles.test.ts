import { expect, test } from 'vitest'
import { dedupText, shingleHashes, shingleSet, shingleSize } from '../../../streams/dedup/shingles.ts'
import { referenceDedupText, referenceShingleHashes } from './reference.ts'

const sizes = { words: 5, chars: 5 }

test('English shingles are five words; punctuation, case and whitespace do not matter', () => {
  const norm = dedupText('The quick, brown fox —  jumps over the LAZY dog!')
  expect([...shingleSet(norm, shingleSize(norm, 'en', sizes))][0]).toBe('the quick brown fox jumps')
  expect(shingleSet(norm, 5).size).toBe(5)
  expect([...shingleHashes(dedupText('the quick brown fox jumps over the lazy dog'), 5)]).toEqual([...shingleHashes(norm, 5)])
})

test('Chinese shingles are characters; Traditional and Simplified shingle alike', () => {
  const simplified = dedupText('汉语是世界上使用人数最多的语言。')
  const traditional = dedupText('漢語是世界上使用人數最多的語言！')
  expect(shingleSize(simplified, null, { words: 5, chars: 3 })).toBe(3)
  expect([...shingleSet(simplified, 5)].slice(0, 2)).toEqual(['汉 语 是 世 界', '语 是 世 界 上'])
  expect([...shingleHashes(traditional, 5)]).toEqual([...shingleHashes(simplified, 5)])
})

test('a text shorter than n tokens is one shingle; a text without tokens has none', () => {
  expect(shingleHashes(dedupText('two words'), 5)).toHaveLength(1)
  expect(shingleHashes(dedupText('!!! …… 😀'), 5)).toHaveLength(0)
})

test('a document longer than the reused buffers keep (16 MiB) folds and hashes like a short one', () => {
  const parts = ['Ｗｏｒｄ', '汉字', 'ﬁne', 'Straße', '😀', '测试，', 'ÉCOLE', '\n']
  let text = ''
  for (let i = 0; text.length < 8_500_000; i++) text += parts[(i * 7 + (i >> 3)) % parts.length]! + (i % 5 === 0 ? ' ' : '')
  const norm = dedupText(text)
  expect(norm).toBe(referenceDedupText(text))
  const same = (a: Uint32Array, b: Uint32Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
  for (const n of [5, 1]) expect(same(shingleHashes(norm, n), referenceShingleHashes(norm, n))).toBe(true)
  // and the buffers still work for the next, short document
  expect([...shingleHashes(dedupText('one two three'), 2)]).toEqual([...referenceShingleHashes('one two three', 2)])
})
