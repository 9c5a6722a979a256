import { Parser } from 'htmlparser2'
import { BLOCK, HEADING, hintOf } from './hints.ts'
import { STOPWORDS, ZH_FUNCTION_CHARS } from './stopwords.ts'

/** A run of text between two block-level tags, with what the classifier needs to know about it. */
export interface Block {
  text: string
  /** Characters, a CJK character counted twice (it carries about a word). */
  length: number
  /** Share of the characters inside links. */
  linkDensity: number
  /** Words, a CJK character counting as one. */
  words: number
  /** Share of the words that are function words. */
  stopwordDensity: number
  /** The innermost block-level element around the text. */
  tag: string
  heading: boolean
  /** More than half of the text sits under a furniture tag or role (nav, aside, footer outside an article). */
  furnitureTag: boolean
  /** More than half of the text sits under a class or id that names furniture. */
  furnitureName: boolean
  /** Id of the element around the block's element: list items of one list share it. */
  container: number
  /** Ids of the block-level elements around the text, outermost first. */
  path: number[]
}

export interface ParsedPage { blocks: Block[], title: string | null }

interface Node {
  /** The innermost block-level tag: the element's own for a block element, else its parent's. */
  tag: string
  block: boolean
  id: number
  skip: 'all' | 'inline' | null
  furnitureTag: boolean
  furnitureName: boolean
  inArticle: boolean
  inLink: boolean
}

const WORD = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]|[\p{L}\p{N}]+/gu
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u
/**
 * Function characters are rarer in Chinese than function words in English: their median share is 0.19 on
 * ChineseWebText paragraphs, where English prose sits near 0.4. Weighted so both meet the same thresholds.
 */
const ZH_STOPWORD_WEIGHT = 1.7
/** Stands for `<br>` while whitespace is collapsed; a NUL never survives HTML parsing as text. */
const BREAK = '\0'

function wordStats (text: string): { words: number, stopwords: number, cjk: number } {
  let words = 0
  let stopwords = 0
  let cjk = 0
  for (const m of text.matchAll(WORD)) {
    const w = m[0]
    words++
    if (w.length === 1 && CJK.test(w)) {
      cjk++
      if (ZH_FUNCTION_CHARS.has(w)) stopwords += ZH_STOPWORD_WEIGHT
    } else if (STOPWORDS.has(w.toLowerCase())) stopwords++
  }
  return { words, stopwords, cjk }
}

/**
 * Splits a page into text blocks in document order. htmlparser2 repairs the markup (implied end tags, unclosed
 * elements at the end) and decodes entities, so this never sees broken nesting.
 */
export function parseBlocks (html: string): ParsedPage {
  const blocks: Block[] = []
  const root: Node = { tag: '#root', block: true, id: 0, skip: null, furnitureTag: false, furnitureName: false, inArticle: false, inLink: false }
  const stack: Node[] = [root]
  let nextId = 1
  let title: string | null = null
  let inTitle = false
  let pieces: string[] = []
  let chars = 0
  let linkChars = 0
  let tagChars = 0
  let nameChars = 0
  let brPending = false

  const top = (): Node => stack[stack.length - 1]!
  const flush = (): void => {
    const node = top()
    const raw = pieces.join('')
    pieces = []
    brPending = false
    const text = (node.tag === 'pre' ? raw.replace(/[^\S\n]+/g, ' ') : raw.replace(/\s+/g, ' '))
      .replace(/ ?\0[\0 ]*/g, '\n').replace(/\n\s*\n/g, '\n').trim()
    if (text !== '') {
      const s = wordStats(text)
      blocks.push({
        text,
        length: text.length + s.cjk,
        linkDensity: chars === 0 ? 0 : linkChars / chars,
        words: s.words,
        stopwordDensity: s.words === 0 ? 0 : s.stopwords / s.words,
        tag: node.tag,
        heading: HEADING.has(node.tag),
        furnitureTag: tagChars * 2 > chars,
        furnitureName: nameChars * 2 > chars,
        container: (stack[stack.length - 2] ?? root).id,
        path: stack.filter(n => n.block).map(n => n.id)
      })
    }
    chars = linkChars = tagChars = nameChars = 0
  }

  const parser = new Parser({
    onopentag (name, attrs) {
      const parent = top()
      if (name === 'title' && title === null) inTitle = true
      if (name === 'br') {
        if (brPending) flush()
        else { pieces.push(BREAK); brPending = true }
      } else if (BLOCK.has(name)) flush()
      const hint = hintOf(name, attrs, parent.inArticle)
      stack.push({
        tag: BLOCK.has(name) ? name : parent.tag,
        block: BLOCK.has(name),
        id: nextId++,
        skip: hint.skip ?? (parent.skip === 'inline' && BLOCK.has(name) ? null : parent.skip),
        furnitureTag: parent.furnitureTag || hint.furnitureTag,
        furnitureName: parent.furnitureName || hint.furnitureName,
        inArticle: parent.inArticle || name === 'article' || name === 'main',
        inLink: parent.inLink || name === 'a'
      })
    },
    onclosetag (name) {
      if (name === 'title') inTitle = false
      if (BLOCK.has(name)) flush()
      if (stack.length > 1) stack.pop()
    },
    ontext (text) {
      if (inTitle) { title = (title ?? '') + text; return }
      const node = top()
      if (node.skip !== null) return
      const n = text.trim().length
      if (n > 0) brPending = false
      pieces.push(text)
      chars += n
      if (node.inLink) linkChars += n
      if (node.furnitureTag) tagChars += n
      if (node.furnitureName) nameChars += n
    }
  }, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true })
  parser.end(html)
  flush()
  const t = (title as string | null)?.replace(/\s+/g, ' ').trim()
  return { blocks, title: t === undefined || t === '' ? null : t }
}
