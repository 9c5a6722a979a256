import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect, test } from 'vitest'
import { documentSchema } from '../../schemas/document.ts'
import { runCli } from '../helpers/cli.ts'
import { ingestInto, positionOf, topicContents } from '../helpers/ingest.ts'
import { freshPrefix } from '../helpers/kafka.ts'
import { SHARED } from '../helpers/readers.ts'

test('apply ingest writes the same documents that ingest sends to docs.raw, and dead letters beside them', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-apply-'))
  const inputs = [`${SHARED}/web/warc/dolma-sample-0000.warc.gz`, `${SHARED}/web/warc/warcio-fixtures/example-trunc.warc`]
  const out = path.join(dir, 'docs.jsonl')
  const r = await runCli(['apply', 'ingest', '--in', ...inputs, '--out', out])
  expect(r.code, r.stderr).toBe(0)
  const docs = fs.readFileSync(out, 'utf8').trim().split('\n').map(l => documentSchema.parse(JSON.parse(l)))
  const dead = fs.readFileSync(path.join(dir, 'docs.deadletter.jsonl'), 'utf8').trim().split('\n').map(l => JSON.parse(l))
  expect(r.stderr).toContain(`${docs.length} docs to ${out}, ${dead.length} dead-lettered`)

  const prefix = freshPrefix('apply')
  await ingestInto(prefix, inputs)
  const sent = await topicContents(prefix)
  expect(docs.map(positionOf).sort()).toEqual(sent.raw.map(s => positionOf(s.record)).sort())
  const byPosition = new Map(sent.raw.map(s => [positionOf(s.record), s.record]))
  for (const doc of docs) {
    const raw = byPosition.get(positionOf(doc))!
    expect(doc.id).toBe(raw.id)
    expect(doc.url).toBe(raw.url)
    expect(doc.fetched_at).toBe(raw.fetched_at)
    expect(doc.decision).toBe('keep')
    expect(doc.html?.length ?? 0).toBeGreaterThan(0)
  }
  expect(dead.map(d => d.code).sort()).toEqual(sent.dead.map(d => d.letter.code).sort())
  expect(docs.filter(d => d.provenance.file!.endsWith('dolma-sample-0000.warc.gz'))).toHaveLength(24)
})
