import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { SluiceError } from '../../schemas/errors.ts'
import { parseModelProto } from '../../trainer/tokenizer/model.ts'
import { SentencePieceTokenizer } from '../../trainer/tokenizer/tokenizer.ts'
import { runCli } from '../helpers/cli.ts'
import { differencesFromReference, referenceEncode } from '../helpers/sentencepiece.ts'

const DATA = path.resolve('../shared/data')
const MODELS = {
  llama2: path.join(DATA, 'tokenizers/llama2/tokenizer.model'),
  'chinese-llama-2': path.join(DATA, 'tokenizers/chinese-llama-2/tokenizer.model')
}

/** Real documents: Chinese and English web text, instructions, maths and code (path under ../shared/data, how many). */
const CORPUS: [string, number][] = [
  ['web/zh/chinesewebtext-cc2021-43-cleared1.jsonl', 100],
  ['web/zh/zhwiki_sampled.txt.gz', 1200],
  ['web/zh/CLUECorpusSmall_sampled.txt.gz', 800],
  ['web/zh/news-commentary-v13-en-zh_sampled.tsv', 300],
  ['web/en/olmo-c4-sample.01.json.gz', 100],
  ['web/en/dolma-cc_en_head-0091.jsonl.gz', 200],
  ['web/en/olmo-c4_100_domains-theguardian.jsonl.gz', 200],
  ['instruct/belle-eval_set.json', 300],
  ['instruct/datajuicer-alpaca-cot-zh.jsonl', 100],
  ['instruct/self-instruct-user_oriented_instructions.jsonl', 252],
  ['math/gsm8k-test.jsonl', 600],
  ['math/math500-test.jsonl', 200],
  ['math/ape210k-test.ape.json.gz', 800],
  ['code/HumanEval.jsonl.gz', 164],
  ['code/datajuicer-stack_exchange.jsonl', 70]
]

const EDGE_CASES = [
  '', ' ', '   ', '\n', '\t', ' \n \t ', 'a', ' a', 'a ', '  leading', 'trailing  ', 'many     spaces  inside   here',
  'line one\nline two\r\n\nline four', 'tab\tseparated\tcolumns', '\u3000全角空格\u3000', 'Hello, world!', '你好，世界！',
  '😀🎉👨‍👩‍👧 emoji', '𠀀𪚥𰻞 rare CJK beyond the BMP', '龘靐齉 rare CJK', '\ufffd replacement \ufffd\ufffd', '\ufeffBOM first',
  '\u2581 a literal lower one eighth block', 'é vs e\u0301 (NFD)', '\u0000 and \u001f controls', 'ＡＢＣ１２３ full-width',
  'Supercalifragilisticexpialidocious'.repeat(40), 'x'.repeat(5000), '中'.repeat(3000), '1234567890'.repeat(50),
  'mixed中文and English混合text', 'السلام عليكم', 'Привет, мир', 'こんにちは世界', '한국어 텍스트', '<s> </s> <unk> <0x41> tokens as text'
]

/** All string values of a record, joined by newlines (an instruction with its answer, a question with its solution). */
function strings (v: unknown): string[] {
  if (typeof v === 'string') return [v]
  if (Array.isArray(v)) return v.flatMap(strings)
  if (v !== null && typeof v === 'object') return Object.values(v).flatMap(strings)
  return []
}

function documents (file: string, limit: number): string[] {
  let body = fs.readFileSync(path.join(DATA, file))
  if (file.endsWith('.gz')) body = zlib.gunzipSync(body)
  const text = body.toString('utf8')
  const name = file.replace(/\.gz$/, '')
  const records: unknown[] = /\.json$/.test(name) && /^\s*[[{]/.test(text) && !/\}\s*\n\s*\{/.test(text.slice(0, 1 << 16))
    ? Object.values(JSON.parse(text) as object)
    : text.split('\n').filter(l => l.trim() !== '').map(l => /\.jsonl?$/.test(name) ? JSON.parse(l) as unknown : l)
  return records.slice(0, limit).map(r => strings(r).join('\n'))
}

let tmp: string
beforeAll(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-tokenizer-')) })
afterAll(() => { fs.rmSync(tmp, { recursive: true, force: true }) })

const corpus = CORPUS.flatMap(([file, n]) => documents(file, n))
const texts = [...EDGE_CASES, ...corpus]

describe.each(Object.entries(MODELS))('%s', (_name, modelFile) => {
  test('encodes and decodes every document exactly like the Python sentencepiece library', () => {
    const tok = SentencePieceTokenizer.fromFile(modelFile)
    const { mismatches, tokens } = differencesFromReference(tok, modelFile, texts)
    expect(mismatches.slice(0, 10)).toEqual([])
    expect(corpus.length).toBeGreaterThan(4000)
    expect(tokens).toBeGreaterThan(1_000_000)
  })
})

test('special ids, pieces and ids both ways; a lone surrogate reads as U+FFFD', () => {
  const tok = SentencePieceTokenizer.fromFile(MODELS.llama2)
  expect({ vocab: tok.vocabSize, unk: tok.unkId, bos: tok.bosId, eos: tok.eosId, pad: tok.padId }).toEqual({ vocab: 32000, unk: 0, bos: 1, eos: 2, pad: -1 })
  expect([tok.pieceOf(1), tok.pieceOf(29871), tok.pieceOf(30143), tok.idOf('\u2581the'), tok.idOf('<0x0A>'), tok.idOf('no such piece')]).toEqual(['<s>', '\u2581', '\ufeff', 278, 13, undefined])
  expect(() => tok.pieceOf(32000)).toThrow(SluiceError)
  expect(tok.encode('a\ud800b')).toEqual(tok.encode('a\ufffdb'))
  expect(tok.decode([tok.bosId, ...tok.encode(' two  spaces'), tok.eosId])).toBe(' two  spaces')
  expect(SentencePieceTokenizer.fromFile(MODELS['chinese-llama-2']).vocabSize).toBe(55296)
})

test('refuses what it would encode differently: unigram models with the nmt_nfkc normalizer, files that are not models', () => {
  const unigram = path.join(DATA, 'tokenizers/chinese-llama-1/chinese_sp.model')
  expect(() => SentencePieceTokenizer.fromFile(unigram)).toThrow(/model type unigram/)
  const nfkc = { ...parseModelProto(fs.readFileSync(MODELS.llama2)) }
  nfkc.normalizer = { ...nfkc.normalizer, name: 'nmt_nfkc', charsmapBytes: 1000 }
  expect(() => new SentencePieceTokenizer(nfkc)).toThrow(/normalizer "nmt_nfkc"/)
  expect(() => parseModelProto(Buffer.from('{"not": "a model"}'))).toThrow(SluiceError)
  expect(() => SentencePieceTokenizer.fromFile(path.join(tmp, 'missing.model'))).toThrow(/cannot read the tokenizer model/)
})

test('sluice tokenizer encode writes the reference ids for each {id, text} line and reports bad lines by number', async () => {
  const docs = corpus.filter((_, i) => i % 20 === 0)
  const input = path.join(tmp, 'docs.jsonl')
  const output = path.join(tmp, 'tokens.jsonl')
  const lines = docs.map((text, i) => JSON.stringify({ id: `d${i}`, text }))
  lines.splice(3, 0, '{"id": "broken", "text": ', '{"id": "no-text"}')
  fs.writeFileSync(input, lines.join('\n') + '\n')
  const r = await runCli(['tokenizer', 'encode', '--model', MODELS['chinese-llama-2'], '--in', input, '--out', output])
  expect(r.code, r.stderr).toBe(0)
  expect(r.stderr).toMatch(/line 4: not JSON/)
  expect(r.stderr).toMatch(/line 5: no text field/)
  expect(JSON.parse(r.stdout)).toMatchObject({ docs: docs.length, badLines: 2 })
  const want = referenceEncode(MODELS['chinese-llama-2'], docs)
  const got = fs.readFileSync(output, 'utf8').trimEnd().split('\n').map(l => JSON.parse(l) as { id: string, ids: number[] })
  expect(got.map(g => g.id)).toEqual(docs.map((_, i) => `d${i}`))
  expect(got.map(g => g.ids)).toEqual(want.map(w => w.ids))
})
