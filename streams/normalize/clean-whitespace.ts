/** \r\n, lone \r and the Unicode line and paragraph separators as \n, so every later step sees one kind of line break. */
export function normalizeNewlines (text: string): { text: string, changed: number } {
  let changed = 0
  text = text.replace(/\r\n?|\u2028|\u2029/g, m => {
    changed++
    return m === '\u2029' ? '\n\n' : '\n'
  })
  return { text, changed }
}

/**
 * Spaces and tabs trimmed from every line, runs of them inside a line made one space (a single
 * tab stays), at most one blank line between paragraphs, none at either end. Counts the runs changed.
 */
export function normalizeWhitespace (text: string): { text: string, collapsed: number } {
  let collapsed = 0
  // one pass; at each run of blanks the line-end and line-start cases are tried before the inner one
  text = text.replace(/([ \t]+$|^[ \t]+)|([ \t]{2,})|\n{3,}/gm, (_, edge?: string, inner?: string) => {
    collapsed++
    return edge !== undefined ? '' : inner !== undefined ? ' ' : '\n\n'
  })
  const trimmed = text.replace(/^\n+|\n+$/g, '')
  if (trimmed.length !== text.length) collapsed++
  return { text: trimmed, collapsed }
}
