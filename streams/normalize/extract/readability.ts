import { Readability } from '@mozilla/readability'
import { parseHTML } from 'linkedom'

/**
 * Mozilla Readability's article on a linkedom DOM (several times faster than jsdom), as HTML. linkedom makes the
 * first element the root of a page that has no `<html>`, and Readability then walks past the top of the tree, so
 * such pages are wrapped first. Null when Readability finds no article.
 */
export function readabilityArticle (html: string): { html: string, title: string | null } | null {
  let { document } = parseHTML(html)
  if (document.documentElement?.tagName !== 'HTML') document = parseHTML(`<!doctype html><html><body>${html}</body></html>`).document
  const article = new Readability(document as unknown as Document).parse()
  if (article === null || typeof article.content !== 'string') return null
  return { html: article.content, title: article.title?.trim() || null }
}
