import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect, test } from 'vitest'
import { readSamples, render } from '../../trainer/samples.ts'
import { SHARED } from '../helpers/readers.ts'

test("Ziya2's templates: 问题/回答 for Chinese, Question/Answer otherwise, code fenced after its language", () => {
  expect(render({ question: '1+1等于几？', answer: '2' }, 'zh')).toEqual({ prompt: '问题:1+1等于几？ 回答:', text: '问题:1+1等于几？ 回答:2' })
  expect(render({ question: 'What is 1+1?', answer: '2' }, 'en')).toEqual({ prompt: 'Question:What is 1+1? Answer:', text: 'Question:What is 1+1? Answer:2' })
  expect(render({ question: 'def f():\n', answer: '    return 1\n', code: 'python' }, 'en').text).toBe('python\n```python\ndef f():\n    return 1\n\n```')
})

test('the shared supervised, maths and code samples render, one sample per instance, with stable ids', () => {
  const gsm8k = [...readSamples(`${SHARED}/math/gsm8k-test.jsonl`)]
  expect(gsm8k).toHaveLength(1319)
  expect(gsm8k[0]!.id).toBe('gsm8k-test.jsonl#1')
  expect(gsm8k[0]!.text).toMatch(/^Question:Janet’s ducks lay 16 eggs per day\..* Answer:Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day\.\n.*#### 18$/s)
  expect(gsm8k.every(s => s.text.startsWith(s.prompt) && s.text.length > s.prompt.length)).toBe(true)

  const ape = [...readSamples(`${SHARED}/math/ape210k-valid.ape.json.gz`)]
  expect(ape[0]!.text).toBe('问题:学校把135本练习本平均分给3个班，每班多少本？ 回答:x=135/3\n答案: 45')
  // a Chinese question full of LaTeX still gets the Chinese template
  const gaokao = [...readSamples(`${SHARED}/math/qwen-math-eval/gaokao2024_mix.jsonl`)]
  expect(gaokao[0]!.prompt).toMatch(/^问题:已知集合/)

  const seeds = [...readSamples(`${SHARED}/instruct/self-instruct-seed_tasks.jsonl`)]
  const instances = fs.readFileSync(`${SHARED}/instruct/self-instruct-seed_tasks.jsonl`, 'utf8').trim().split('\n').reduce((n, l) => n + JSON.parse(l).instances.length, 0)
  expect(seeds).toHaveLength(instances)
  expect(new Set(seeds.map(s => s.id)).size).toBe(seeds.length)

  const code = [...readSamples(`${SHARED}/code/HumanEval.jsonl.gz`)]
  expect(code).toHaveLength(164)
  expect(code[0]!.text).toMatch(/^python\n```python\nfrom typing import List\n[\s\S]*\n```$/)
})

test('records without an answer are reported, not silently lost; a file with no samples is an error', () => {
  const skipped: number[] = []
  const belle = [...readSamples(`${SHARED}/instruct/belle-eval_set.json`, { onSkip: line => skipped.push(line) })]
  const lines = fs.readFileSync(`${SHARED}/instruct/belle-eval_set.json`, 'utf8').trim().split('\n').map(l => JSON.parse(l))
  expect(skipped).toEqual(lines.flatMap((r, i) => r.std_answer.trim() === '' ? [i + 1] : []))
  expect(belle.length + skipped.length).toBe(lines.length)

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-samples-'))
  fs.writeFileSync(path.join(dir, 'web.jsonl'), '{"text": "just a page"}\n')
  expect(() => [...readSamples(path.join(dir, 'web.jsonl'))]).toThrow(/web\.jsonl: no record with a question and an answer/)
  fs.writeFileSync(path.join(dir, 'broken.jsonl'), '{"question": "q", "answer": "a"}\n{"question": \n')
  expect(() => [...readSamples(path.join(dir, 'broken.jsonl'))]).toThrow(/broken\.jsonl:2: /)
})
