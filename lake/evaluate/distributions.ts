import { LENGTH_EDGES } from '../audit.ts'
import type { SampledDoc } from './sample.ts'

/**
 * The sample's language and length distributions (reported, not gated): documents by language
 * ('(none)' when unidentified) and by text length in characters over `sluice audit`'s buckets.
 */
export class Distributions {
  readonly languages: Record<string, number> = {}
  readonly lengths: Array<{ from: number, to: number | null, documents: number }> =
    LENGTH_EDGES.map((from, i) => ({ from, to: LENGTH_EDGES[i + 1] ?? null, documents: 0 }))

  add (doc: SampledDoc): void {
    const lang = doc.lang ?? '(none)'
    this.languages[lang] = (this.languages[lang] ?? 0) + 1
    // code points, as DuckDB's length() counts them for the audit
    const chars = [...doc.text].length
    let i = this.lengths.length - 1
    while (chars < this.lengths[i]!.from) i--
    this.lengths[i]!.documents++
  }
}
