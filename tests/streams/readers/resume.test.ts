import { expect, test } from 'vitest'
import { ingestConfigSchema } from '../../../schemas/config.ts'
import { readInput } from '../../../streams/readers/index.ts'
import { collect, records, SHARED } from '../../helpers/readers.ts'

const file = `${SHARED}/web/warc/resiliparse-warcfile.warc.gz`
const config = ingestConfigSchema.parse({})

test('resuming a gzipped WARC after its warcinfo gives the records an uninterrupted read gives, crawl id included', async () => {
  const all = await collect(readInput(file, { config, startOffset: 0 }))
  const cut = 5
  const last = all[cut - 1]!
  expect(records([last])[0]!.crawl_id).toBe('CC-MAIN-2020-34')
  const resumed = await collect(readInput(file, { config, startOffset: last.end, resumeCrawlId: 'CC-MAIN-2020-34' }))
  expect(resumed).toEqual(all.slice(cut).map(i => ({ ...i, ...(i.kind === 'deadletter' ? { letter: { ...i.letter, at: expect.any(String) } } : {}) })))
  // without the inherited crawl id the resumed records would differ: the warcinfo is behind the resume point
  const orphan = records(await collect(readInput(file, { config, startOffset: last.end })))
  expect(orphan[0]!.crawl_id).toBeNull()
})
