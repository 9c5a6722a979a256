import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Command } from 'commander'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { readTexts } from '../../ops/commands/quality-lm.ts'
import { registerTokenizer } from '../../ops/commands/tokenizer.ts'
import { SluiceError } from '../../schemas/errors.ts'
import { countHan, extendVocabulary } from '../../trainer/tokenizer/extend.ts'
import { parseModelProto, PIECE_TYPE } from '../../trainer/tokenizer/model.ts'
import { protoFields } from '../../trainer/tokenizer/protobuf.ts'
import { ProtoWriter } from '../../trainer/tokenizer/protobuf-writer.ts'
import { SentencePieceTokenizer } from '../../trainer/tokenizer/tokenizer.ts'
import { runCli } from '../helpers/cli.ts'
import { differencesFromReference, referencePieces } from '../helpers/sentencepiece.ts'

const DATA = path.resolve('../shared/data')
const BASE = path.join(DATA, 'tokenizers/llama2/tokenizer.model')
/** Ziya2's setting: LLaMA-2 extended from Chinese web text, measured on held-out Wikipedia. */
const TRAINING = ['web/zh/chinesewebtext-cc2021-43-cleared1.jsonl', 'web/zh/CLUECorpusSmall_sampled.txt.gz'].map(f => path.join(DATA, f))
const HELD_OUT = path.join(DATA, 'web/zh/zhwiki_sampled.txt.gz')
/** English web pages (C4, cc_net, DCLM-annotated Common Crawl) and maths word problems. */
const ENGLISH = ['web/en/olmo-c4-sample.01.json.gz', 'web/en/olmo-c4-sample.02.json.gz', 'web/en/dolma-cc_en_head-0091.jsonl.gz',
  'web/en/olmo-c4_100_domains-theguardian.jsonl.gz', 'quality/dclm-agreement_data.jsonl', 'quality/dclm-majority_data.jsonl', 'math/gsm8k-test.jsonl']
  .flatMap(f => [...readTexts(path.join(DATA, f), ['text', 'question'])])
const HAN = /\p{Script=Han}/u

let tmp: string
let extended: string
let cli: { stdout: string, stderr: string }
beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-tokenizer-extend-'))
  extended = path.join(tmp, 'ziya2.model')
  const r = await runCli(['tokenizer', 'extend', '--model', BASE, '--add', '7400', '--from', ...TRAINING, '--eval', HELD_OUT, '--out', extended])
  expect(r.code, r.stderr).toBe(0)
  cli = r
})
afterAll(() => { fs.rmSync(tmp, { recursive: true, force: true }) })

test('the extended model loads in Python sentencepiece and our tokenizer encodes Chinese and English exactly like it', () => {
  const added = JSON.parse(cli.stdout).added as number
  expect(referencePieces(extended)).toHaveLength(32_000 + added)
  const texts = [
    ...readTexts(TRAINING[0]!),
    ...readTexts(HELD_OUT),
    ...readTexts(path.join(DATA, 'web/zh/news-commentary-v13-en-zh_sampled.tsv')),
    ...ENGLISH.slice(0, 800),
    '𫔰𠀀 a character past the BMP among the added ones, one that is not', '中文 and English 混合'
  ]
  expect(texts.length).toBeGreaterThan(3500)
  const tok = SentencePieceTokenizer.fromFile(extended)
  const { mismatches, tokens } = differencesFromReference(tok, extended, texts)
  expect(mismatches.slice(0, 10)).toEqual([])
  expect(tokens).toBeGreaterThan(500_000)
})

test('adds exactly the most frequent Han characters the base lacks, keeps every base byte and id, and is deterministic', () => {
  const base = referencePieces(BASE)
  const pieces = referencePieces(extended)
  expect(pieces.slice(0, base.length)).toEqual(base)
  // the oracle: a plain character loop, not the regex scan the code uses
  const counts = new Map<string, number>()
  for (const file of TRAINING) for (const text of readTexts(file)) for (const ch of text) if (HAN.test(ch)) counts.set(ch, (counts.get(ch) ?? 0) + 1)
  const inBase = new Set(base)
  const want = [...counts].filter(([ch]) => !inBase.has(ch))
    .sort(([a, m], [b, n]) => n - m || a.codePointAt(0)! - b.codePointAt(0)!).map(([ch]) => ch)
  // the sample holds fewer missing characters than Ziya2's 7,400: all of them are added
  expect(want.length).toBeGreaterThan(3000)
  expect(want.length).toBeLessThan(7400)
  expect(pieces.slice(base.length)).toEqual(want)
  expect(cli.stderr).toMatch(/added 3,362 of --add 7,400 \(the text has no more\)/)

  const bytes = fs.readFileSync(extended)
  const baseBytes = fs.readFileSync(BASE)
  const fields = (b: Uint8Array) => [...protoFields(b)].map(f => ({ field: f.field, bytes: Buffer.from(f.bytes).toString('hex'), int: f.int }))
  const got = fields(bytes)
  expect([...got.slice(0, 32_000), ...got.slice(32_000 + want.length)]).toEqual(fields(baseBytes))
  const model = parseModelProto(bytes)
  expect([...model.types.slice(32_000)].every(t => t === PIECE_TYPE.normal)).toBe(true)
  const added = [...model.scores.slice(32_000)]
  expect(added[0]).toBeLessThan(Math.min(...parseModelProto(baseBytes).scores))
  expect(added.every((s, i) => i === 0 || s < added[i - 1]!)).toBe(true)

  // the training files in the other order count the same, so the file is the same byte for byte
  const again = extendVocabulary(baseBytes, countHan([...TRAINING].reverse().flatMap(f => [...readTexts(f)])), 7400)
  expect(Buffer.compare(Buffer.from(again.bytes), bytes)).toBe(0)
  expect(extendVocabulary(baseBytes, countHan(readTexts(TRAINING[0]!)), 100).added.map(p => p.piece))
    .toEqual(missingIn(TRAINING[0]!, inBase).slice(0, 100))
})

/** The missing characters of one file, most frequent first (ties by code point). */
function missingIn (file: string, inBase: Set<string>): string[] {
  const counts = new Map<string, number>()
  for (const text of readTexts(file)) for (const ch of text) if (HAN.test(ch) && !inBase.has(ch)) counts.set(ch, (counts.get(ch) ?? 0) + 1)
  return [...counts].sort(([a, m], [b, n]) => n - m || a.codePointAt(0)! - b.codePointAt(0)!).map(([ch]) => ch)
}

test('held-out Chinese needs clearly fewer tokens per character; English encodes to the same ids', () => {
  const { eval: e } = JSON.parse(cli.stdout) as { eval: { documents: number, characters: number, baseTokens: number, tokens: number, reduction: number } }
  expect(e.documents).toBeGreaterThan(1500)
  expect(e.reduction).toBeGreaterThan(0.15)
  expect(cli.stderr).toMatch(/eval: \d\.\d{3} -> \d\.\d{3} tokens per character on 1,667 documents \(\d+\.\d% fewer tokens\)/)

  const base = SentencePieceTokenizer.fromFile(BASE)
  const tok = SentencePieceTokenizer.fromFile(extended)
  expect(ENGLISH.length).toBeGreaterThan(1800)
  expect(ENGLISH.filter(t => HAN.test(t))).toEqual([])
  const changed = ENGLISH.filter(t => Buffer.compare(Buffer.from(base.encode(t).buffer), Buffer.from(tok.encode(t).buffer)) !== 0)
  expect(changed).toEqual([])
})

test('a ProtoWriter message reads back field by field', () => {
  const inner = new ProtoWriter().string(1, '𫔰').float(2, -1_000_000_064).varint(3, 300).finish()
  const outer = new ProtoWriter().bytes(1, inner).varint(2 ** 20, 2 ** 31 - 1).finish()
  const [a, b] = [...protoFields(outer)]
  expect(b).toMatchObject({ field: 2 ** 20, int: 2 ** 31 - 1 })
  expect([...protoFields(a!.bytes)].map(f => [f.field, f.field === 1 ? Buffer.from(f.bytes).toString() : f.field === 2 ? f.float : f.int]))
    .toEqual([[1, '𫔰'], [2, -1_000_000_064], [3, 300]])
})

test.each([
  [['--add', '0'], /--add: must be a positive whole number/],
  [['--add', 'many'], /--add: must be a positive whole number/],
  [['--add', '1.5'], /--add: must be a positive whole number/],
  [['--from', path.join(DATA, 'no-such-file.jsonl')], /--from .*no-such-file\.jsonl: no such file/],
  [['--model', path.join(DATA, 'no-such.model')], /--model .*no-such\.model: no such file/],
  [['--model', path.join(DATA, 'tokenizers/chinese-llama-1/chinese_sp.model')], /--model .*chinese_sp\.model: unsupported SentencePiece model: model type unigram/],
  [['--model', path.join(DATA, 'web/zh/chinesewebtext-cc2021-43-cleared1.jsonl')], /--model .*: not a valid protobuf message/]
])('refuses %j before writing anything', async (args, message) => {
  const out = path.join(tmp, 'refused.model')
  const program = new Command('sluice').exitOverride()
  registerTokenizer(program)
  const given = { '--model': BASE, '--add': '10', '--from': TRAINING[0]!, '--out': out }
  for (let i = 0; i < args.length; i += 2) given[args[i] as keyof typeof given] = args[i + 1]!
  const run = program.parseAsync(['node', 'sluice', 'tokenizer', 'extend', ...Object.entries(given).flat()])
  await expect(run).rejects.toThrow(SluiceError)
  await expect(run).rejects.toThrow(message)
  expect(fs.existsSync(out)).toBe(false)
})

test('--sql takes the training text from the lake and gives the model the same text from files gives', async () => {
  const { openDocumentsTable } = await import('../../lake/documents-table.ts')
  const { appendDocs, docs } = await import('../helpers/lake.ts')
  const lake = path.join(tmp, 'lake')
  const zh = docs(path.join(DATA, 'web/zh/CLUECorpusSmall_sampled.txt.gz'), 'zh', '')
  await appendDocs(openDocumentsTable(lake), zh, 'zh')
  const lines = path.join(tmp, 'zh.txt')
  fs.writeFileSync(lines, zh.map(d => d.text).join('\n') + '\n')
  const fromSql = path.join(tmp, 'sql.model')
  const fromFile = path.join(tmp, 'file.model')
  const a = await runCli(['tokenizer', 'extend', '--model', BASE, '--add', '50', '--sql', "SELECT text FROM documents WHERE lang = 'zh' ORDER BY id", '--lake', lake, '--out', fromSql])
  expect(a.code, a.stderr).toBe(0)
  const b = await runCli(['tokenizer', 'extend', '--model', BASE, '--add', '50', '--from', lines, '--out', fromFile])
  expect(b.code, b.stderr).toBe(0)
  expect(fs.readFileSync(fromSql).equals(fs.readFileSync(fromFile))).toBe(true)
  const both = await runCli(['tokenizer', 'extend', '--model', BASE, '--sql', 'select 1', '--from', lines, '--out', path.join(tmp, 'x.model')])
  expect(both.code).toBe(2)
  expect(both.stderr).toContain('--from: give --from <files> or --sql <query>, not both')
}, 60_000)
