import fs from 'node:fs'
import zlib from 'node:zlib'

const CHUNK = 1 << 20

export async function isGzip (file: string): Promise<boolean> {
  const fh = await fs.promises.open(file, 'r')
  try {
    const head = Buffer.alloc(2)
    const { bytesRead } = await fh.read(head, 0, 2, 0)
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b
  } finally {
    await fh.close()
  }
}

/**
 * The bytes of an input from `start` (an offset in the decompressed stream), gunzipped
 * transparently. Plain files seek; gzip cannot seek, so it is decompressed from the start and the
 * first `start` bytes are skipped. A truncated or corrupt gzip fails with zlib's error after the
 * last bytes it could decode; `readInput` turns that into a dead letter at the last good offset.
 */
export async function * inputBytes (file: string, start = 0, stdin?: NodeJS.ReadableStream): AsyncIterable<Buffer> {
  if (stdin !== undefined) {
    yield * skipBytes(stdin as AsyncIterable<Buffer>, start)
    return
  }
  if (!(await isGzip(file))) {
    yield * fs.createReadStream(file, { start, highWaterMark: CHUNK }) as AsyncIterable<Buffer>
    return
  }
  const gunzip = zlib.createGunzip({ chunkSize: CHUNK })
  const raw = fs.createReadStream(file, { highWaterMark: CHUNK })
  raw.on('error', err => gunzip.destroy(err))
  raw.pipe(gunzip)
  yield * skipBytes(gunzip as AsyncIterable<Buffer>, start)
}

async function * skipBytes (chunks: AsyncIterable<Buffer>, skip: number): AsyncIterable<Buffer> {
  let left = skip
  for await (const chunk of chunks) {
    if (left >= chunk.length) { left -= chunk.length; continue }
    yield left > 0 ? chunk.subarray(left) : chunk
    left = 0
  }
}

/** The first bytes of the decompressed input, for format sniffing. */
export async function headBytes (file: string, n = 4096): Promise<Buffer> {
  const parts: Buffer[] = []
  let have = 0
  for await (const chunk of inputBytes(file)) {
    parts.push(chunk)
    have += chunk.length
    if (have >= n) break
  }
  return Buffer.concat(parts).subarray(0, n)
}
