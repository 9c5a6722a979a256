/** One RFC 4180 line: a field with a comma, quote or line break is quoted, quotes doubled. */
export function csvLine (cells: ReadonlyArray<string | number>): string {
  return cells.map(c => {
    const s = String(c)
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
  }).join(',') + '\r\n'
}

/**
 * Parses RFC 4180 CSV as spreadsheets save it (quoted fields with line breaks, doubled quotes,
 * CRLF or LF, a leading byte-order mark) into rows of fields; blank lines are skipped.
 */
export function parseCsv (text: string): string[][] {
  const rows: string[][] = []
  let cells: string[] = []
  let cell = ''
  let quoted = false
  let line = 1
  let rowLine = 1
  const endRow = () => {
    cells.push(cell)
    if (cells.length > 1 || cells[0] !== '') rows.push(cells)
    cells = []
    cell = ''
  }
  const s = text.startsWith('\ufeff') ? text.slice(1) : text
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    if (c === '\n') line++
    if (quoted) {
      if (c !== '"') cell += c
      else if (s[i + 1] === '"') { cell += '"'; i++ } else quoted = false
    } else if (c === '"' && cell === '') {
      quoted = true
    } else if (c === ',') {
      cells.push(cell)
      cell = ''
    } else if (c === '\n' || (c === '\r' && s[i + 1] === '\n')) {
      if (c === '\r') { i++; line++ }
      endRow()
      rowLine = line
    } else {
      cell += c
    }
  }
  if (quoted) throw new Error(`line ${rowLine}: a quoted field is not closed`)
  if (cell !== '' || cells.length > 0) endRow()
  return rows
}
