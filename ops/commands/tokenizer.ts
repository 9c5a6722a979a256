import fs from 'node:fs'
import readline from 'node:readline'
import zlib from 'node:zlib'
import type { Command } from 'commander'
import { z } from 'zod'
import { SluiceError } from '../../schemas/errors.ts'
import type { SentencePieceTokenizer } from '../../trainer/tokenizer/tokenizer.ts'
import { formatBytes, formatCount, log } from '../log.ts'
import { rate, startProgress } from '../progress.ts'
import { validate } from './options.ts'

/** Bad lines reported one by one; past this only counted, so a wrong input file cannot flood the terminal. */
const REPORTED_BAD_LINES = 20

const schema = z.strictObject({
  model: z.string().min(1),
  in: z.string().min(1),
  out: z.string().min(1)
})
type Options = z.output<typeof schema>

function checked (raw: Record<string, unknown>): Options {
  const o = validate(schema, raw, { model: '--model', in: '--in', out: '--out' })
  for (const [flag, file] of [['--model', o.model], ['--in', o.in]] as const) {
    if (!fs.existsSync(file)) throw new SluiceError('config', `${flag} ${file}: no such file`, { retryable: false })
  }
  return o
}

async function encodeFile (o: Options): Promise<void> {
  const { SentencePieceTokenizer } = await import('../../trainer/tokenizer/tokenizer.ts')
  const tok = SentencePieceTokenizer.fromFile(o.model)
  const started = Date.now()
  const input = fs.createReadStream(o.in)
  const lines = readline.createInterface({ input: o.in.endsWith('.gz') ? input.pipe(zlib.createGunzip()) : input, crlfDelay: Infinity })
  const output = fs.createWriteStream(o.out)
  const failed = new Promise<never>((_resolve, reject) => output.on('error', err => reject(new SluiceError('io', `cannot write --out ${o.out}: ${err.message}`, { retryable: false, cause: err }))))
  failed.catch(() => {})
  const n = { lines: 0, docs: 0, tokens: 0, bytes: 0, bad: 0 }
  const bad = (reason: string) => {
    if (++n.bad <= REPORTED_BAD_LINES) log(`tokenizer encode: ${o.in} line ${n.lines}: ${reason}; skipped`)
  }
  const progress = startProgress(() => `tokenizer encode: ${formatCount(n.docs)} docs, ${formatCount(n.tokens)} tokens, ${formatCount(Math.round(rate(n.tokens, started)))} tokens/s`)
  try {
    for await (const line of lines) {
      n.lines++
      if (line.trim() === '') continue
      let record: unknown
      try { record = JSON.parse(line) } catch (err) { bad(`not JSON (${(err as Error).message})`); continue }
      if (record === null || typeof record !== 'object' || Array.isArray(record)) { bad('not a JSON object'); continue }
      const { id, text } = record as { id?: unknown, text?: unknown }
      if (typeof text !== 'string') { bad(text === undefined ? 'no text field' : 'text is not a string'); continue }
      const ids = tok.encode(text)
      n.docs++
      n.tokens += ids.length
      n.bytes += Buffer.byteLength(text)
      // backpressure: wait for the file to take what it has before encoding more
      if (!output.write(`{"id":${JSON.stringify(id ?? null)},"ids":[${ids.join(',')}]}\n`)) await Promise.race([new Promise<void>(resolve => output.once('drain', () => resolve())), failed])
    }
    await Promise.race([new Promise<void>(resolve => output.end(resolve)), failed])
  } catch (err) {
    output.destroy()
    if (err instanceof SluiceError) throw err
    throw new SluiceError('io', `cannot read --in ${o.in}: ${(err as Error).message}`, { retryable: false, cause: err })
  } finally {
    progress.stop()
  }
  const seconds = (Date.now() - started) / 1000
  log(`tokenizer encode: ${formatCount(n.docs)} docs (${formatBytes(n.bytes)}) into ${formatCount(n.tokens)} tokens in ${seconds.toFixed(1)} s ` +
    `(${formatCount(Math.round(n.tokens / Math.max(seconds, 1e-3)))} tokens/s); ${formatCount(n.bad)} bad lines skipped${n.bad > REPORTED_BAD_LINES ? ` (first ${REPORTED_BAD_LINES} shown)` : ''}; wrote ${o.out}`)
  process.stdout.write(JSON.stringify({ docs: n.docs, tokens: n.tokens, bytes: n.bytes, badLines: n.bad, seconds }) + '\n')
}

const extendSchema = z.strictObject({
  model: z.string().min(1),
  add: z.string().regex(/^0*[1-9]\d*$/, 'must be a positive whole number, e.g. 7400').transform(Number),
  from: z.array(z.string().min(1)).min(1).optional(),
  sql: z.string().min(1).optional(),
  lake: z.string().min(1).default('./lake'),
  out: z.string().min(1),
  eval: z.array(z.string().min(1)).min(1).optional()
}).refine(o => (o.from === undefined) !== (o.sql === undefined), { message: 'give --from <files> or --sql <query>, not both', path: ['from'] })
type ExtendOptions = z.output<typeof extendSchema>

/** Validates the options and that the base model is one the tokenizer encodes, before anything is read or written. */
async function checkedExtend (raw: Record<string, unknown>): Promise<ExtendOptions> {
  const o = validate(extendSchema, raw, { model: '--model', add: '--add', from: '--from', sql: '--sql', lake: '--lake', out: '--out', eval: '--eval' })
  for (const [flag, files] of [['--model', [o.model]], ['--from', o.from ?? []], ['--eval', o.eval ?? []]] as const) {
    for (const file of files) if (!fs.existsSync(file)) throw new SluiceError('config', `${flag} ${file}: no such file`, { retryable: false })
  }
  const { SentencePieceTokenizer } = await import('../../trainer/tokenizer/tokenizer.ts')
  try {
    SentencePieceTokenizer.fromFile(o.model)
  } catch (err) {
    if (!(err instanceof SluiceError)) throw err
    throw new SluiceError(err.code, `--model ${o.model}: ${err.message} (extend a SentencePiece BPE model such as LLaMA-2's tokenizer.model)`, { retryable: false, cause: err })
  }
  return o
}

/** Tokens per character of `texts` under the base and the extended tokenizer. */
function tokensPerCharacter (texts: Iterable<string>, base: SentencePieceTokenizer, extended: SentencePieceTokenizer) {
  const n = { documents: 0, characters: 0, baseTokens: 0, tokens: 0 }
  for (const text of texts) {
    n.documents++
    // code points, not UTF-16 units: a character beyond the BMP is one character
    for (const _ of text) n.characters++
    n.baseTokens += base.encode(text).length
    n.tokens += extended.encode(text).length
  }
  return { ...n, reduction: 1 - n.tokens / Math.max(n.baseTokens, 1) }
}

async function extendModel (o: ExtendOptions): Promise<void> {
  const { countHan, extendVocabulary } = await import('../../trainer/tokenizer/extend.ts')
  const { SentencePieceTokenizer } = await import('../../trainer/tokenizer/tokenizer.ts')
  const { parseModelProto } = await import('../../trainer/tokenizer/model.ts')
  const { lakeTexts, readTexts } = await import('./quality-lm.ts')
  const started = Date.now()
  const skipped = { count: 0 }
  const training = { documents: 0 }
  function * texts (files: readonly string[], what: string, tally = { documents: 0 }): Generator<string> {
    for (const file of files) {
      log(`tokenizer extend: reading ${what} ${file}`)
      for (const text of readTexts(file, undefined, skipped)) { tally.documents++; yield text }
    }
  }
  const fromLake = o.sql === undefined ? null : await lakeTexts(o.lake, o.sql)
  if (fromLake !== null) training.documents = fromLake.length
  const counts = countHan(fromLake ?? texts(o.from!, 'training text', training))
  const base = fs.readFileSync(o.model)
  const ext = extendVocabulary(base, counts, o.add)
  // the written model must load in the tokenizer it is for; a failure here is a bug, not bad input
  const extended = new SentencePieceTokenizer(parseModelProto(ext.bytes))
  try {
    fs.writeFileSync(`${o.out}.tmp`, ext.bytes)
    fs.renameSync(`${o.out}.tmp`, o.out)
  } catch (err) {
    throw new SluiceError('io', `cannot write --out ${o.out}: ${(err as Error).message}`, { retryable: false, cause: err })
  }
  const evaluation = o.eval === undefined ? undefined : tokensPerCharacter(texts(o.eval, 'held-out text'), SentencePieceTokenizer.fromFile(o.model), extended)
  const seconds = (Date.now() - started) / 1000
  const added = ext.added
  const first = ext.baseVocabSize
  log(`tokenizer extend: ${formatCount(ext.hanCharacters)} Han characters (${formatCount(ext.distinctHan)} distinct) in ${formatCount(training.documents)} documents; ` +
    `the base lacks ${formatCount(ext.missingHan)}; ` +
    `added ${formatCount(added.length)}${added.length < o.add ? ` of --add ${formatCount(o.add)} (the text has no more)` : ''}` +
    `${added.length > 0 ? ` as ids ${formatCount(first)}..${formatCount(first + added.length - 1)} (seen ${formatCount(added[0]!.count)}..${formatCount(added.at(-1)!.count)} times)` : ''}; ` +
    `vocabulary ${formatCount(first)} -> ${formatCount(extended.vocabSize)}` +
    (evaluation === undefined
      ? ''
      : `; eval: ${(evaluation.baseTokens / Math.max(evaluation.characters, 1)).toFixed(3)} -> ${(evaluation.tokens / Math.max(evaluation.characters, 1)).toFixed(3)} tokens per character ` +
        `on ${formatCount(evaluation.documents)} documents (${(evaluation.reduction * 100).toFixed(1)}% fewer tokens)`) +
    `${skipped.count > 0 ? `; ${formatCount(skipped.count)} records without a text field skipped` : ''}; wrote ${o.out} in ${seconds.toFixed(1)} s`)
  process.stdout.write(JSON.stringify({
    baseVocabSize: first, vocabSize: extended.vocabSize, added: added.length, documents: training.documents, skipped: skipped.count,
    hanCharacters: ext.hanCharacters, distinctHan: ext.distinctHan, missingHan: ext.missingHan, eval: evaluation, seconds
  }) + '\n')
}

/** `sluice tokenizer ...`: the trainer's SentencePiece tokenizer. */
export function registerTokenizer (program: Command): void {
  const tokenizer = program.command('tokenizer')
    .description('the SentencePiece BPE tokenizer the trainer uses (token for token the same ids as the Python sentencepiece library)')
  tokenizer.command('encode')
    .description('tokenize a JSON-lines file of {id, text} into {id, ids} lines (no BOS/EOS)')
    .requiredOption('--model <file>', 'SentencePiece BPE model (ModelProto), e.g. a LLaMA tokenizer.model')
    .requiredOption('--in <file.jsonl>', 'input: one {"id": ..., "text": "..."} object a line (.gz read as gzip)')
    .requiredOption('--out <file.jsonl>', 'output: one {"id": ..., "ids": [...]} object a line, in input order')
    .addHelpText('after', '\nLines that are not JSON objects with a string text are reported with their line number and skipped;\n' +
      'the id is copied as given (null when absent). A summary goes to stderr, and as JSON to stdout.\n\n' +
      'Example:\n  sluice tokenizer encode --model ../shared/data/tokenizers/chinese-llama-2/tokenizer.model --in docs.jsonl --out tokens.jsonl\n')
    .action(async (raw: Record<string, unknown>) => { await encodeFile(checked(raw)) })
  tokenizer.command('extend')
    .description('Ziya2 vocabulary extension: append the most frequent Han characters of a text that a base model lacks as new pieces')
    .requiredOption('--model <base.model>', 'base SentencePiece BPE model (ModelProto), e.g. LLaMA-2\'s tokenizer.model')
    .option('--add <n>', 'how many characters to add at most (Ziya2 added 7,400 to LLaMA-2)', '7400')
    .option('--from <files...>', 'text to count characters in: JSON lines with a text field, or one document a line (.gz read as gzip)')
    .option('--sql <query>', 'instead: text from the lake, the query\'s `text` column (views as in sluice sql)')
    .option('--lake <dir>', 'the lake folder (with --sql)', './lake')
    .requiredOption('--out <new.model>', 'the extended model: the base file with the new pieces appended, ids of base pieces unchanged')
    .option('--eval <files...>', 'held-out text: report tokens per character under the base and the extended model')
    .addHelpText('after', '\nCharacters are ranked by count, ties by code point, so the same inputs give a byte-identical model.\n' +
      'Every field of the base file is kept byte for byte. A summary goes to stderr, and as JSON to stdout.\n' +
      'Text from the lake: --sql "select text from documents where lang = \'zh\' and decision = \'keep\'".\n\n' +
      'Example:\n  sluice tokenizer extend --model ../shared/data/tokenizers/llama2/tokenizer.model --add 7400 \\\n' +
      '    --from ../shared/data/web/zh/chinesewebtext-cc2021-43-cleared1.jsonl ../shared/data/web/zh/CLUECorpusSmall_sampled.txt.gz \\\n' +
      '    --eval ../shared/data/web/zh/zhwiki_sampled.txt.gz --out ziya2.model\n')
    .action(async (raw: Record<string, unknown>) => { await extendModel(await checkedExtend(raw)) })
}
