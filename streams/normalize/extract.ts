import { blockText, joinBlocks } from './extract/block-text.ts'
import { parseBlocks } from './extract/blocks.ts'
import { readabilityArticle } from './extract/readability.ts'

export interface ExtractOptions {
  /** Where the page came from, reported as `extract_url_host`. */
  url?: string
  /** Block classifier only: about 10 times faster, mean F1 0.04 lower on the benchmark (streams/README.md). */
  fast?: boolean
}

export interface Extracted {
  /** Main text: blocks separated by a blank line, items of one list by a single newline. */
  text: string
  title: string | null
  /** `readability`, `blocks` or `blocks-tags-only` (class/id hints overruled), or `failed`. */
  method: string
  /** `extract_*` figures: what the step measured and removed. */
  signals: Record<string, number | string>
}

/**
 * Readability's article is kept unless it holds less than this share of the block classifier's text: then the page
 * is no single article (a list, a forum thread, a home page) and Readability has picked one part of it.
 */
const MIN_ARTICLE_SHARE = 0.5

/**
 * Where the classifier keeps nothing, Readability still returns its best node, often the footer of a page with no
 * article (a product listing, an empty template); it is believed only when it is at least this long.
 */
const MIN_LONE_ARTICLE_CHARS = 250

/**
 * The main text of an HTML page without navigation, headers, footers, sidebars, ads, cookie banners, scripts and
 * comments: Mozilla Readability's article when it is plausible, else a jusText-style block classifier (see
 * streams/README.md for the measurements behind this choice). Never throws: a page that cannot be read gives empty
 * text and an `extract_error` signal.
 *
 * @example
 * extractMainText('<nav><a href="/">Home</a></nav><article><p>Rain is expected tonight ...</p></article>').text
 */
export function extractMainText (html: string, opts: ExtractOptions = {}): Extracted {
  const signals: Record<string, number | string> = {}
  if (opts.url !== undefined) signals.extract_url_host = hostOf(opts.url)
  try {
    signals.extract_html_bytes = Buffer.byteLength(html)
    const blocks = blockText(html)
    let result = { text: blocks.text, title: blocks.title, method: blocks.method, kept: blocks.kept.length, removed: blocks.removed }
    if (blocks.unclosedTitle) signals.extract_unclosed_title = 1
    if (opts.fast !== true) {
      const article = readArticle(html, signals)
      const minimum = blocks.text === '' ? MIN_LONE_ARTICLE_CHARS : MIN_ARTICLE_SHARE * blocks.text.length
      if (article !== null && article.text.length >= minimum) {
        result = { ...article, title: article.title ?? blocks.title, method: 'readability', removed: Math.max(0, blocks.kept.length + blocks.removed - article.kept) }
      }
      signals.extract_blocks_chars = blocks.text.length
    }
    const kept = result.method === 'readability' ? null : blocks.kept
    const keptChars = kept?.reduce((a, b) => a + b.text.length, 0) ?? 0
    Object.assign(signals, {
      extract_method: result.method,
      extract_text_chars: result.text.length,
      extract_blocks_kept: result.kept,
      extract_blocks_removed: result.removed
    })
    if (kept !== null) signals.extract_link_density = keptChars === 0 ? 0 : round3(kept.reduce((a, b) => a + b.text.length * b.linkDensity, 0) / keptChars)
    return { text: result.text, title: result.title, method: result.method, signals }
  } catch (err) {
    // one unreadable page must not stop a stream; the error stays visible as a signal
    signals.extract_error = errorText(err)
    return { text: '', title: null, method: 'failed', signals: { ...signals, extract_text_chars: 0 } }
  }
}

/** Readability's article as text with the same block breaks as the classifier's; null (with a signal) when it fails. */
function readArticle (html: string, signals: Record<string, number | string>): { text: string, title: string | null, kept: number } | null {
  try {
    const article = readabilityArticle(html)
    if (article === null) return null
    const { blocks } = parseBlocks(article.html)
    const text = joinBlocks(blocks)
    signals.extract_readability_chars = text.length
    return { text, title: article.title, kept: blocks.length }
  } catch (err) {
    signals.extract_readability_error = errorText(err)
    return null
  }
}

const round3 = (x: number): number => Math.round(1000 * x) / 1000
const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err)).slice(0, 200)

function hostOf (url: string): string {
  try { return new URL(url).host } catch { return '' }
}
