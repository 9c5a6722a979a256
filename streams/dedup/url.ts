import { parseUrl } from '../../schemas/ids.ts'

/**
 * Query parameters that track the visitor or the campaign, not the page: removed before URLs are
 * compared. Sources: the ClearURLs rule set's global rules (github.com/ClearURLs/Rules), Firefox's
 * query-stripping list (privacy.query_stripping.strip_list), Matomo/Piwik campaign parameters, and
 * for Chinese sites Alibaba's `spm`/`scm`, Bilibili's `spm_id_from` and WeChat/Weibo share links'
 * `from`/`isappinstalled`. Matched case-insensitively.
 */
const TRACKING_PARAMS = new Set([
  'gclid', 'gclsrc', 'dclid', 'gbraid', 'wbraid', 'fbclid', 'msclkid', 'twclid', 'ttclid', 'yclid', 'igshid',
  'mc_cid', 'mc_eid', '_hsenc', '_hsmi', '__hssc', '__hstc', '__hsfp', 'hsctatracking', 'mkt_tok',
  'oly_anon_id', 'oly_enc_id', 'vero_id', 'vero_conv', '_openstat', 'fb_action_ids', 'fb_action_types',
  'fb_ref', 'fb_source', 'wt.mc_id', '_ga', '_gl', 'spm', 'scm', 'spm_id_from', 'from', 'isappinstalled',
  'jsessionid', 'phpsessid'
])
const TRACKING_PREFIXES = /^(?:utm_|hmb_|itm_|pk_|mtm_)/

/** A session id as a path parameter (`/a;jsessionid=…`): per visitor, like a tracking parameter. */
const PATH_SESSION = /;jsessionid=[^/]*/gi
/** A directory's default document: `/a/index.html` is served as `/a/`. */
const DEFAULT_DOCUMENT = /\/(?:index|default)\.(?:html?|shtml|php|aspx?|jsp)$/i
const UNRESERVED = /[A-Za-z0-9\-._~]/

/** RFC 3986 §6.2.2: escapes of unreserved characters decoded, the other escapes' hex upper-cased. */
function normalizeEscapes (s: string): string {
  if (!s.includes('%')) return s
  return s.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => {
    const ch = String.fromCharCode(parseInt(hex, 16))
    return UNRESERVED.test(ch) ? ch : `%${hex.toUpperCase()}`
  })
}

function paramName (pair: string): string {
  const eq = pair.indexOf('=')
  return eq < 0 ? pair : pair.slice(0, eq)
}

function isTracking (pair: string): boolean {
  const name = paramName(pair).toLowerCase()
  return TRACKING_PARAMS.has(name) || TRACKING_PREFIXES.test(name)
}

/** Tracking and empty parameters removed; the rest sorted by name (stable, so repeated names keep their order). */
function normalizeQuery (search: string): string {
  if (search.length <= 1) return ''
  const pairs = search.slice(1).split('&').filter(p => p !== '' && !isTracking(p)).map(normalizeEscapes)
  pairs.sort((a, b) => paramName(a) < paramName(b) ? -1 : paramName(a) > paramName(b) ? 1 : 0)
  return pairs.length === 0 ? '' : '?' + pairs.join('&')
}

function normalizePath (pathname: string): string {
  const path = normalizeEscapes(pathname.replace(PATH_SESSION, '').replace(/\/{2,}/g, '/')).replace(DEFAULT_DOCUMENT, '/')
  // `/a/` and `/a` are one page: servers redirect one to the other or serve the same document
  return path.length > 1 ? path.replace(/\/+$/, '') || '/' : '/'
}

/**
 * The key URL dedup compares: `parseUrl`'s form (the one ids hash: scheme and host lower-cased, IDN
 * hosts in punycode, default ports 80/443 and the fragment dropped), then credentials and a
 * trailing host dot dropped, duplicate slashes collapsed, `index.html`-style default documents and
 * trailing slashes removed (`/a/`, `/a` and `/a/index.html` are one key; the root stays `/`),
 * percent-escapes normalised, tracking parameters removed and the rest sorted by name. `http` and
 * `https` stay apart, as do `www.` and bare hosts: those can be different sites.
 * Null for anything that is not an http(s) URL; never throws.
 *
 * @example
 * normalizeUrl('HTTPS://Example.com:443/a//b/?utm_source=x&b=2&a=1#top') // 'https://example.com/a/b?a=1&b=2'
 */
export function normalizeUrl (url: string): string | null {
  const u = parseUrl(url)
  if (u === null || (u.protocol !== 'http:' && u.protocol !== 'https:') || u.hostname === '') return null
  const host = u.hostname.endsWith('.') ? u.host.replace(/\.(?=:|$)/, '') : u.host
  return `${u.protocol}//${host}${normalizePath(u.pathname)}${normalizeQuery(u.search)}`
}
