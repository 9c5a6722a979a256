import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { SentencePieceTokenizer } from '../../trainer/tokenizer/tokenizer.ts'

const ENCODE = `
import json, sys
import sentencepiece as spm
sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
with open(sys.argv[2], encoding='utf-8') as f, open(sys.argv[3], 'w', encoding='utf-8') as out:
    for line in f:
        ids = sp.encode(json.loads(line))
        out.write(json.dumps([ids, sp.decode(ids)], ensure_ascii=False) + '\\n')
`

const PIECES = `
import json, sys
import sentencepiece as spm
sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
with open(sys.argv[3], 'w', encoding='utf-8') as out:
    json.dump([sp.id_to_piece(i) for i in range(sp.get_piece_size())], out, ensure_ascii=False)
`

/** Runs a script of the Python sentencepiece library on `model` and `input` in a scratch folder; throws (never skips) when the library is missing. */
function python (script: string, model: string, input: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sentencepiece-'))
  try {
    const inFile = path.join(dir, 'in.jsonl')
    const outFile = path.join(dir, 'out.json')
    fs.writeFileSync(inFile, input)
    const r = spawnSync('python3', ['-c', script, model, inFile, outFile], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`the Python sentencepiece reference failed (python3 -m pip install sentencepiece): ${r.error?.message ?? r.stderr}`)
    return fs.readFileSync(outFile, 'utf8')
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** Ids and decoded text of each text from the Python sentencepiece library (`sp.encode(text)`, `sp.decode(ids)`). */
export function referenceEncode (model: string, texts: string[]): { ids: number[], text: string }[] {
  const lines = python(ENCODE, model, texts.map(t => JSON.stringify(t)).join('\n') + '\n')
  return lines.trimEnd().split('\n').map(l => { const [ids, text] = JSON.parse(l) as [number[], string]; return { ids, text } })
}

/** Every piece of `model` by id, as the Python sentencepiece library loads it. */
export function referencePieces (model: string): string[] {
  return JSON.parse(python(PIECES, model, '')) as string[]
}

/**
 * Encodes and decodes `texts` with `tok` and with the Python library on `model`; each text that
 * differs in ids or decoded text is described by where it first differs.
 */
export function differencesFromReference (tok: SentencePieceTokenizer, model: string, texts: string[]): { mismatches: string[], tokens: number } {
  const want = referenceEncode(model, texts)
  if (want.length !== texts.length) throw new Error(`the reference answered ${want.length} of ${texts.length} texts`)
  const mismatches: string[] = []
  let tokens = 0
  texts.forEach((text, i) => {
    const ids = tok.encode(text)
    tokens += ids.length
    const ref = want[i]!
    if (ids.length !== ref.ids.length || ids.some((id, k) => id !== ref.ids[k])) {
      const at = ref.ids.findIndex((id, k) => id !== ids[k])
      mismatches.push(`text ${i} ${JSON.stringify(text.slice(0, 60))}: first difference at token ${at}: ours ${JSON.stringify([...ids.slice(at, at + 5)])}, reference ${JSON.stringify(ref.ids.slice(at, at + 5))}`)
    } else if (tok.decode(ids) !== ref.text) {
      mismatches.push(`text ${i} ${JSON.stringify(text.slice(0, 60))}: decodes to ${JSON.stringify(tok.decode(ids).slice(0, 80))}, reference ${JSON.stringify(ref.text.slice(0, 80))}`)
    }
  })
  return { mismatches, tokens }
}
