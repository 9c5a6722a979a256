import fs from 'node:fs'
import readline from 'node:readline'
import zlib from 'node:zlib'
import type { Command } from 'commander'
import { z } from 'zod'
import { SluiceError } from '../../schemas/errors.ts'
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
}
