import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect, test } from 'vitest'
import { runCli } from '../helpers/cli.ts'
import { expectedItems, topicContents } from '../helpers/ingest.ts'
import { freshPrefix, testBrokers } from '../helpers/kafka.ts'
import { SHARED } from '../helpers/readers.ts'

test('run: the main job ingests, carries every record into the lake and prints a summary and an audit that match', async () => {
  const lake = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-run-'))
  // the same pages crawled again: the dedup stage marks every one of them
  const recrawled = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-run-again-')), 'c4-recrawl.json.gz')
  fs.copyFileSync(`${SHARED}/web/en/olmo-c4-sample.01.json.gz`, recrawled)
  const inputs = [`${SHARED}/web/warc`, `${SHARED}/web/en/olmo-c4-sample.01.json.gz`, recrawled]
  const prefix = freshPrefix('run')
  const args = ['run', ...inputs, '--brokers', testBrokers().join(','), '--topic-prefix', prefix, '--lake', lake, '--idle-ms', '1500', '--models', 'none']
  const r = await runCli(args)
  expect(r.code, r.stderr).toBe(0)
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!)
  const got = await topicContents(prefix)
  const expected = await expectedItems(inputs)
  expect(out.stages.ingest.records).toBe(got.raw.length)
  expect(out.stages.ingest.deadLetters).toBe(got.dead.length)
  expect(got.raw).toHaveLength(expected.records.length)
  expect(r.stderr).toMatch(new RegExp(`ingested ${expected.records.length} docs .* into ${prefix.replace(/\./g, '\\.')}docs\\.raw`))

  // every raw record is one document in the lake (normalized, filtered, kept or marked drop), every dead letter one row of deadletter
  expect(out.stages.normalize).toMatchObject({ received: got.raw.length, sent: got.raw.length, deadLetters: 0 })
  expect(out.stages.score.received).toBe(got.raw.length)
  expect(out.stages.score.sent + out.stages.score.dropped).toBe(got.raw.length)
  expect(out.stages.dedup.received).toBe(got.raw.length)
  expect(out.stages.dedup.sent + out.stages.dedup.dropped).toBe(got.raw.length)
  expect(out.stages.lake).toMatchObject({ documents: got.raw.length, deadLetters: got.dead.length, rejected: 0 })
  const decisions = await runCli(['sql', "select count(*) filter (where decision = 'drop' and reason like 'filter:%') as filtered, count(*) filter (where reason like 'dedup:%' and dup_of is not null) as dups, count(*) filter (where lang is null) as nolang from documents", '--lake', lake, '--format', 'csv'])
  expect(decisions.stdout).toBe(`filtered,dups,nolang\n${out.stages.score.dropped},${out.stages.dedup.dropped},0\n`)
  // each page the filters kept is kept once: whichever copy the dedup stage saw second is marked, pointing at the first
  const pairs = await runCli(['sql', "select count(*) as pages, count(*) filter (where kept = 1 and dups = 1) as once from (select id, count(*) filter (where decision = 'keep') as kept, count(*) filter (where reason like 'dedup:%' and dup_of = id) as dups from documents where provenance.file like '%c4-%' group by id having count(*) filter (where reason like 'filter:%') = 0)", '--lake', lake, '--format', 'csv'])
  const [pages, once] = pairs.stdout.trim().split('\n')[1]!.split(',').map(Number)
  expect(pages).toBeGreaterThan(0)
  expect(once).toBe(pages)
  const count = await runCli(['sql', 'select count(*) as n, count(distinct id) as ids from documents', '--lake', lake, '--format', 'csv'])
  expect(count.stdout).toBe(`n,ids\n${got.raw.length},${new Set(got.raw.map(x => x.record.id)).size}\n`)
  const dead = await runCli(['sql', 'select count(*) as n from deadletter', '--lake', lake, '--format', 'csv'])
  expect(dead.stdout).toBe(`n\n${got.dead.length}\n`)
  expect(out.audit.totals).toMatchObject({ documents: got.raw.length, deadLetters: got.dead.length })
  expect(r.stderr).toContain(`audit of ${lake}`)

  // a second run of the same command finds everything done and changes nothing in the lake
  const again = await runCli(args)
  expect(again.code, again.stderr).toBe(0)
  const second = JSON.parse(again.stdout.trim().split('\n').pop()!)
  expect(second.stages.ingest.records).toBe(0)
  expect(second.stages.lake.documents).toBe(0)
  expect(second.audit.totals.documents).toBe(got.raw.length)
})
