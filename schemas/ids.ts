import xxhash from 'xxhash-wasm'

const { h64Raw } = await xxhash()
const encoder = new TextEncoder()

/**
 * The WHATWG parse both ids and URL dedup start from: scheme and host lower-cased (IDN hosts in
 * punycode), default port and fragment removed, dot segments resolved. Null when it does not parse.
 */
export function parseUrl (url: string): URL | null {
  if (!URL.canParse(url.trim())) return null
  const u = new URL(url.trim())
  u.hash = ''
  return u
}

/**
 * The URL form a document id is hashed from: `parseUrl`'s, nothing more, so ids stay stable (URL
 * dedup adds its own rules on top). Unparseable URLs are used as given, so they still get a stable id.
 */
export function normalizeUrlForId (url: string): string {
  return parseUrl(url)?.href ?? url.trim()
}

function hex64 (bytes: Uint8Array): string {
  return h64Raw(bytes).toString(16).padStart(16, '0')
}

/** Stable document id: xxh64 of the normalized URL, or of the content when there is no URL. */
export function documentId (url: string | null, content: string | Uint8Array): string {
  if (url !== null && url.trim() !== '') return hex64(encoder.encode(normalizeUrlForId(url)))
  return 'c' + hex64(typeof content === 'string' ? encoder.encode(content) : content).slice(1)
}
