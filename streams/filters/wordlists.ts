import fs from 'node:fs'
import { SluiceError } from '../../schemas/errors.ts'
import type { Lang, TextView } from './text.ts'

/** The word-list categories; each has `en-<name>.txt` and, where noted, `zh-<name>.txt` under wordlists/. */
export type ListName = 'explicit' | 'violence' | 'terror' | 'discrimination' | 'ads' | 'stopwords' | 'boilerplate'

export interface Hits { hits: number, chars: number }

/** Finds list entries in text. `inView` reuses the view's tokens; `inText` is for one line or sentence. */
export interface Matcher {
  inView: (view: TextView) => Hits
  inText: (text: string) => Hits
}

const LATIN_TOKEN = /[a-z0-9\u00c0-\u024f]+/g
const latinTokens = (lower: string): string[] => lower.match(LATIN_TOKEN) ?? []

const isLatinUnit = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 0xc0 && c <= 0x24f)

/** FNV-1a over code units: the same number for a token in an entry and in scanned text. */
function hashUnits (s: string, start: number, end: number): number {
  let h = 0x811c9dc5
  for (let i = start; i < end; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return h >>> 0
}

/** The tokens `LATIN_TOKEN` finds in lowercased text, as offsets and hashes (no substrings). */
interface Runs { lower: string, starts: number[], ends: number[], hashes: number[] }

function latinRuns (lower: string): Runs {
  const runs: Runs = { lower, starts: [], ends: [], hashes: [] }
  for (let i = 0; i < lower.length; i++) {
    if (!isLatinUnit(lower.charCodeAt(i))) continue
    const start = i
    let h = 0x811c9dc5
    for (; i < lower.length; i++) {
      const c = lower.charCodeAt(i)
      if (!isLatinUnit(c)) break
      h = Math.imul(h ^ c, 0x01000193)
    }
    runs.starts.push(start)
    runs.ends.push(i)
    runs.hashes.push(h >>> 0)
  }
  return runs
}

const runIs = (runs: Runs, i: number, token: string): boolean =>
  i < runs.starts.length && runs.ends[i]! - runs.starts[i]! === token.length && runs.lower.startsWith(token, runs.starts[i])

export function readList (file: string): string[] {
  let body: string
  try {
    body = fs.readFileSync(new URL(`./wordlists/${file}`, import.meta.url), 'utf8')
  } catch (err) {
    throw new SluiceError('config', `word list ${file} cannot be read (it ships in streams/filters/wordlists/)`, { retryable: false, cause: err })
  }
  return body.split('\n').map(l => l.trim()).filter(l => l !== '' && !l.startsWith('#'))
}

/**
 * English entries match as whole tokens (so "anal" does not hit "analysis"): entries are indexed by
 * their first token and a phrase must continue token by token.
 */
function tokenMatcher (entries: string[]): Matcher {
  // by the hash of the first token; a 16-bit filter of those hashes turns most tokens away with one array read
  const byFirst = new Map<number, string[][]>()
  const filter = new Uint8Array(0x10000)
  for (const e of entries) {
    const tokens = latinTokens(e.toLowerCase())
    if (tokens.length === 0) continue
    const h = hashUnits(tokens[0]!, 0, tokens[0]!.length)
    filter[h & 0xffff] = 1
    const list = byFirst.get(h) ?? []
    list.push(tokens)
    byFirst.set(h, list)
  }
  const count = (runs: Runs): Hits => {
    let hits = 0
    let chars = 0
    for (let i = 0; i < runs.hashes.length; i++) {
      const h = runs.hashes[i]!
      if (filter[h & 0xffff] === 0) continue
      const candidates = byFirst.get(h)
      if (candidates === undefined) continue
      for (const tokens of candidates) {
        let j = 0
        while (j < tokens.length && runIs(runs, i + j, tokens[j]!)) j++
        if (j < tokens.length) continue
        hits++
        for (let k = 0; k < tokens.length; k++) chars += tokens[k]!.length
        i += tokens.length - 1
        break
      }
    }
    return { hits, chars }
  }
  return { inView: perView(view => count(viewRuns(view))), inText: text => count(latinRuns(text.toLowerCase())) }
}

const runsOf = new WeakMap<TextView, Runs>()
/** The lowercased Latin tokens of a view, shared by every English list. */
function viewRuns (view: TextView): Runs {
  let runs = runsOf.get(view)
  if (runs === undefined) runsOf.set(view, runs = latinRuns(view.lower))
  return runs
}

/** Remembers a list's hits per view: the document rule and the line rule of a list ask the same question. */
function perView (f: (view: TextView) => Hits): (view: TextView) => Hits {
  const seen = new WeakMap<TextView, Hits>()
  return view => {
    let h = seen.get(view)
    if (h === undefined) seen.set(view, h = f(view))
    return h
  }
}

/**
 * Chinese has no word boundaries, so entries match as substrings: indexed by their first
 * character, longest first, without overlaps.
 */
function substringMatcher (entries: string[]): Matcher {
  const byFirst = new Map<number, string[]>()
  // Filters so that most positions are turned away with array reads: the first code unit (2 when
  // an entry is that one unit alone), then the first two units hashed into a bit per slot.
  const first = new Uint8Array(0x10000)
  const pairs = new Uint8Array(0x10000)
  for (const e of entries.map(x => x.toLowerCase()).sort((a, b) => b.length - a.length)) {
    const c = e.charCodeAt(0)
    const list = byFirst.get(c) ?? []
    list.push(e)
    byFirst.set(c, list)
    if (e.length === 1) first[c] = 2
    else { first[c] ||= 1; pairs[pairSlot(c, e.charCodeAt(1))] = 1 }
  }
  const count = (lower: string): Hits => {
    let hits = 0
    let chars = 0
    for (let i = 0; i < lower.length; i++) {
      const c = lower.charCodeAt(i)
      const f = first[c]
      if (f === 0 || (f === 1 && pairs[pairSlot(c, lower.charCodeAt(i + 1))] === 0)) continue
      for (const e of byFirst.get(c)!) {
        if (!lower.startsWith(e, i)) continue
        hits++
        chars += e.length
        i += e.length - 1
        break
      }
    }
    return { hits, chars }
  }
  return { inView: perView(view => count(view.lower)), inText: text => count(text.toLowerCase()) }
}

/** A slot for two code units (NaN past the end of the text goes to slot 0, which a false hit only costs a check). */
const pairSlot = (a: number, b: number): number => Math.imul((a << 16) | b, 0x9e3779b1) >>> 16

const cache = new Map<string, Matcher>()

/**
 * The matcher for a category in a language: Chinese documents use the zh list, every other
 * language the English one. Read once per process, at startup.
 */
export function matcher (name: ListName, lang: Lang): Matcher {
  const file = `${lang === 'zh' ? 'zh' : 'en'}-${name}.txt`
  let m = cache.get(file)
  if (m === undefined) {
    const entries = readList(file)
    m = lang === 'zh' ? substringMatcher(entries) : tokenMatcher(entries)
    cache.set(file, m)
  }
  return m
}

/** Matchers for both languages, built eagerly so a missing list fails at startup, not mid-stream. */
export function matchers (name: ListName): (lang: Lang) => Matcher {
  const zh = matcher(name, 'zh')
  const en = matcher(name, 'en')
  return lang => lang === 'zh' ? zh : en
}
