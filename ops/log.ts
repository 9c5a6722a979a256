/** Human-facing messages go to stderr so stdout stays clean for data (sql results, JSON). */
export function log (message: string): void {
  process.stderr.write(`sluice: ${message}\n`)
}

export function formatBytes (n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`
  return `${(n / 1024 ** 3).toFixed(2)} GB`
}

export function formatCount (n: number): string {
  return n.toLocaleString('en-US')
}
