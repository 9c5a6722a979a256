import { decodeAs } from './decode-text.ts'

/** Encodings whose characters take up to two bytes; the rest that TextDecoder knows here are one byte per character. */
export const DOUBLE_BYTE = new Set(['gb18030', 'big5', 'shift_jis', 'euc-jp', 'euc-kr'])

/**
 * Calls `fn` with every one- and two-byte sequence that decodes to one character in `charset`
 * (a WHATWG name). Three- and four-byte sequences (EUC-JP's JIS X 0212 row, GB18030's four-byte
 * ranges) are left out: their characters are rare in text written in these encodings.
 */
export function forEachSequence (charset: string, fn: (bytes: number[], codePoint: number) => void): void {
  const decoder = new TextDecoder(charset, { fatal: true })
  const visit = (bytes: number[]): void => {
    let text: string
    if (charset === 'windows-1252') text = decodeAs(Uint8Array.from(bytes), charset) // defines all 256 bytes
    else try { text = decoder.decode(Uint8Array.from(bytes)) } catch { return } // not a character in this encoding
    const cp = text.codePointAt(0)!
    if (text.length === String.fromCodePoint(cp).length) fn(bytes, cp)
  }
  for (let b = 0; b < 0x100; b++) visit([b])
  if (!DOUBLE_BYTE.has(charset)) return
  for (let lead = 0x81; lead < 0xff; lead++) for (let trail = 0x40; trail < 0xff; trail++) visit([lead, trail])
}

const tables = new Map<string, Map<number, number[]>>()

/** Code point -> bytes, so that decoding `encodeText(text)` gives `text` back by construction. */
export function encodingTable (charset: string): Map<number, number[]> {
  const name = charsetName(charset)
  let table = tables.get(name)
  if (table === undefined) {
    const t = table = new Map()
    forEachSequence(name, (bytes, cp) => { if (!t.has(cp)) t.set(cp, bytes) })
    tables.set(name, table)
  }
  return table
}

/** `text` in `charset`, or null when a character has no one- or two-byte form there. */
export function encodeText (text: string, charset: string): Uint8Array | null {
  const table = encodingTable(charset)
  const out: number[] = []
  for (const ch of text) {
    const bytes = table.get(ch.codePointAt(0)!)
    if (bytes === undefined) return null
    out.push(...bytes)
  }
  return Uint8Array.from(out)
}

/** The WHATWG name of a label, GBK reported as gb18030 (WHATWG decodes both with one decoder). */
export function charsetName (label: string): string {
  const name = new TextDecoder(label).encoding
  return name === 'gbk' ? 'gb18030' : name
}
