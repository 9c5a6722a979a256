/** Example ids kept per metric in the audit's details: enough to look at, small in the table. */
const EXAMPLES = 10

/** What one metric found over the sample: documents looked at, flagged, by label, first flagged ids. */
export class MetricTally {
  sample = 0
  flagged = 0
  readonly labels: Record<string, number> = {}
  readonly examples: string[] = []

  add (id: string, label: string | null): void {
    this.sample++
    if (label === null) return
    this.flagged++
    this.labels[label] = (this.labels[label] ?? 0) + 1
    if (this.examples.length < EXAMPLES) this.examples.push(id)
  }
}
