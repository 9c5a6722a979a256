import { z } from 'zod'
import type { SignalValue } from '../../schemas/document.ts'

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

interface Pattern { kind: PiiKind, re: RegExp, accept?: (m: string) => boolean }

// Order matters: e-mails first (they contain digits), then the long ID numbers, then phones.
const PATTERNS: Pattern[] = [
  { kind: 'email', re: EMAIL },
  { kind: 'id', re: CN_ID, accept: validResidentId },
  { kind: 'id', re: CARD, accept: m => { const d = m.replace(/\D/g, ''); return d.length >= 13 && d.length <= 19 && luhn(d) } },
  { kind: 'id', re: US_SSN },
  { kind: 'phone', re: CN_MOBILE },
  { kind: 'phone', re: CN_LANDLINE },
  { kind: 'phone', re: INTL_PHONE, accept: m => { const n = digitCount(m); return n >= 8 && n <= 15 } }
]

export interface PiiResult { text: string, counts: Record<PiiKind, number> }

/**
 * Finds e-mail addresses, phone numbers and ID numbers (Chinese resident IDs with a valid check
 * character, Luhn-valid card numbers, dashed US SSNs) and replaces each with its kind's mask token.
 */
export function maskPii (text: string, mask: Record<PiiKind, string | null>): PiiResult {
  const counts: Record<PiiKind, number> = { email: 0, phone: 0, id: 0 }
  let out = text
  for (const p of PATTERNS) {
    // a cheap pre-check: every pattern needs '@' or a run of digits
    if (p.kind === 'email' ? !out.includes('@') : !/\d{3}/.test(out)) continue
    out = out.replace(p.re, m => {
      if (p.accept !== undefined && !p.accept(m)) return m
      counts[p.kind]++
      return mask[p.kind] ?? m
    })
  }
  return { text: out, counts }
}

/** How many phone numbers the text has (for the contact-density rule); nothing masked. */
export function countPhones (text: string): number {
  if (!/\d{7}/.test(text.replace(/[\s-]/g, ''))) return 0
  return maskPii(text, { email: null, phone: null, id: null }).counts.phone
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
