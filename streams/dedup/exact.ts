import xxhash from 'xxhash-wasm'

const { h64Raw } = await xxhash()

/**
 * What exact dedup ignores: punctuation (\p{P}: ASCII, CJK and full-width alike), symbols (\p{S}:
 * emoji, emoji modifiers, math, currency, arrows), separators and other whitespace, format
 * characters (\p{Cf}: zero-width joiners and spaces, BOM, bidi marks, emoji tag characters) and
 * the emoji presentation selectors and keycap mark. Letters, digits and other marks stay: they are
 * the content (so a keycap emoji leaves its digit).
 */
const IGNORED = /^[\p{P}\p{S}\p{Z}\p{Cf}\s\uFE0E\uFE0F\u20E3]$/u
/** Code points past this are looked up by range (tag characters), not in the table. */
const TABLE_END = 0x30000
const NON_ASCII = /[^\x00-\x7f]/

let ignoredTable: Uint8Array | undefined

/**
 * `IGNORED` as a table, built once (~30 ms): V8 matches a property class per character about ten
 * times slower than a table lookup, and this runs over every byte of the corpus.
 */
function ignored (): Uint8Array {
  if (ignoredTable !== undefined) return ignoredTable
  ignoredTable = new Uint8Array(TABLE_END)
  for (let cp = 0; cp < TABLE_END; cp++) {
    if ((cp < 0xd800 || cp >= 0xe000) && IGNORED.test(String.fromCodePoint(cp))) ignoredTable[cp] = 1
  }
  return ignoredTable
}

let buffer = new Uint8Array(1 << 16)

/**
 * UTF-8 bytes of the text exact dedup compares: NFKC (full-width letters, digits and punctuation
 * become ASCII, compatibility forms fold; ASCII text skips it, NFKC would not change it),
 * lower-cased, `IGNORED` characters left out. A view of a buffer reused by the next call.
 */
function keyBytes (text: string): Uint8Array {
  const folded = (NON_ASCII.test(text) ? text.normalize('NFKC') : text).toLowerCase()
  if (buffer.length < folded.length * 3) buffer = new Uint8Array(folded.length * 3)
  const table = ignored()
  const out = buffer
  let len = 0
  for (let i = 0; i < folded.length; i++) {
    let cp = folded.charCodeAt(i)
    if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < folded.length) {
      const low = folded.charCodeAt(i + 1)
      if (low >= 0xdc00 && low < 0xe000) { cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00); i++ }
    }
    if (cp < TABLE_END ? table[cp] === 1 : cp >= 0xe0000 && cp < 0xe0080) continue
    if (cp < 0x80) out[len++] = cp
    else if (cp < 0x800) { out[len++] = 0xc0 | (cp >> 6); out[len++] = 0x80 | (cp & 63) } else if (cp < 0x10000) {
      out[len++] = 0xe0 | (cp >> 12); out[len++] = 0x80 | ((cp >> 6) & 63); out[len++] = 0x80 | (cp & 63)
    } else {
      out[len++] = 0xf0 | (cp >> 18); out[len++] = 0x80 | ((cp >> 12) & 63); out[len++] = 0x80 | ((cp >> 6) & 63); out[len++] = 0x80 | (cp & 63)
    }
  }
  return out.subarray(0, len)
}

/** The normalised text `contentKey` hashes, for inspection and tests. */
export function contentForKey (text: string): string {
  return new TextDecoder().decode(keyBytes(text))
}

/**
 * The exact-dedup key of a text: xxh64 (hex) of `contentForKey`, so pages that differ only in
 * punctuation, whitespace, character width, case or emoji get the same key (Ziya2's "Bloom-filter
 * exact de-dup of page content after normalisation"). Null when nothing is left (a text of only
 * punctuation or emoji): such texts have no content to compare, not all the same content.
 *
 * @example
 * contentKey('Hello, World! 👋') === contentKey('ＨＥＬＬＯ　ｗｏｒｌｄ') // true
 */
export function contentKey (text: string): string | null {
  const bytes = keyBytes(text)
  return bytes.length === 0 ? null : h64Raw(bytes).toString(16).padStart(16, '0')
}
