/**
 * Tokenizer speed: the same Chinese and English web texts through this tokenizer and through the
 * Python sentencepiece library (C++), one process each, one core. Run from the repository root:
 *   npx tsx trainer/tokenizer/bench.ts
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { readTexts } from '../../ops/commands/quality-lm.ts'
import { SentencePieceTokenizer } from './tokenizer.ts'

const DATA = '../shared/data'
const MODELS = ['tokenizers/llama2/tokenizer.model', 'tokenizers/chinese-llama-2/tokenizer.model']
const TEXTS = {
  zh: ['web/zh/chinesewebtext-cc2021-43-cleared1.jsonl', 'web/zh/CLUECorpusSmall_sampled.txt.gz', 'web/zh/zhwiki_sampled.txt.gz'],
  en: ['web/en/olmo-c4-sample.01.json.gz', 'web/en/olmo-c4-sample.02.json.gz', 'web/en/dolma-cc_en_head-0091.jsonl.gz',
    'web/en/olmo-c4_100_domains-theguardian.jsonl.gz', 'web/en/html_extraction/cleaneval-final.tar.gz']
}

const PYTHON = `
import json, sys, time
import sentencepiece as spm
sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
texts = [json.loads(l) for l in open(sys.argv[2], encoding='utf-8')]
start = time.perf_counter()
tokens = sum(len(sp.encode(t)) for t in texts)
print(json.dumps({'tokens': tokens, 'seconds': time.perf_counter() - start}))
`

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-tokenizer-bench-'))
try {
  for (const model of MODELS) {
    const tok = SentencePieceTokenizer.fromFile(path.join(DATA, model))
    for (const [lang, files] of Object.entries(TEXTS)) {
      const texts = files.flatMap(f => [...readTexts(path.join(DATA, f))])
      const mb = texts.reduce((n, t) => n + Buffer.byteLength(t), 0) / 1e6
      const input = path.join(tmp, `${lang}.jsonl`)
      fs.writeFileSync(input, texts.map(t => JSON.stringify(t)).join('\n') + '\n')
      const runs = [0, 1].map(() => {
        const start = process.hrtime.bigint()
        let tokens = 0
        for (const t of texts) tokens += tok.encode(t).length
        return { tokens, seconds: Number(process.hrtime.bigint() - start) / 1e9 }
      })
      const py = spawnSync('python3', ['-c', PYTHON, path.join(DATA, model), input], { encoding: 'utf8' })
      if (py.status !== 0) throw new Error(`python3 sentencepiece failed: ${py.stderr}`)
      const ref = JSON.parse(py.stdout) as { tokens: number, seconds: number }
      const line = (what: string, r: { tokens: number, seconds: number }) =>
        `${what} ${(r.tokens / r.seconds / 1e6).toFixed(2)}M tokens/s ${(mb / r.seconds).toFixed(1)} MB/s`
      console.log(`${path.basename(path.dirname(model))} ${lang}: ${texts.length} docs ${mb.toFixed(1)} MB ${runs[0]!.tokens} tokens | ` +
        `${line('ts cold cache', runs[0]!)} | ${line('ts warm', runs[1]!)} | ${line('python', ref)} | ratio ${(ref.seconds / runs[0]!.seconds).toFixed(2)}x`)
    }
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true })
}
