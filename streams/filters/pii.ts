import { z } from 'zod'
import type { SignalValue } from '../../schemas/document.ts'
import { SPACE, unitFlags } from './charclass.ts'

export const PII_KINDS = ['email', 'phone', 'id'] as const
export type PiiKind = typeof PII_KINDS[number]

const maskToken = z.string().min(1).nullable()

/** `mask: null` for a kind counts it without changing the text; `enabled: false` skips PII altogether. */
export const piiConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  mask: z.strictObject({
    email: maskToken.default('<EMAIL>'),
    phone: maskToken.default('<PHONE>'),
    id: maskToken.default('<ID>')
  }).prefault({})
})
export type PiiConfig = z.output<typeof piiConfigSchema>

// Digits next to a candidate make it part of a longer number (an order id, a timestamp): no match.
const EMAIL = /(?<![\w.%+-])[A-Za-z0-9][\w.%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w-])/g
// Chinese mobile: 1[3-9]x, 11 digits, optionally +86 / 0086, separated 3-4-4 by spaces or hyphens
const CN_MOBILE = /(?<![\d+.-])(?:(?:\+|00)86[\s-]?)?1[3-9]\d(?:\d{8}|[\s-]\d{4}[\s-]\d{4})(?![\d.-])/g
// Chinese landline: 0 + 2-3 digit area code, a hyphen or parentheses, 7-8 digits (a date never starts 0xx-)
const CN_LANDLINE = /(?<![\d.-])(?:0\d{2,3}-|\(0\d{2,3}\)\s?|（0\d{2,3}）)[1-9]\d{6,7}(?:-\d{1,4})?(?![\d.-])/g
// international: a leading + is required; 8-15 digits in groups (E.164)
const INTL_PHONE = /(?<![\w+])\+[1-9]\d{0,2}(?:[\s.-]?\(?\d{1,4}\)?){2,5}(?![\d])/g
const CN_ID = /(?<![\dA-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\dA-Za-z])/g
// US SSN: only the dashed form; area 000, 666 and 9xx are never issued
const US_SSN = /(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])/g
// card numbers start 3-6, 13-19 digits, in groups of 4 or unbroken; ISBNs start 978/979 and fail the issuer check
const CARD = /(?<![\d-])[3-6]\d{3}(?:[ -]?\d{4}){2}[ -]?\d{1,7}(?![\d-])/g

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]

/** ISO 7064 MOD 11-2 check character of a Chinese resident ID. */
export function validResidentId (id: string): boolean {
  let sum = 0
  for (let i = 0; i < 17; i++) sum += (id.charCodeAt(i) - 48) * ID_WEIGHTS[i]!
  return '10X98765432'[sum % 11] === id[17]?.toUpperCase()
}

export function luhn (digits: string): boolean {
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48
    if (i % 2 === 1) { d *= 2; if (d > 9) d -= 9 }
    sum += d
  }
  return sum % 10 === 0
}

const digitCount = (s: string): number => s.replace(/\D/g, '').length

/**
 * Digit runs of a text, for cheap pre-checks: `consecutive` is the longest run of ASCII digits;
 * `joined` the most digits in a stretch of digits, whitespace and `-`; `grouped` the most in a
 * stretch that may also hold `.` and parentheses, the separators a number may have inside: every
 * phone or ID pattern matches within one such stretch.
 */
interface DigitRuns { consecutive: number, joined: number, grouped: number }

const isGroupSeparator = (c: number): boolean =>
  c === 45 || c === 46 || c === 40 || c === 41 || c === 0xff08 || c === 0xff09 || (unitFlags(c) & SPACE) !== 0

function digitRuns (text: string): DigitRuns {
  let consecutive = 0
  let joined = 0
  let grouped = 0
  let run = 0
  let joinedRun = 0
  let groupedRun = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c >= 48 && c <= 57) {
      if (++run > consecutive) consecutive = run
      if (++joinedRun > joined) joined = joinedRun
      if (++groupedRun > grouped) grouped = groupedRun
      continue
    }
    run = 0
    // separators matter only inside a stretch (most characters are outside one)
    if (groupedRun === 0) continue
    if (joinedRun !== 0 && c !== 45 && (unitFlags(c) & SPACE) === 0) joinedRun = 0
    if (!isGroupSeparator(c)) groupedRun = 0
  }
  return { consecutive, joined, grouped }
}

interface Pattern {
  kind: PiiKind
  re: RegExp
  accept?: (m: string) => boolean
  /** Fewest digits an accepted match has (see `DigitRuns.grouped`), or a character it must contain. */
  minDigits?: number
  needs?: string
}

// Order matters: e-mails first (they contain digits), then the long ID numbers, then phones.
const PHONES: Pattern[] = [
  { kind: 'phone', re: CN_MOBILE, minDigits: 11 },
  { kind: 'phone', re: CN_LANDLINE, minDigits: 10 },
  { kind: 'phone', re: INTL_PHONE, accept: m => { const n = digitCount(m); return n >= 8 && n <= 15 }, minDigits: 8, needs: '+' }
]
const PATTERNS: Pattern[] = [
  { kind: 'email', re: EMAIL, needs: '@' },
  { kind: 'id', re: CN_ID, accept: validResidentId, minDigits: 17 },
  { kind: 'id', re: CARD, accept: m => { const d = m.replace(/\D/g, ''); return d.length >= 13 && d.length <= 19 && luhn(d) }, minDigits: 13 },
  { kind: 'id', re: US_SSN, minDigits: 9 },
  ...PHONES
]

export interface PiiResult { text: string, counts: Record<PiiKind, number> }

/**
 * Finds e-mail addresses, phone numbers and ID numbers (Chinese resident IDs with a valid check
 * character, Luhn-valid card numbers, dashed US SSNs) and replaces each with its kind's mask token.
 */
export function maskPii (text: string, mask: Record<PiiKind, string | null>): PiiResult {
  return findPii(text, mask, PATTERNS)
}

/**
 * Runs the patterns in order. A pattern whose pre-check fails cannot match (or only matches that
 * its `accept` turns down), so its regex is skipped: most text has no long digit run.
 */
function findPii (text: string, mask: Record<PiiKind, string | null>, patterns: readonly Pattern[], runsOfText?: DigitRuns): PiiResult {
  const counts: Record<PiiKind, number> = { email: 0, phone: 0, id: 0 }
  let out = text
  let runs = runsOfText
  for (const p of patterns) {
    if (p.needs !== undefined && !out.includes(p.needs)) continue
    if (p.minDigits !== undefined) {
      // a mask token may bring digits of its own: measured again after a replacement
      runs ??= digitRuns(out)
      if (runs.consecutive < 3 || runs.grouped < p.minDigits) continue
    }
    const before = out
    out = out.replace(p.re, m => {
      if (p.accept !== undefined && !p.accept(m)) return m
      counts[p.kind]++
      return mask[p.kind] ?? m
    })
    if (out !== before) runs = undefined
  }
  return { text: out, counts }
}

/** How many phone numbers the text has (for the contact-density rule); nothing masked, so only the phone patterns run. */
export function countPhones (text: string): number {
  // the rule's own pre-check: seven digits once whitespace and hyphens are taken out
  const runs = digitRuns(text)
  if (runs.joined < 7) return 0
  return findPii(text, { email: null, phone: null, id: null }, PHONES, runs).counts.phone
}

/** The PII step of the filter operator: masks kept documents and records `pii_<kind>` counts. */
export function piiStep (config: PiiConfig): ((text: string, signals: Record<string, SignalValue>) => string) | null {
  if (!config.enabled) return null
  return (text, signals) => {
    const r = maskPii(text, config.mask)
    for (const k of PII_KINDS) signals[`pii_${k}`] = r.counts[k]
    return r.text
  }
}
