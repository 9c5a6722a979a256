import type { Block } from './blocks.ts'

/**
 * Block classes in the manner of jusText (Pomikálek 2011): a block is judged first on its own (length, link
 * density, share of function words), then short and borderline blocks take the class of their surroundings,
 * because a short line between two paragraphs of an article is part of it and one among menu items is not.
 */
export type BlockClass = 'good' | 'bad' | 'short' | 'neargood'

export interface ClassifyOptions {
  /** Obey class and id names that say furniture (off when they would empty the page). */
  useNames: boolean
}

const LENGTH_LOW = 70
const LENGTH_HIGH = 200
/** Link-free text this long is prose even in a language without a stop list here (Latin, Korean, ...). */
const LENGTH_PROSE = 500
const STOPWORDS_LOW = 0.30
const STOPWORDS_HIGH = 0.32
const MAX_LINK_DENSITY = 0.2
/** A heading this close (in characters of text) before good content introduces it. */
const MAX_HEADING_DISTANCE = 200
const COPYRIGHT = /©|&copy;|\bcopyright\b|all rights reserved/i

/**
 * Below this share of function words over the whole page, the page's language has no list here (Russian, Arabic,
 * ...) and blocks are judged on length and links alone, as jusText does without a stop list.
 */
const MIN_PAGE_STOPWORDS = 0.08

interface Thresholds { low: number, high: number }

function intrinsic (b: Block, opts: ClassifyOptions, t: Thresholds): BlockClass {
  if (b.furnitureTag || (opts.useNames && b.furnitureName)) return 'bad'
  if (b.linkDensity > MAX_LINK_DENSITY) return 'bad'
  if (COPYRIGHT.test(b.text) && b.length < LENGTH_HIGH) return 'bad'
  if (b.length < LENGTH_LOW) return b.linkDensity > 0 ? 'bad' : 'short'
  if (b.length >= LENGTH_PROSE && b.linkDensity === 0) return 'neargood'
  if (b.stopwordDensity >= t.high) return b.length > LENGTH_HIGH ? 'good' : 'neargood'
  if (b.stopwordDensity >= t.low) return 'neargood'
  return 'bad'
}

function thresholds (blocks: Block[]): Thresholds {
  let words = 0
  let stopwords = 0
  for (const b of blocks) {
    if (b.length < LENGTH_LOW) continue
    words += b.words
    stopwords += b.words * b.stopwordDensity
  }
  return words > 0 && stopwords / words < MIN_PAGE_STOPWORDS ? { low: 0, high: 0 } : { low: STOPWORDS_LOW, high: STOPWORDS_HIGH }
}

/**
 * The element holding most prose, as Readability finds it: each prose-like block scores its length for its own
 * element and its parent, half of it for the grandparent.
 */
function mainContainer (blocks: Block[], classes: BlockClass[]): number | null {
  const scores = new Map<number, number>()
  blocks.forEach((b, i) => {
    if (classes[i] !== 'good' && classes[i] !== 'neargood') return
    const n = b.path.length
    for (const [k, w] of [[1, 1], [2, 1], [3, 0.5]] as const) {
      const id = b.path[n - k]
      if (id !== undefined) scores.set(id, (scores.get(id) ?? 0) + w * b.length)
    }
  })
  let best: number | null = null
  let bestScore = 0
  for (const [id, score] of scores) if (score > bestScore) { best = id; bestScore = score }
  return best
}

/** The class of the nearest block before (step -1) or after (+1) `i` that is good or bad; the page edge counts as bad. */
function neighbour (classes: BlockClass[], i: number, step: -1 | 1, ignoreNeargood: boolean): BlockClass {
  for (let j = i + step; j >= 0 && j < classes.length; j += step) {
    const c = classes[j]!
    if (c === 'good' || c === 'bad') return c
    if (c === 'neargood' && !ignoreNeargood) return c
  }
  return 'bad'
}

export function classifyBlocks (blocks: Block[], opts: ClassifyOptions): BlockClass[] {
  const t = thresholds(blocks)
  const own = blocks.map(b => intrinsic(b, opts, t))
  const main = mainContainer(blocks, own)
  // headings are short by nature: judge them as borderline so good text after them can pull them in; borderline
  // prose inside the main container is the article's own
  const first = own.map((c, i) => {
    const b = blocks[i]!
    if (b.heading && c === 'short') return 'neargood'
    if (main === null || !b.path.includes(main)) return c
    if (c === 'neargood') return 'good'
    return c === 'short' ? 'neargood' : c
  })

  const second = [...first]
  first.forEach((c, i) => {
    if (c !== 'short') return
    const prev = neighbour(first, i, -1, true)
    const next = neighbour(first, i, 1, true)
    if (prev === next) second[i] = prev
    else second[i] = neighbour(first, i, -1, false) === 'neargood' || neighbour(first, i, 1, false) === 'neargood' ? 'good' : 'bad'
  })
  const final = [...second]
  second.forEach((c, i) => {
    if (c !== 'neargood') return
    final[i] = neighbour(second, i, -1, true) === 'bad' && neighbour(second, i, 1, true) === 'bad' ? 'bad' : 'good'
  })

  // a heading judged bad still introduces good text that follows it closely
  blocks.forEach((b, i) => {
    if (!b.heading || final[i] !== 'bad' || b.furnitureTag || (opts.useNames && b.furnitureName)) return
    let distance = 0
    for (let j = i + 1; j < blocks.length && distance <= MAX_HEADING_DISTANCE; j++) {
      if (final[j] === 'good') { final[i] = 'good'; break }
      distance += blocks[j]!.length
    }
  })
  return final
}
