import { removeNoise } from './clean-chars.ts'
import { repairMojibake } from './clean-mojibake.ts'
import { normalizeForms } from './clean-nfkc.ts'
import { normalizeNewlines, normalizeWhitespace } from './clean-whitespace.ts'

export interface CleanOptions {
  /** Undo UTF-8 read as windows-1252 ("Ã©" -> "é"). Default true. */
  repairMojibake?: boolean
  /** Remove emoji and decorative symbols (Ziya2 removes "special symbols, emoticons"). Default true. */
  removeEmoji?: boolean
}

export interface CleanedText {
  text: string
  /** What each step changed: `clean_mojibake_repaired`, `clean_control_removed`, `clean_invisible_removed`, `clean_emoji_removed`, `clean_symbol_removed`, `clean_fullwidth`, `clean_nfkc_changed`, `clean_whitespace_collapsed`. */
  signals: Record<string, number>
}

/**
 * Ziya2's text standardisation for one document. Order matters: mojibake is repaired first,
 * because UTF-8 read as windows-1252 holds soft hyphens and C1 controls that the removal step
 * would otherwise delete; widths and NFKC come after removal so that NFKC never sees emoji
 * sequences; whitespace is last, to collapse what the other steps left behind. Idempotent:
 * cleaning cleaned text changes nothing.
 *
 * @example
 * cleanText('ＧＰＴ－４发布了！😀  Itâ€™s here').text // 'GPT－4发布了！ It’s here'
 */
export function cleanText (input: string, opts: CleanOptions = {}): CleanedText {
  const newlines = normalizeNewlines(input)
  const mojibake = opts.repairMojibake === false ? { text: newlines.text, repaired: 0 } : repairMojibake(newlines.text)
  const noise = removeNoise(mojibake.text, { emoji: opts.removeEmoji !== false })
  const forms = normalizeForms(noise.text)
  const space = normalizeWhitespace(forms.text)
  return {
    text: space.text,
    signals: {
      clean_mojibake_repaired: mojibake.repaired,
      clean_control_removed: noise.control,
      clean_invisible_removed: noise.invisible,
      clean_emoji_removed: noise.emoji,
      clean_symbol_removed: noise.symbol,
      clean_fullwidth: forms.fullwidth,
      clean_nfkc_changed: forms.nfkc,
      clean_whitespace_collapsed: newlines.changed + space.collapsed
    }
  }
}
