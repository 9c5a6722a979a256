/**
 * Ziya2's "web function words": markup that extraction left in the text. Only names of real HTML
 * elements count as tags, and a tag needs its closing `>`, so `a < b` or `x<y` in maths and code
 * prose do not; named entities are the ones extractors most often leave undecoded, plus any
 * numeric entity. An HTML tutorial quoting markup is flagged too: a reviewer decides.
 */
const ELEMENTS = 'a|abbr|article|aside|b|blockquote|body|br|button|center|code|dd|div|dl|dt|em|font|footer|form|h[1-6]|head|header|hr|html|i|iframe|img|input|label|li|link|main|meta|nav|noscript|ol|option|p|pre|script|section|select|small|span|strong|style|sub|sup|table|tbody|td|textarea|tfoot|th|thead|title|tr|u|ul'
const TAG = new RegExp(`<\\/?(?:${ELEMENTS})(?=[\\s/>])[^<>]{0,500}>|<!--|-->`, 'gi')
const ENTITY = /&(?:nbsp|amp|lt|gt|quot|apos|copy|reg|trade|mdash|ndash|hellip|laquo|raquo|middot|bull|rsquo|lsquo|rdquo|ldquo|#\d{1,7}|#x[0-9a-f]{1,6});/gi

/** How many tags, comment marks and entities the text still has. */
export function htmlRemnants (text: string): number {
  if (!text.includes('<') && !text.includes('&') && !text.includes('-->')) return 0
  return (text.match(TAG)?.length ?? 0) + (text.match(ENTITY)?.length ?? 0)
}
