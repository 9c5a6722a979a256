import type { ReadItem, ReadOptions } from '../../streams/readers/types.ts'

export const SHARED = '../shared/data'

export function readOptions (file: string, over: Partial<ReadOptions> = {}): ReadOptions {
  return { file, baseOffset: 0, maxDocBytes: 16 << 20, source: 'test', crawlId: null, ...over }
}

export async function collect<T> (items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}

/** Yields `bytes` in pieces of random size, to exercise readers at every chunk boundary. */
export async function * randomChunks (bytes: Uint8Array, maxSize: number, seed = 1): AsyncIterable<Uint8Array> {
  let s = seed
  let at = 0
  while (at < bytes.length) {
    s = (s * 1103515245 + 12345) & 0x7fffffff
    const n = 1 + (s % maxSize)
    yield bytes.subarray(at, at + n)
    at += n
  }
}

export function records (items: ReadItem[]) {
  return items.flatMap(i => i.kind === 'record' ? [i.record] : [])
}

export function deadLetters (items: ReadItem[]) {
  return items.flatMap(i => i.kind === 'deadletter' ? [i.letter] : [])
}
