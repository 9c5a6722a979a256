import { isUtf8 } from 'node:buffer'
import { encodingTable } from './decode-encoder.ts'

/** Byte of each character that windows-1252 (or Latin-1, whose C1 controls are the bytes themselves) decodes from 0x80-0xFF. */
const BYTE = new Map<string, number>()
for (const [cp, bytes] of encodingTable('windows-1252')) if (bytes[0]! >= 0x80) BYTE.set(String.fromCodePoint(cp), bytes[0]!)
for (let b = 0x80; b < 0xa0; b++) BYTE.set(String.fromCharCode(b), b)

/** What UTF-8 continuation bytes (0x80-0xBF) look like after a windows-1252 or Latin-1 decode. */
const CONT = `[${[...BYTE].filter(([, b]) => b < 0xc0).map(([ch]) => ch).join('')}]`
/** Well-formed UTF-8 sequences read as windows-1252: "Ã©" for é, "â€™" for ’, "ä¸­" for 中. */
const MOJIBAKE = new RegExp(`(?:[\\u00c2-\\u00df]${CONT}|[\\u00e0-\\u00ef]${CONT}{2}|[\\u00f0-\\u00f4]${CONT}{3})+`, 'g')
/**
 * Scripts a two-byte repair would produce only by accident: "ß“" reads as U+07D3 (N'Ko). Real
 * mojibake from these scripts is out of scope here anyway (the pipeline keeps Chinese and English).
 */
const IMPLAUSIBLE = /[\u0530-\u07ff]/
/** Text mis-decoded twice ("Ãƒâ€š") needs a pass per decode; more than three is not seen in practice. */
const MAX_PASSES = 3

const utf8 = new TextDecoder()

/**
 * Undoes UTF-8 text that was decoded as windows-1252 or Latin-1, run by run: a run is replaced
 * only when its bytes are valid UTF-8 and the result is plausible, so correct Latin text ("Ça",
 * "Größe") is left alone. Counts repaired runs.
 */
export function repairMojibake (text: string): { text: string, repaired: number } {
  let repaired = 0
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const before = repaired
    text = text.replace(MOJIBAKE, run => {
      const bytes = Uint8Array.from(run, ch => BYTE.get(ch)!)
      if (!isUtf8(bytes)) return run
      const fixed = utf8.decode(bytes)
      if (IMPLAUSIBLE.test(fixed)) return run
      repaired++
      return fixed
    })
    if (repaired === before) break
  }
  return { text, repaired }
}
