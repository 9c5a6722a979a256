import * as Locale from 'opencc-js/preset'
import type { DictGroup } from 'opencc-js/core'

/** Single-character entries of an opencc-js dictionary group (its phrases are skipped), first target kept. */
function characters (group: DictGroup): Map<string, string> {
  const out = new Map<string, string>()
  for (const dict of group) {
    const entries = typeof dict === 'string' ? dict.split('|').map(e => e.split(' ')) : dict
    for (const [from, to] of entries) if (from !== undefined && to !== undefined && [...from].length === 1 && !out.has(from)) out.set(from, to)
  }
  return out
}

let traditionalOnly: Uint8Array | undefined

/**
 * A bitmap over the Basic Multilingual Plane of characters that Simplified Chinese never writes: OpenCC converts them
 * (TSCharacters), and they are neither a conversion's result (乾, 著 stay in 乾隆, 著名) nor a simplified character
 * that OpenCC converts the other way (STCharacters). Built once, from the dictionaries opencc-js ships.
 */
export function traditionalOnlyChars (): Uint8Array {
  if (traditionalOnly !== undefined) return traditionalOnly
  const ts = characters(Locale.to.cn![0]!)
  const st = characters(Locale.from.cn![0]!)
  const results = new Set(ts.values())
  traditionalOnly = new Uint8Array(0x10000)
  for (const [from, to] of ts) {
    if (from !== to && from.length === 1 && !results.has(from) && !st.has(from)) traditionalOnly[from.charCodeAt(0)] = 1
  }
  return traditionalOnly
}
