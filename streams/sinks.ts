import fs from 'node:fs'
import { once } from 'node:events'

/**
 * Appends lines to a file, waiting when the OS buffer is full so a fast producer never queues
 * unbounded output in memory. The file is written under a temporary name and renamed on
 * `close`, so a reader never sees half a result.
 */
export class JsonlFileWriter {
  private readonly stream: fs.WriteStream
  private readonly tmp: string
  lines = 0

  constructor (readonly path: string) {
    this.tmp = `${path}.partial-${process.pid}`
    this.stream = fs.createWriteStream(this.tmp)
  }

  async write (line: string): Promise<void> {
    this.lines++
    if (!this.stream.write(line + '\n')) await once(this.stream, 'drain')
  }

  async close (): Promise<void> {
    this.stream.end()
    await once(this.stream, 'finish')
    fs.renameSync(this.tmp, this.path)
  }

  /** Removes the partial output after a failure. */
  discard (): void {
    this.stream.destroy()
    fs.rmSync(this.tmp, { force: true })
  }
}
