import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { auditLake, auditText } from '../../lake/audit.ts'
import { dedupClusterRow } from '../../lake/dedup-clusters-table.ts'
import { IcebergTable } from '../../lake/iceberg/table.ts'
import { currentSnapshot } from '../../lake/iceberg/metadata.ts'
import { snapshotOffsets } from '../../lake/offsets.ts'
import { openLake } from '../../lake/sql.ts'
import { runLakeSink } from '../../lake/sink.ts'
import { topicsConfigSchema } from '../../schemas/config.ts'
import type { Document, SignalValue } from '../../schemas/document.ts'
import { ensureTopics, topicNames } from '../../streams/kafka/topics.ts'
import { openTransactionalProducer } from '../../streams/kafka/tx-producer.ts'
import { runCli } from '../helpers/cli.ts'
import { freshPrefix, testBrokers, testKafka } from '../helpers/kafka.ts'

const AT = { topic: 'docs.curated', partition: 2, offset: 41 }

function doc (id: string, over: Partial<Document> = {}, signals: Record<string, SignalValue> = {}): Document {
  return {
    schema_version: 1, id, url: `https://example.com/${id}`, source: 'web', crawl_id: null, fetched_at: null,
    ingested_at: '2026-11-28T08:00:00.000Z', lang: 'en', text: `text of ${id}`, html: null, content_type: 'text/plain',
    signals: { quality: 0.5, ...signals }, decision: 'keep', reason: null, dup_of: null, cluster_id: null, meta: null,
    provenance: { file: '/data/in.jsonl', offset: 7, length: 3, topic: null, partition: null, kafka_offset: null },
    ...over
  }
}

const drop = (id: string, reason: string, dupOf: string | null, signals: Record<string, SignalValue>, cluster: string | null = null) =>
  doc(id, { decision: 'drop', reason, dup_of: dupOf, cluster_id: cluster }, signals)
const url = (id: string, of: string | null) => drop(id, 'dedup:url', of, { dedup_url_seen: true })
const exact = (id: string, of: string | null) => drop(id, 'dedup:exact', of, { dedup_exact_seen: true })
const near = (id: string, of: string, similarity: number) => drop(id, 'dedup:near', of, { dedup_similarity: similarity }, of)

describe('dedupClusterRow', () => {
  test('a near duplicate: its cluster, representative, reason without the prefix and similarity; the Kafka position it was read from', () => {
    expect(dedupClusterRow(near('n', 'r', 0.87), AT)).toEqual({
      schema_version: 1, cluster_id: 'r', document_id: 'n', representative_id: 'r', reason: 'near', similarity: 0.87,
      url: 'https://example.com/n', source: 'web', lang: 'en', ingested_at: '2026-11-28T08:00:00.000Z',
      provenance: { file: '/data/in.jsonl', offset: 7, length: 3, topic: 'docs.curated', partition: 2, kafka_offset: 41 }
    })
  })

  test('url and exact duplicates are similarity 1 in the cluster of dup_of; a forgotten representative leaves both null', () => {
    expect(dedupClusterRow(url('u', 'r'), AT)).toMatchObject({ cluster_id: 'r', representative_id: 'r', reason: 'url', similarity: 1 })
    expect(dedupClusterRow(exact('e', null), AT)).toMatchObject({ cluster_id: null, representative_id: null, reason: 'exact', similarity: 1 })
  })

  test('kept documents and other drops have no row; a near drop without its signal has no similarity', () => {
    expect(dedupClusterRow(doc('k'), AT)).toBeNull()
    expect(dedupClusterRow(drop('f', 'filter:gopher_repetition', null, {}), AT)).toBeNull()
    expect(dedupClusterRow(drop('m', 'dedup:minhash', 'r', {}, 'r'), AT)).toMatchObject({ reason: 'minhash', similarity: null, cluster_id: 'r' })
  })
})

/** 80 documents: 3 representatives, 8 duplicates spread over the stream, a filter drop and unique ones. */
function curated (): Document[] {
  const dups = [
    url('a-url-1', 'rep-a'), exact('a-exact-1', 'rep-a'), near('b-near-1', 'rep-b', 0.95), url('a-url-2', 'rep-a'),
    near('a-near-1', 'rep-a', 0.91), near('b-near-2', 'rep-b', 0.88), exact('lost-exact', null), near('b-near-3', 'rep-b', 0.81)
  ]
  const rest = [drop('filtered', 'filter:gopher_repetition', null, {}), ...Array.from({ length: 68 }, (_, i) => doc(`unique-${String(i).padStart(2, '0')}`))]
  const docs = [doc('rep-a'), doc('rep-b'), doc('rep-c')]
  while (rest.length > 0) docs.push(...rest.splice(0, 8), ...dups.splice(0, 1))
  return docs
}

async function produce (topic: string, docs: Document[]): Promise<void> {
  const producer = openTransactionalProducer(testBrokers(), `test-dedup-${topic}`, 'none')
  for (let i = 0; i < docs.length; i += 10) {
    await producer.commit(docs.slice(i, i + 10).map(d => ({ topic, key: d.id, value: Buffer.from(JSON.stringify(d)) })))
  }
  await producer.close()
}

const tableNames = ['documents', 'deadletter', 'dedup_clusters'] as const
const snapshotCounts = (lake: string) => tableNames.map(t => IcebergTable.load(path.join(lake, t)).metadata.snapshots.length)

/** A query over the lake's current snapshots, through the SQL API `sluice sql` uses. */
async function sql (lake: string, query: string, params: Record<string, string> = {}): Promise<unknown[]> {
  const session = await openLake(lake)
  try {
    return (await session.connection.runAndReadAll(query, params)).getRowObjectsJson()
  } finally {
    session.close()
  }
}

/** The same query through the CLI, as a user runs it. */
async function cliSql (lake: string, query: string, params: Record<string, string> = {}): Promise<unknown[]> {
  const r = await runCli(['sql', '--lake', lake, '--format', 'json', query, ...Object.entries(params).flatMap(([k, v]) => ['--param', `${k}=${v}`])])
  expect(r.code, r.stderr).toBe(0)
  return r.stdout.split('\n').filter(l => l !== '').map(l => JSON.parse(l))
}

const DUPLICATES_OF = `select document_id, reason, similarity from dedup_clusters
  where cluster_id = $id order by similarity desc, reason, document_id`
const CLUSTER_SIZES = `select cluster_id, (count(*) + 1)::INTEGER as size, list(distinct reason order by reason) as reasons
  from dedup_clusters where cluster_id is not null group by cluster_id order by size desc, cluster_id`

afterEach(() => { vi.restoreAllMocks() })

test('the sink fills dedup_clusters exactly once across a crash between its commits and a re-run; sluice sql answers duplicates of X and cluster sizes', async () => {
  const prefix = freshPrefix('dedup-clusters')
  const admin = testKafka().admin()
  await admin.connect()
  await ensureTopics(admin, topicsConfigSchema.parse({ prefix }))
  await admin.disconnect()
  const names = topicNames({ prefix })
  const docs = curated()
  await produce(names.curated, docs)
  const lake = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-dedup-clusters-'))

  // a sink that dies after committing a batch's dedup_clusters rows, before the same batch's documents
  const commit = IcebergTable.prototype.commit
  let last = ''
  let crashes = 0
  vi.spyOn(IcebergTable.prototype, 'commit').mockImplementation(function (this: IcebergTable, request) {
    const name = path.basename(this.dir)
    if (name === 'documents' && last === 'dedup_clusters' && ++crashes === 2) throw new Error('simulated crash between commits')
    last = name
    return commit.call(this, request)
  })
  const abort = new AbortController()
  await expect(runLakeSink(testKafka(), {
    lakeDir: lake, documentsTopic: names.curated, deadletterTopic: names.deadletter, batchRows: 5, batchMs: 60_000, stopWhenIdleMs: 3000, signal: abort.signal
  })).rejects.toThrow('simulated crash')
  abort.abort()
  vi.restoreAllMocks()

  const offsets = (t: string) => snapshotOffsets(currentSnapshot(IcebergTable.load(path.join(lake, t)).metadata))[names.curated] ?? {}
  const ahead = offsets('dedup_clusters')
  const behind = offsets('documents')
  // the state the test is about: dedup_clusters holds rows whose documents are not committed yet
  expect(Object.entries(ahead).some(([p, o]) => o > (behind[p] ?? 0))).toBe(true)

  const sink = ['lake', 'sink', '--lake', lake, '--brokers', testBrokers().join(','), '--topic-prefix', prefix, '--batch-rows', '7', '--batch-ms', '200', '--stop-when-idle', '3000']
  const resumed = await runCli(sink)
  expect(resumed.code, resumed.stderr).toBe(0)

  const totals = async () => await sql(lake, `select (select count(*) from documents)::INTEGER as documents, (select count(distinct id) from documents)::INTEGER as ids,
    count(*)::INTEGER as rows, count(distinct document_id)::INTEGER as dups, count(distinct (provenance.partition, provenance.kafka_offset))::INTEGER as positions from dedup_clusters`)
  expect(await totals()).toEqual([{ documents: docs.length, ids: docs.length, rows: 8, dups: 8, positions: 8 }])

  // which documents were removed as duplicates of X, and why
  const ofA = await cliSql(lake, DUPLICATES_OF, { id: 'rep-a' })
  expect(ofA).toEqual([
    { document_id: 'a-exact-1', reason: 'exact', similarity: 1 },
    { document_id: 'a-url-1', reason: 'url', similarity: 1 },
    { document_id: 'a-url-2', reason: 'url', similarity: 1 },
    { document_id: 'a-near-1', reason: 'near', similarity: 0.91 }
  ])
  expect(await sql(lake, DUPLICATES_OF, { id: 'rep-b' })).toEqual([
    { document_id: 'b-near-1', reason: 'near', similarity: 0.95 },
    { document_id: 'b-near-2', reason: 'near', similarity: 0.88 },
    { document_id: 'b-near-3', reason: 'near', similarity: 0.81 }
  ])
  expect(await sql(lake, DUPLICATES_OF, { id: 'rep-c' })).toEqual([])
  // cluster sizes, representative included; the duplicate whose representative was forgotten has no cluster
  const sizes = await cliSql(lake, CLUSTER_SIZES)
  expect(sizes).toEqual([
    { cluster_id: 'rep-a', size: 5, reasons: ['exact', 'near', 'url'] },
    { cluster_id: 'rep-b', size: 4, reasons: ['near'] }
  ])
  expect(await sql(lake, 'select document_id, reason, similarity from dedup_clusters where cluster_id is null')).toEqual([{ document_id: 'lost-exact', reason: 'exact', similarity: 1 }])
  // every row is a dropped document of the documents table with the same reason
  expect(await sql(lake, `select count(*)::INTEGER as n from dedup_clusters c join documents d on d.id = c.document_id
    where d.decision = 'drop' and d.reason = 'dedup:' || c.reason`)).toEqual([{ n: 8 }])
  const audit = await auditLake(lake)
  expect(audit.duplicates).toEqual([
    { reason: 'near', documents: 4, clusters: 2 },
    { reason: 'exact', documents: 2, clusters: 1 },
    { reason: 'url', documents: 2, clusters: 1 }
  ])
  expect(auditText(audit)).toMatch(/duplicate reason +documents +clusters\nnear +4 +2\n/)

  // a second identical run commits nothing and changes no answer
  const before = snapshotCounts(lake)
  const again = await runCli(sink)
  expect(again.code, again.stderr).toBe(0)
  expect(snapshotCounts(lake)).toEqual(before)
  expect(await totals()).toEqual([{ documents: docs.length, ids: docs.length, rows: 8, dups: 8, positions: 8 }])
  expect(await sql(lake, DUPLICATES_OF, { id: 'rep-a' })).toEqual(ofA)
  expect(await sql(lake, CLUSTER_SIZES)).toEqual(sizes)
}, 240_000)
