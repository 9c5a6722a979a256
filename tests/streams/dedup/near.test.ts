import { expect, test } from 'vitest'
import { NearDeduper, nearDedup } from '../../../streams/dedup/near.ts'
import { collectingContext } from '../../../streams/operator.ts'
import type { Document } from '../../../schemas/document.ts'
import { SluiceError } from '../../../schemas/errors.ts'

const base = Array.from({ length: 200 }, (_, i) => `word${i % 97} item${i}`).join(' ')
const edited = base.replace('item150', 'itemX')

for (const method of ['minhash', 'simhash'] as const) {
  test(`${method}: the earliest document is kept and later near duplicates point to it`, () => {
    const d = new NearDeduper({ method })
    expect(d.next('a', base, 'en')).toBeNull()
    expect(d.next('b', 'a different text entirely about other things and more words here', 'en')).toBeNull()
    expect(d.next('c', edited, 'en')).toMatchObject({ dupOf: 'a' })
    expect(d.next('d', base, 'en')).toMatchObject({ dupOf: 'a', similarity: 1 })
  })

  test(`${method}: a document seen again under its own id is not its own duplicate`, () => {
    const d = new NearDeduper({ method })
    expect(d.next('a', base, 'en')).toBeNull()
    expect(d.next('a', base, 'en')).toBeNull()
    expect(d.next('b', base, 'en')).toMatchObject({ dupOf: 'a' })
  })
}

test('the operator drops duplicates with dup_of, cluster_id and similarity; kept ones pass untouched', async () => {
  const doc = (id: string, text: string): Document => ({ id, text, lang: 'en', signals: {}, decision: 'keep', reason: null, dup_of: null, cluster_id: null } as unknown as Document)
  const ctx = collectingContext<Document>()
  async function * input () { yield doc('a', base); yield doc('b', edited) }
  const out: Document[] = []
  for await (const d of nearDedup()(input(), ctx)) out.push(d)
  expect(out.map(d => d.id)).toEqual(['a'])
  expect(ctx.dropped[0]!.item).toMatchObject({ id: 'b', dup_of: 'a', cluster_id: 'a', decision: 'drop', reason: 'dedup:near' })
  expect(ctx.dropped[0]!.item.signals.dedup_similarity).toBeGreaterThan(0.9)
  expect(ctx.stats).toMatchObject({ received: 2, forwarded: 1, 'dropped_dedup:near': 1 })
})

test('config errors name the field', () => {
  expect(() => new NearDeduper({ method: 'lsh' })).toThrow(SluiceError)
  expect(() => new NearDeduper({ simhash: { blocks: 4, maxHamming: 4 } })).toThrow(/simhash.maxHamming: maxHamming must be below blocks/)
  expect(() => new NearDeduper({ minhash: { bands: 0 } })).toThrow(/minhash.bands/)
  expect(() => new NearDeduper({ minhash: { threshold: 1.5 } })).toThrow(/minhash.threshold/)
  expect(new NearDeduper({}).config.minhash).toMatchObject({ bands: 14, rows: 8, threshold: 0.8 })
})
