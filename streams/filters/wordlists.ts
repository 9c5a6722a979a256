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
  const byFirst = new Map<string, string[][]>()
  for (const e of entries) {
    const [first, ...rest] = latinTokens(e.toLowerCase())
    if (first === undefined) continue
    const list = byFirst.get(first) ?? []
    list.push(rest)
    byFirst.set(first, list)
  }
  const count = (toks: string[]): Hits => {
    let hits = 0
    let chars = 0
    for (let i = 0; i < toks.length; i++) {
      const candidates = byFirst.get(toks[i]!)
      if (candidates === undefined) continue
      for (const rest of candidates) {
        let j = 0
        while (j < rest.length && toks[i + 1 + j] === rest[j]) j++
        if (j < rest.length) continue
        hits++
        for (let k = 0; k <= rest.length; k++) chars += toks[i + k]!.length
        i += rest.length
        break
      }
    }
    return { hits, chars }
  }
  return { inView: perView(view => count(viewTokens(view))), inText: text => count(latinTokens(text.toLowerCase())) }
}

const tokensOf = new WeakMap<TextView, string[]>()
/** The lowercased Latin tokens of a view, shared by every English list. */
function viewTokens (view: TextView): string[] {
  let toks = tokensOf.get(view)
  if (toks === undefined) tokensOf.set(view, toks = latinTokens(view.lower))
  return toks
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
  for (const e of entries.map(x => x.toLowerCase()).sort((a, b) => b.length - a.length)) {
    const list = byFirst.get(e.charCodeAt(0)) ?? []
    list.push(e)
    byFirst.set(e.charCodeAt(0), list)
  }
  const count = (lower: string): Hits => {
    let hits = 0
    let chars = 0
    for (let i = 0; i < lower.length; i++) {
      const candidates = byFirst.get(lower.charCodeAt(i))
      if (candidates === undefined) continue
      for (const e of candidates) {
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
