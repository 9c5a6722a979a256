import { documentsSnapshot } from '../lake/evaluate/snapshot.ts'
import { latestPublishedSnapshot } from '../lake/published.ts'
import { openLake, type LakeSession } from '../lake/sql.ts'
import { SluiceError } from '../schemas/errors.ts'
import type { Plan, PlanSource } from '../schemas/plan.ts'
import { epochOrder } from './mix/shuffle.ts'
import { readSamples, type RenderedSample } from './samples.ts'

/** Where a source's reading stands: the epoch and the samples taken in it (and, for SQL, the last shuffle key). */
export interface SourceCursor { epoch: number, position: number, after?: string }

/**
 * A plan source as an endless, seeded stream of samples: each epoch visits every sample once in
 * an order fixed by (seed, source, epoch), then the next epoch begins. `cursor()` after a sample
 * and `open(..., cursor)` continue exactly after it.
 */
export interface SampleSource {
  readonly key: string
  next: () => Promise<RenderedSample>
  cursor: () => SourceCursor
  close: () => void
}

/** The documents snapshot a plan trains on: its id, or the newest published / the current one. */
export function resolveSnapshot (plan: Plan): number {
  if (typeof plan.snapshot === 'number') return documentsSnapshot(plan.lake, plan.snapshot).snapshot['snapshot-id']
  if (plan.snapshot === 'current') return documentsSnapshot(plan.lake).snapshot['snapshot-id']
  const published = latestPublishedSnapshot(plan.lake)
  if (published === null) {
    throw new SluiceError('config', `no published snapshot in ${plan.lake}: publish one with sluice evaluate --publish, or set snapshot: current (or an id) in the plan`, { retryable: false })
  }
  return published
}

/** Supervised/maths files: every sample in memory (they are small), shuffled per epoch. */
export function fileSource (key: string, source: PlanSource, seed: number, start: SourceCursor = { epoch: 0, position: 0 }): SampleSource {
  const samples = (source.files ?? []).flatMap(file => [...readSamples(file, { lang: source.lang })])
  let { epoch, position } = start
  let order = epochOrder(samples.length, seed, key, epoch)
  return {
    key,
    async next () {
      if (position === samples.length) { epoch++; position = 0; order = epochOrder(samples.length, seed, key, epoch) }
      return samples[order[position++]!]!
    },
    cursor: () => ({ epoch, position }),
    close: () => {}
  }
}

const PAGE = 512

/**
 * A SQL source over the pinned snapshot, read in pages ordered by md5(seed/source/epoch/id): a
 * seeded shuffle the database computes, resumable from the last key without re-reading what came
 * before it. The query must return `id` and `text`; rows without text are passed over.
 */
export async function sqlSource (key: string, source: PlanSource, seed: number, lake: LakeSession, start: SourceCursor = { epoch: 0, position: 0 }): Promise<SampleSource> {
  let { epoch, position } = start
  let after = start.after ?? ''
  let page: RenderedSample[] = []
  let pageKeys: string[] = []
  let at = 0
  const fetch = async (): Promise<void> => {
    const salt = `${seed}/${key}/${epoch}/`
    const r = await lake.connection.runAndReadAll(
      `SELECT k, id, text FROM (SELECT md5($salt || CAST(q.id AS VARCHAR)) AS k, CAST(q.id AS VARCHAR) AS id, CAST(q.text AS VARCHAR) AS text FROM (${source.sql}) q)
       WHERE k > $after AND text IS NOT NULL AND trim(text) <> '' ORDER BY k LIMIT ${PAGE}`, { salt, after })
    const rows = r.getRowObjectsJS()
    page = rows.map(row => ({ id: String(row.id), prompt: '', text: String(row.text) }))
    pageKeys = rows.map(row => String(row.k))
    at = 0
  }
  try {
    await fetch()
  } catch (err) {
    throw new SluiceError('config', `source ${key}: its query failed on the lake: ${(err as Error).message}`, { retryable: false, cause: err })
  }
  if (page.length === 0 && after === '') throw new SluiceError('config', `source ${key}: its query returns no documents with text in the snapshot`, { retryable: false })
  return {
    key,
    async next () {
      if (at === page.length) {
        await fetch()
        if (page.length === 0) { epoch++; position = 0; after = ''; await fetch() }
      }
      after = pageKeys[at]!
      position++
      return page[at++]!
    },
    cursor: () => ({ epoch, position, after }),
    close: () => {}
  }
}

/** Opens the lake at the plan's snapshot for its SQL sources; null when the plan has none. */
export async function openPlanLake (plan: Plan, pinned?: number): Promise<{ session: LakeSession, snapshotId: number } | null> {
  if (!plan.stages.some(s => s.sources.some(src => src.sql !== undefined))) return null
  const snapshotId = pinned ?? resolveSnapshot(plan)
  return { session: await openLake(plan.lake, { snapshotId }), snapshotId }
}
