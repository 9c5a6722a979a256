/** Reused buffers stop growing here: a longer document gets bytes of its own, dropped after use. */
const KEEP_BYTES = 1 << 24

/**
 * Bytes reused from one document to the next, so the hashing path allocates nothing in the steady
 * state; up to 16 MiB are kept (a 16 MiB document would otherwise pin several times that).
 */
export class Scratch {
  private bytes: Buffer

  constructor (initialBytes: number) {
    this.bytes = Buffer.alloc(initialBytes)
  }

  /** At least `size` bytes, 4-aligned; valid until the next call, contents not kept across calls. */
  get (size: number): Buffer {
    if (this.bytes.length >= size) return this.bytes
    const bigger = Buffer.alloc(Math.max(size, Math.min(this.bytes.length * 2, KEEP_BYTES)))
    if (bigger.length <= KEEP_BYTES) this.bytes = bigger
    return bigger
  }
}
