import OpenCC from 'opencc-js'
import { traditionalOnlyChars } from './zh-convert-chars.ts'

/** OpenCC's source standards: generic Traditional (t2s), Taiwan (tw2s), Hong Kong (hk2s), Taiwan with its vocabulary (tw2sp). */
export type TraditionalVariant = 't' | 'tw' | 'hk' | 'twp'

export interface Conversion {
  text: string
  /** Characters that differ from the input, compared position by position. */
  changed: number
}

const converters = new Map<TraditionalVariant, (text: string) => string>()

/**
 * Traditional -> Simplified Chinese with OpenCC's dictionaries and segmentation (opencc-js, which bundles them:
 * nothing is read from disk). Simplified text and non-Chinese text pass through unchanged.
 * @example toSimplified('漢語').text // '汉语'
 */
export function toSimplified (text: string, variant: TraditionalVariant = 't'): Conversion {
  const out = converter(variant)(text)
  return { text: out, changed: countChanged(text, out) }
}

function converter (variant: TraditionalVariant): (text: string) => string {
  const known = converters.get(variant)
  if (known !== undefined) return known
  const made: (text: string) => string = OpenCC.Converter({ from: variant, to: 'cn' })
  converters.set(variant, made)
  return made
}

function countChanged (a: string, b: string): number {
  if (a === b) return 0
  // phrase rewrites of another length (tw2sp: 網際網路 -> 互联网) are rare enough to pay for code-point arrays
  const [x, y] = a.length === b.length ? [a, b] : [Array.from(a), Array.from(b)]
  let n = Math.abs(x.length - y.length)
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) n++
  return n
}

/**
 * Share of Han characters (BMP) that only Traditional Chinese writes: 0 for Simplified text, typically 0.15–0.3 for
 * Traditional text. A cheap pass so the normalize stage converts only documents that need it.
 */
export function looksTraditional (text: string): number {
  const only = traditionalOnlyChars()
  let han = 0
  let traditional = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c >= 0x3400 && c <= 0x9fff) {
      han++
      traditional += only[c]!
    }
  }
  return han === 0 ? 0 : traditional / han
}
