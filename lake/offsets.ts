import type { Snapshot } from './iceberg/metadata.ts'

/** Snapshot summary key holding, per topic, the next Kafka offset of every partition the table covers. */
export const OFFSETS_KEY = 'sluice.kafka-offsets'

export type Offsets = Record<string, Record<string, number>>

export function snapshotOffsets (snapshot: Snapshot | undefined): Offsets {
  const raw = snapshot?.summary[OFFSETS_KEY]
  return raw === undefined ? {} : JSON.parse(raw) as Offsets
}

/**
 * Summary entries that keep a snapshot's offsets: every commit that is not the sink's (compaction)
 * must carry them, or the sink would resume from the beginning and load everything twice.
 */
export function carryOffsets (parent: Snapshot | undefined): Record<string, string> {
  const raw = parent?.summary[OFFSETS_KEY]
  return raw === undefined ? {} : { [OFFSETS_KEY]: raw }
}
