import { type Block, parseBlocks } from './blocks.ts'
import { type BlockClass, classifyBlocks } from './classify.ts'

export interface BlockText {
  text: string
  title: string | null
  /** `blocks`, or `blocks-tags-only` when class and id hints were overruled. */
  method: string
  kept: Block[]
  removed: number
  /** The page had an unclosed `<title>` and was read again without it. */
  unclosedTitle: boolean
}

/** Class and id hints are dropped when obeying them would keep less than this share of what the text alone keeps. */
const MIN_NAME_HINT_SHARE = 0.25

/** A longer title is the rest of the page swallowed by an unclosed `<title>`. */
const MAX_TITLE_CHARS = 1000

const keptLength = (blocks: Block[], classes: BlockClass[]): number =>
  blocks.reduce((a, b, i) => a + (classes[i] === 'good' ? b.length : 0), 0)

/** Blocks separated by a blank line, items of one list by a single newline. */
export function joinBlocks (kept: Block[]): string {
  return kept.map((b, i) => {
    const prev = kept[i - 1]
    if (prev === undefined) return b.text
    return (prev.tag === 'li' && b.tag === 'li' && prev.container === b.container ? '\n' : '\n\n') + b.text
  }).join('')
}

/** The blocks of a page that the classifier calls good, joined. */
export function blockText (html: string): BlockText {
  let page = parseBlocks(html)
  // browsers also read an unclosed <title> to the end of the page, but archived copies of such pages have text
  const unclosedTitle = page.blocks.length === 0 && (page.title?.length ?? 0) > MAX_TITLE_CHARS
  if (unclosedTitle) page = { ...parseBlocks(html.replace(/<title\b[^>]*>/i, '')), title: null }
  const { blocks, title } = page
  let method = 'blocks'
  let classes = classifyBlocks(blocks, { useNames: true })
  const withoutNames = classifyBlocks(blocks, { useNames: false })
  if (keptLength(blocks, classes) < MIN_NAME_HINT_SHARE * keptLength(blocks, withoutNames)) {
    classes = withoutNames
    method = 'blocks-tags-only'
  }
  const kept = blocks.filter((_, i) => classes[i] === 'good')
  return { text: joinBlocks(kept), title, method, kept, removed: blocks.length - kept.length, unclosedTitle }
}
