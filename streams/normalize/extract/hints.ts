/**
 * What markup says about a subtree before its text is read. Tags and ARIA roles are reliable; class and id names are
 * conventions (WordPress, Bootstrap, ad and consent vendors), so they only mark a subtree as likely boilerplate and
 * the classifier can overrule them when they would remove most of a page.
 */

/** Elements whose content is never page text. Not `head`: htmlparser2 leaves it open on pages that never close it. */
const SKIPPED = new Set(['script', 'style', 'template', 'svg', 'math', 'textarea', 'dialog'])

/**
 * Phrasing elements whose content is not page text either, but that old pages leave unclosed: a block-level element
 * inside one ends the skip, or one stray `<select>` would hide the rest of the page.
 */
const SKIPPED_INLINE = new Set(['noscript', 'iframe', 'object', 'embed', 'canvas', 'select', 'button', 'video', 'audio', 'map'])

/** Elements that start and end a text block; inline elements (a, b, span, ...) do not. */
export const BLOCK = new Set(['address', 'article', 'aside', 'blockquote', 'body', 'caption', 'center', 'dd', 'details',
  'div', 'dl', 'dt', 'fieldset', 'figcaption', 'figure', 'footer', 'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header',
  'hr', 'html', 'li', 'main', 'nav', 'ol', 'p', 'pre', 'section', 'summary', 'table', 'tbody', 'td', 'tfoot', 'th',
  'thead', 'tr', 'ul', 'legend', 'menu', 'frame', 'frameset', 'noframes'])

export const HEADING = new Set(['h1', 'h2', 'h3', 'h4', 'h5', 'h6'])

/** Structural elements that hold site furniture (not `form`: ASP.NET wraps whole pages in one). `header` and `footer` inside an article hold its title and tags instead. */
const FURNITURE_TAGS = new Set(['nav', 'aside', 'menu'])
const PAGE_FURNITURE_TAGS = new Set(['header', 'footer'])
const FURNITURE_ROLES = new Set(['navigation', 'banner', 'contentinfo', 'complementary', 'search', 'menu', 'menubar', 'dialog', 'alert', 'toolbar'])

/**
 * A class or id token names furniture when one of these words is a whole part of it (`site-footer`, `nav_main`,
 * `adsbygoogle`). Not `widget`: Blogger puts the post itself in `widget Blog`.
 */
const FURNITURE_NAME = /(?:^|[-_])(?:nav|navbar|navigation|menu|menubar|megamenu|footer|masthead|header|topbar|sidebar|sidebars|breadcrumbs?|comments?|commentlist|disqus|respond|share|sharing|sharedaddy|social|socials|related|recommended|recommendations|promo|promos|sponsor|sponsored|advert|advertisement|advertising|ads?|adsbygoogle|adslot|banner|cookies?|consent|gdpr|newsletter|subscribe|subscription|signup|popup|modal|pagination|pager|tagcloud|toolbar|login|skip|outbrain|taboola|copyright|rss|utility|jump|byline|author-bio|shopping|cart)(?:$|[-_\d])/

/** Containers that themselves are never furniture, whatever their class says (`<body class="has-sidebar">`). */
const NEVER_FURNITURE = new Set(['html', 'body', 'main', 'article'])

export interface Hint {
  /** Content not shown or not text: skip the subtree (`inline`: up to the first block-level element). */
  skip: 'all' | 'inline' | null
  /** Tag or role says site furniture. */
  furnitureTag: boolean
  /** Class or id says site furniture. */
  furnitureName: boolean
}

const NONE: Hint = { skip: null, furnitureTag: false, furnitureName: false }

export function hintOf (tag: string, attrs: Record<string, string>, inArticle: boolean): Hint {
  if (SKIPPED.has(tag)) return { ...NONE, skip: 'all' }
  if (SKIPPED_INLINE.has(tag)) return { ...NONE, skip: 'inline' }
  if ('hidden' in attrs || attrs['aria-hidden'] === 'true' || /(?:display\s*:\s*none|visibility\s*:\s*hidden)/i.test(attrs.style ?? '')) return { ...NONE, skip: 'all' }
  const role = attrs.role?.toLowerCase()
  const furnitureTag = FURNITURE_TAGS.has(tag) || (PAGE_FURNITURE_TAGS.has(tag) && !inArticle) || (role !== undefined && FURNITURE_ROLES.has(role))
  const names = `${attrs.class ?? ''} ${attrs.id ?? ''}`.toLowerCase()
  const furnitureName = !NEVER_FURNITURE.has(tag) && names.trim() !== '' && names.split(/\s+/).some(n => FURNITURE_NAME.test(n))
  return furnitureTag || furnitureName ? { skip: null, furnitureTag, furnitureName } : NONE
}
