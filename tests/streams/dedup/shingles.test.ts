import { expect, test } from 'vitest'
import { dedupText, shingleHashes, shingleSet, shingleSize } from '../../../streams/dedup/shingles.ts'

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
