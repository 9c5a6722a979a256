import { ASTRAL, CharClass } from './clean-charclass.ts'

/**
 * Full-width digits and Latin letters (and the ideographic space) become ASCII. Full-width
 * punctuation (，！？：；（）) is Chinese punctuation, which Ziya2 keeps, so it stays, except where
 * it is plainly part of an ASCII token once the letters are converted: ＃＄％＆＊＋－．／＠＿ after
 * a letter or digit and before one ("GPT－4", "3．14", "a＠b．com"), ％ after a digit. Not ， or ：, even between
 * digits: "1，2，3" is a Chinese enumeration as often as "1，000" is a number.
 */
const FULLWIDTH = /[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\u3000]/g
const TOKEN_PUNCT = /[\uff03-\uff06\uff0a\uff0b\uff0d-\uff0f\uff20\uff3f](?=[A-Za-z0-9])|\uff05/g

/**
 * Characters NFKC must not rewrite: the full-width block (handled above), the ideographic space,
 * the ellipsis and two-dot leader (Chinese "……" would become "......"), and spacing accents whose
 * NFKC form is a space plus a combining mark ("don´t" would become "don ́t").
 */
function isProtected (cp: number, nfkc: string): boolean {
  return (cp >= 0xff01 && cp <= 0xff5e) || cp === 0x3000 || cp === 0x2025 || cp === 0x2026 || /^ \p{M}/u.test(nfkc)
}

/** \\p{M} spelled out as ranges below: V8 matches a property class several times slower than ranges. */
const MARK = /\p{M}/u

interface Classes { changing: RegExp, changingAll: RegExp, unprotected: RegExp }
let classes: Classes | undefined

/**
 * Found once by normalising every code point up to U+2FFFF (tens of milliseconds): `changing`
 * finds a character NFKC rewrites (or a combining mark, which it may compose with the character
 * before), `unprotected` a stretch between protected characters.
 */
function nfkcClasses (): Classes {
  if (classes !== undefined) return classes
  const changing = new CharClass()
  const kept = new CharClass()
  for (let cp = 0; cp < 0x30000; cp++) {
    const ch = cp >= 0xd800 && cp < 0xe000 ? '' : String.fromCodePoint(cp)
    const nfkc = ch.normalize('NFKC')
    if (nfkc !== ch) (isProtected(cp, nfkc) ? kept : changing).add(cp)
    else if (MARK.test(ch)) changing.add(cp)
  }
  return (classes = {
    changing: new RegExp(`[${changing.bmpRanges()}${ASTRAL}]`),
    changingAll: new RegExp(`[${changing.ranges()}]`, 'gu'),
    // protected characters are all in the BMP, so a class without `u` keeps surrogate pairs together
    unprotected: new RegExp(`[^${kept.bmpRanges()}]+`, 'g')
  })
}

/**
 * Full-width to half-width, then NFKC on the stretches between protected characters (which is
 * what makes it selective), only for text that has a character NFKC would change at all: most
 * documents have none, and the test is one scan. Counts converted characters of each kind.
 */
export function normalizeForms (text: string): { text: string, fullwidth: number, nfkc: number } {
  let fullwidth = 0
  let nfkc = 0
  text = text.replace(FULLWIDTH, ch => {
    fullwidth++
    return ch === '\u3000' ? ' ' : String.fromCharCode(ch.charCodeAt(0) - 0xfee0)
  })
  text = text.replace(TOKEN_PUNCT, (ch, at: number, all: string) => {
    if (!(ch === '\uff05' ? /[0-9]/ : /[A-Za-z0-9]/).test(all.charAt(at - 1))) return ch
    fullwidth++
    return String.fromCharCode(ch.charCodeAt(0) - 0xfee0)
  })
  const { changing, changingAll, unprotected } = nfkcClasses()
  if (changing.test(text)) {
    text = text.replace(unprotected, stretch => {
      const n = stretch.normalize('NFKC')
      if (n !== stretch) nfkc += stretch.match(changingAll)?.length ?? 0
      return n
    })
  }
  return { text, fullwidth, nfkc }
}
