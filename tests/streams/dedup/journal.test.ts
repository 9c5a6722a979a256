import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect, test } from 'vitest'
import { StateJournal, type StateChange } from '../../../streams/dedup/journal.ts'

const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-journal-'))
const url = (key: string): StateChange => ({ kind: 'url', key })

function replay (d: string, committed: Record<number, number>) {
  const seen: StateChange[] = []
  const { journal, replay } = StateJournal.open(d, committed, c => seen.push(c))
  journal.close()
  return { seen, replay }
}

test('committed blocks replay in order, with every kind of change intact', () => {
  const d = dir()
  const sig = Uint32Array.of(1, 0xffffffff, 42)
  const { journal } = StateJournal.open(d, {}, () => {})
  journal.append({ 0: 3 }, [url('a.com/x'), { kind: 'content', key: 'c1' }, { kind: 'near', id: '文档-1', sig }])
  journal.append({ 1: 5 }, [])
  journal.append({ 0: 7, 1: 9 }, [{ kind: 'record', key: 'r@f:1' }, { kind: 'first', key: 'uexample.com/', id: 'doc 7' }])
  journal.close()
  const { seen, replay: r } = replay(d, { 0: 7, 1: 9 })
  expect(r).toEqual({ blocks: 3, changes: 5, truncatedBytes: 0 })
  expect(seen).toEqual([url('a.com/x'), { kind: 'content', key: 'c1' }, { kind: 'near', id: '文档-1', sig }, { kind: 'record', key: 'r@f:1' }, { kind: 'first', key: 'uexample.com/', id: 'doc 7' }])
})

test('the block of a transaction that never committed is cut off, and so is a torn write', () => {
  const d = dir()
  const { journal } = StateJournal.open(d, {}, () => {})
  journal.append({ 0: 3 }, [url('kept')])
  journal.append({ 0: 6 }, [url('rolled back')])
  journal.close()
  const { seen, replay: r } = replay(d, { 0: 3 })
  expect(seen).toEqual([url('kept')])
  expect(r.truncatedBytes).toBeGreaterThan(0)
  // the cut is durable: reopening at the same positions replays the same
  expect(replay(d, { 0: 3 }).replay.truncatedBytes).toBe(0)

  const { journal: again } = StateJournal.open(d, { 0: 3 }, () => {})
  again.append({ 0: 6 }, [url('second try')])
  again.close()
  fs.appendFileSync(path.join(d, 'journal.log'), Buffer.from([0x53, 0x44, 0x4a, 0x31, 200, 0, 0, 0, 1, 2]))
  expect(replay(d, { 0: 6 }).seen).toEqual([url('kept'), url('second try')])
})

test('a journal that is behind the committed positions, or belongs to other topics, is refused', () => {
  const d = dir()
  const { journal } = StateJournal.open(d, {}, () => {})
  journal.append({ 0: 3 }, [url('a')])
  journal.append({ 0: 6 }, [url('b')])
  journal.close()
  expect(() => StateJournal.open(d, { 0: 6, 1: 4 }, () => {})).toThrow(/partition 1: committed 4, journal nothing/)
  expect(() => StateJournal.open(d, { 0: 9 }, () => {})).toThrow(/partition 0: committed 9, journal 6/)
  expect(() => StateJournal.open(d, {}, () => {})).toThrow(/ahead of the committed input positions by more than one transaction/)
  // refusing changed nothing
  expect(replay(d, { 0: 6 }).seen).toEqual([url('a'), url('b')])
})
