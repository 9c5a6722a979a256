import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { SluiceError } from '../schemas/errors.ts'

/** A supervised or maths example rendered for training: `text` starts with `prompt`. */
export interface RenderedSample {
  /** `<file name>#<record number>[.<instance>]`: stable across runs, names the sample in lineage. */
  id: string
  prompt: string
  text: string
}

/** A question and its answer as read from a record; `code` marks a code sample and names its language. */
export interface QaRecord { question: string, answer: string, code?: string }

/**
 * Ziya2's templates: `问题:{q} 回答:{a}` for Chinese, `Question:{q} Answer:{a}` otherwise; code goes
 * in a fence after its language name, the whole of it the answer to train on.
 */
export function render (r: QaRecord, lang: 'zh' | 'en'): { prompt: string, text: string } {
  if (r.code !== undefined) {
    const prompt = `${r.code}\n\`\`\`${r.code}\n`
    return { prompt, text: `${prompt}${r.question}${r.answer}\n\`\`\`` }
  }
  const prompt = lang === 'zh' ? `问题:${r.question} 回答:` : `Question:${r.question} Answer:`
  return { prompt, text: prompt + r.answer }
}

const str = (v: unknown): string | null => {
  if (typeof v === 'string') return v.trim() === '' ? null : v
  if (typeof v === 'number') return String(v)
  if (Array.isArray(v)) { const parts = v.map(str).filter(p => p !== null); return parts.length > 0 ? parts.join('\n') : null }
  return null
}
const joined = (...parts: Array<string | null>): string => parts.filter(p => p !== null).join('\n')
const first = (r: Record<string, unknown>, fields: string[]): string | null => {
  for (const f of fields) { const v = str(r[f]); if (v !== null) return v }
  return null
}

/** Multiple-choice options as lines under the question: `{A: ..., B: ...}`, a list, or one string. */
function options (v: unknown): string | null {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return Object.entries(v).map(([k, o]) => `${k}. ${String(o)}`).join('\n')
  return str(v)
}

/**
 * The question/answer pairs of one record in the formats of the shared samples: self-instruct and
 * BELLE seed tasks (`instruction` + `instances[{input, output}]`, one pair per instance), Alpaca
 * (`instruction`, `input`, `output`), HumanEval (`prompt`, `canonical_solution`: Python code),
 * Ape210K (`original_text`, `equation`, `ans`), SVAMP (`Body`, `Question`, `Equation`, `Answer`),
 * and question/answer sets under their various names (GSM8K, MATH, CMATH, BELLE eval, MAWPS, CARP,
 * OlympiadBench, multiple choice with `options`). An empty list when the record has no answer to
 * learn from.
 */
export function qaPairs (r: Record<string, unknown>): QaRecord[] {
  const instruction = str(r.instruction)
  if (instruction !== null && Array.isArray(r.instances)) {
    return r.instances.flatMap((i: Record<string, unknown>) => str(i?.output) === null ? [] : [{ question: joined(instruction, str(i.input)), answer: str(i.output)! }])
  }
  if (instruction !== null) return str(r.output) === null ? [] : [{ question: joined(instruction, str(r.input)), answer: str(r.output)! }]
  if (str(r.prompt) !== null && str(r.canonical_solution) !== null) return [{ question: str(r.prompt)!, answer: str(r.canonical_solution)!, code: 'python' }]
  if (str(r.original_text) !== null && str(r.ans) !== null) return [{ question: str(r.original_text)!, answer: joined(str(r.equation), `答案: ${str(r.ans)!}`) }]
  if (str(r.Body) !== null && str(r.Question) !== null && str(r.Answer) !== null) {
    return [{ question: `${str(r.Body)!} ${str(r.Question)!}`, answer: joined(str(r.Equation), str(r.Answer)) }]
  }
  const question = first(r, ['question', 'problem', 'content', 'input'])
  const worked = first(r, ['std_answer', 'solution', 'rationale', 'steps'])
  const final = first(r, ['answer', 'final_answer', 'Answer', 'correct', 'label', 'target'])
  if (question === null || (worked === null && final === null)) return []
  const answer = worked === null ? final! : final === null || worked.includes(final) ? worked : `${worked}\n${final}`
  return [{ question: joined(question, options(r.options)), answer }]
}

/** Records of a JSON lines file, or of a file holding one JSON array (`.gz` decompressed). */
function * records (file: string): Generator<{ record: unknown, line: number }> {
  let body: string
  try {
    const bytes = fs.readFileSync(file)
    body = (file.endsWith('.gz') ? zlib.gunzipSync(bytes) : bytes).toString('utf8')
  } catch (err) {
    throw new SluiceError('io', `${file}: ${(err as Error).message}`, { retryable: false, cause: err })
  }
  if (body.trimStart().startsWith('[')) {
    const all = JSON.parse(body) as unknown[]
    for (const [i, record] of all.entries()) yield { record, line: i + 1 }
    return
  }
  for (const [i, line] of body.split('\n').entries()) {
    if (line.trim() === '') continue
    let record: unknown
    try {
      record = JSON.parse(line)
    } catch (err) {
      throw new SluiceError('bad_json', `${file}:${i + 1}: ${(err as Error).message}`, { retryable: false, cause: err })
    }
    yield { record, line: i + 1 }
  }
}

export interface ReadSamplesOptions {
  /** Template language; by default each sample's question decides (Chinese when it is mostly Han characters). */
  lang?: 'zh' | 'en'
  /** Told of every record that gives no sample (no answer, or not an object), with its line. */
  onSkip?: (line: number, reason: string) => void
}

/**
 * Chinese when Han characters outweigh English words (a Han character counting as three letters, as in
 * langid): maths questions are full of TeX commands and one-letter variables, which are not English.
 */
function templateLanguage (question: string): 'zh' | 'en' {
  const han = question.match(/\p{Script=Han}/gu)?.length ?? 0
  const words = question.replace(/\\[A-Za-z]+/g, ' ').match(/[A-Za-z]{3,}/g) ?? []
  return han * 3 > words.reduce((n, w) => n + w.length, 0) ? 'zh' : 'en'
}

/**
 * The rendered samples of a supervised or maths file, in file order. A record without a question
 * and an answer gives none and is reported to `onSkip`; a file that gives no sample at all is an
 * error, as a plan pointing at the wrong file should stop before training.
 *
 * @example
 * for (const s of readSamples('../shared/data/math/gsm8k-test.jsonl')) console.log(s.text)
 */
export function * readSamples (file: string, opts: ReadSamplesOptions = {}): Generator<RenderedSample> {
  const name = path.basename(file)
  let given = 0
  for (const { record, line } of records(file)) {
    const object = record !== null && typeof record === 'object' && !Array.isArray(record)
    const pairs = object ? qaPairs(record as Record<string, unknown>) : []
    if (pairs.length === 0) opts.onSkip?.(line, object ? 'no question with a non-empty answer' : 'not a JSON object')
    for (const [k, pair] of pairs.entries()) {
      given++
      yield { id: pairs.length === 1 ? `${name}#${line}` : `${name}#${line}.${k}`, ...render(pair, opts.lang ?? templateLanguage(pair.question)) }
    }
  }
  if (given === 0) {
    throw new SluiceError('bad_schema', `${file}: no record with a question and an answer this reader knows (instruction/instances, instruction/output, question/answer, original_text/ans, Body/Question/Answer, prompt/canonical_solution, ...)`, { retryable: false })
  }
}
