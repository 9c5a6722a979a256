import { charsetName } from './decode-encoder.ts'

/** How far into the body a `<meta>` or XML declaration is looked for (WHATWG prescans 1024 bytes; real pages put long scripts first). */
const PRESCAN_BYTES = 4096

export interface Bom { charset: 'utf-8' | 'utf-16le' | 'utf-16be', length: number }

export function sniffBom (bytes: Uint8Array): Bom | null {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { charset: 'utf-8', length: 3 }
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { charset: 'utf-16le', length: 2 }
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { charset: 'utf-16be', length: 2 }
  return null
}

const CHARSET_PARAM = /charset\s*=\s*["']?\s*([^\s"';,>/]+)/i
const META = /<meta\s[^>]*?charset\s*=\s*["']?\s*([^\s"';,>/]+)/i
const XML_DECL = /^\s*<\?xml\s[^>]*?encoding\s*=\s*["']([^"']+)/i

/** The charset label in a Content-Type value, as written. */
export function httpCharset (contentType: string | null): string | null {
  return contentType === null ? null : CHARSET_PARAM.exec(contentType)?.[1] ?? null
}

/** The label of a `<meta charset>`, `<meta http-equiv content="...; charset=">` or XML declaration near the start. */
export function metaCharset (bytes: Uint8Array): string | null {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, PRESCAN_BYTES)).toString('latin1')
  return META.exec(head)?.[1] ?? XML_DECL.exec(head)?.[1] ?? null
}

/**
 * The encoding a label names under the WHATWG Encoding standard (`iso-8859-1` and `us-ascii` are
 * windows-1252, `gb2312` is GBK), with GBK reported as gb18030, whose decoder it shares; null for
 * labels it does not know or maps to "replacement". A UTF-16 label on bytes without a BOM is
 * taken as UTF-8, as WHATWG does for `<meta>`: a page whose markup reads as ASCII is not UTF-16.
 */
export function resolveLabel (label: string): string | null {
  let name: string
  try { name = charsetName(label.trim()) } catch { return null } // unknown or unsupported label
  if (name === 'utf-16le' || name === 'utf-16be') return 'utf-8'
  return name
}
