/**
 * WHATWG windows-1252 for bytes 0x80-0x9F (the rest is Latin-1). Node 20.18.3 and later decode
 * windows-1252, and with it every label that means it (iso-8859-1, us-ascii, latin1), as plain
 * Latin-1 ("’" comes out as U+0092): nodejs/node#60888. So Sluice does this one itself.
 */
const C1 = '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178'

const decoders = new Map<string, TextDecoder>()

/** `bytes` decoded as `charset` (a WHATWG name), invalid sequences as U+FFFD. */
export function decodeAs (bytes: Uint8Array, charset: string): string {
  if (charset === 'windows-1252') {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1').replace(/[\x80-\x9f]/g, c => C1[c.charCodeAt(0) - 0x80]!)
  }
  let d = decoders.get(charset)
  if (d === undefined) decoders.set(charset, d = new TextDecoder(charset))
  return d.decode(bytes)
}
