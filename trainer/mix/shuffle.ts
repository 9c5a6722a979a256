import crypto from 'node:crypto'

/**
 * A permutation of 0..n-1 fixed by (seed, source, epoch): each epoch over a source visits every
 * sample once in its own order, and the same plan replays the same order on any machine.
 */
export function epochOrder (n: number, seed: number, source: string, epoch: number): Uint32Array {
  const order = new Uint32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  const random = seededRandom(`${seed}/${source}/${epoch}`)
  for (let i = n - 1; i > 0; i--) {
    const j = random(i + 1)
    const t = order[i]!
    order[i] = order[j]!
    order[j] = t
  }
  return order
}

/** Uniform integers below `bound` from SHA-256 in counter mode: portable, unlike Math.random. */
function seededRandom (key: string): (bound: number) => number {
  let block = Buffer.alloc(0)
  let at = 0
  let counter = 0
  const word = (): number => {
    if (at + 4 > block.length) {
      block = crypto.createHash('sha256').update(`${key}#${counter++}`).digest()
      at = 0
    }
    const w = block.readUInt32LE(at)
    at += 4
    return w
  }
  return bound => {
    // rejection keeps every value equally likely
    const limit = Math.floor(0x1_0000_0000 / bound) * bound
    for (;;) { const w = word(); if (w < limit) return w % bound }
  }
}
