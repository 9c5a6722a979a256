/**
 * Ziya2's human review labels, each 1 when the reviewer finds the problem, 0 when not; a document
 * with any 1 is unqualified. The sheet columns, in order: SHEET_KEYS, `lang`, `text` (export only),
 * the labels, `notes`.
 */
export const LABELS = {
  incoherent: 'not coherent: ads, navigation boilerplate, unrelated snippets pasted together, many URLs',
  unreadable: 'hard to read: broken grammar or punctuation, truncated sentences, garbled characters',
  toxic: 'toxic: explicit, violent, terrorist or discriminatory content'
} as const

export type Label = keyof typeof LABELS
export const LABEL_NAMES = Object.keys(LABELS) as Label[]

/** Columns that tie a filled sheet to what was reviewed. */
export const SHEET_KEYS = ['snapshot_id', 'seed', 'id'] as const

/** Excel keeps at most 32,767 characters in a cell; a longer text is cut with a marker. */
export const CSV_TEXT_CHARS = 32_000
