import { expect, test } from 'vitest'
import { BestFitPacker } from '../../trainer/pack/best-fit.ts'
import type { PackedSequence, TokenizedSample } from '../../trainer/pack/types.ts'
import { WindowPacker } from '../../trainer/pack/window.ts'

const IDS = { eos: 2, pad: 0 }

/** Seeded samples with token ids 3.. (never EOS or pad), lengths in [min, max]. */
function samples (n: number, min: number, max: number, tasks = ['qa'], seed = 7): TokenizedSample[] {
  let x = seed
  const next = () => { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; return x }
  return Array.from({ length: n }, (_, i) => {
    const len = min + next() % (max - min + 1)
    const tokens = Uint32Array.from({ length: len }, () => 3 + next() % 30000)
    return { docId: `d${i}`, source: 'src', task: tasks[i % tasks.length]!, tokens, promptTokens: Math.min(len, next() % 20) }
  })
}

function run (packer: { push: (s: TokenizedSample) => PackedSequence[], flush: () => PackedSequence[] }, input: TokenizedSample[]): PackedSequence[] {
  return [...input.flatMap(s => packer.push(s)), ...packer.flush()]
}

test('stage 1 windows: documents joined with EOS, cut into full windows, positions and segments restart per document', () => {
  const input = samples(300, 1, 900)
  const seqs = run(new WindowPacker(512, IDS), input)
  const stream = input.flatMap(s => [...s.tokens, IDS.eos])
  expect(seqs.slice(0, -1).every(s => s.tokens.length === 512 && !s.segments.includes(-1))).toBe(true)
  const flat = seqs.flatMap(s => [...s.tokens.subarray(0, s.segments.indexOf(-1) === -1 ? 512 : s.segments.indexOf(-1))])
  expect(flat).toEqual(stream)
  for (const s of seqs) {
    for (const [k, span] of s.spans.entries()) {
      expect([...s.segments.subarray(span.start, span.end)].every(g => g === k)).toBe(true)
      expect([...s.positions.subarray(span.start, span.end)]).toEqual(Array.from({ length: span.end - span.start }, (_, i) => i))
    }
    expect([...s.lossMask]).toEqual([...s.segments].map(g => g === -1 ? 0 : 1))
  }
  // a document cut by a window continues in the next one at the right offset
  const spans = seqs.flatMap(s => s.spans)
  for (const doc of input) {
    const parts = spans.filter(p => p.docId === doc.docId)
    let offset = 0
    for (const p of parts) { expect(p.docOffset).toBe(offset); offset += p.end - p.start }
    expect(offset).toBe(doc.tokens.length + 1)
  }
  expect(seqs.some(s => s.spans[0]!.docOffset > 0)).toBe(true)
})

test('stages 2 and 3: one task per sequence, samples whole, best fit fills sequences, prompts and padding out of the loss', () => {
  const input = samples(400, 20, 700, ['gsm8k', 'ape210k', 'belle'])
  const packer = new BestFitPacker(2048, IDS, { maskPrompts: true, openBins: 8 })
  const seqs = run(packer, input)
  const placed = seqs.flatMap(s => s.spans.map(p => p.docId)).sort()
  expect(placed).toEqual(input.map(s => s.docId).sort())
  const byId = new Map(input.map(s => [s.docId, s]))
  let used = 0
  for (const s of seqs) {
    expect(new Set(s.spans.map(p => p.task)).size).toBe(1)
    for (const [k, span] of s.spans.entries()) {
      const sample = byId.get(span.docId)!
      expect([...s.tokens.subarray(span.start, span.end)]).toEqual([...sample.tokens, IDS.eos])
      expect([...s.lossMask.subarray(span.start, span.end)]).toEqual([...sample.tokens, IDS.eos].map((_, i) => i < sample.promptTokens ? 0 : 1))
      expect(s.segments[span.start]).toBe(k)
      expect(s.positions[span.start]).toBe(0)
    }
    const end = s.spans.at(-1)!.end
    used += end
    expect([...s.tokens.subarray(end)].every(t => t === IDS.pad)).toBe(true)
    expect([...s.lossMask.subarray(end)].every(m => m === 0)).toBe(true)
  }
  // best fit over 8 open sequences, in arrival order, wastes little
  expect(used / (seqs.length * 2048)).toBeGreaterThan(0.9)
  expect(packer.truncated).toBe(0)
})

test('a sample longer than a sequence is cut to fit and counted', () => {
  const packer = new BestFitPacker(64, IDS, { maskPrompts: false, openBins: 2 })
  const [long] = samples(1, 100, 100)
  const [seq] = run(packer, [long!])
  expect([...seq!.tokens]).toEqual([...long!.tokens.subarray(0, 64)])
  expect(packer.truncated).toBe(1)
})

test.each([
  ['window', () => new WindowPacker(300, IDS)],
  ['best fit', () => new BestFitPacker(300, IDS, { maskPrompts: true, openBins: 4 })]
] as const)('%s: a packer restored from its JSON state continues with identical sequences', (_name, make) => {
  const input = samples(200, 1, 250, ['a', 'b'])
  const whole = run(make(), input)
  for (const cut of [1, 57, 133]) {
    const first = make()
    const before = input.slice(0, cut).flatMap(s => first.push(s))
    const second = make()
    second.restore(JSON.parse(JSON.stringify(first.state())))
    expect([...before, ...run(second, input.slice(cut))]).toEqual(whole)
  }
})
