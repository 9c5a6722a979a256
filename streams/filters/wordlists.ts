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

export function readList (file: string): string[] {
  let body: string
  try {
    body = fs.readFileSync(new URL(`./wordlists/${file}`, import.meta.url), 'utf8')
  } catch (err) {
    throw new SluiceError('config', `word list ${file} cannot be read (it ships in streams/filters/wordlists/)`, { retryable: false, cause: err })
  }
  return body.split('\n').map(l => l.trim()).filter(l => l !== '' && !l.startsWith('#'))
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

/** A slot for two code units (NaN past the end of the text goes to some slot, which a false hit only costs a check). */
const pairSlot = (a: number, b: number): number => Math.imul((a << 16) | b, 0x9e3779b1) >>> 16

/**
 * All lists of one kind (Chinese or English) matched in one pass over a text: a 16-bit mask per
 * filter slot says which lists can match there, and each list keeps its own position past its last
 * hit, so every list counts exactly as if it had scanned the text alone (non-overlapping, first
 * match from each position). Lists join the group as they are loaded.
 */
abstract class ListGroup {
  protected size = 0
  readonly #views = new WeakMap<TextView, Hits[]>()

  protected abstract scan (text: string, lists: number, view?: TextView): Hits[]

  protected join (): number {
    if (this.size === 16) throw new Error('a word-list group holds at most 16 lists')
    return this.size++
  }

  matcher (index: number): Matcher {
    return {
      // every list of the group at once, remembered per view: the document rules and line rules ask the same question
      inView: view => {
        let hits = this.#views.get(view)
        if (hits === undefined || hits.length <= index) this.#views.set(view, hits = this.scan(view.lower, (1 << this.size) - 1, view))
        return hits[index]!
      },
      inText: text => this.scan(text.toLowerCase(), 1 << index)[index]!
    }
  }
}

/**
 * Chinese has no word boundaries, so entries match as substrings: indexed by their first
 * character, longest first, without overlaps.
 */
class SubstringLists extends ListGroup {
  readonly #byFirst: Array<Map<number, string[]>> = []
  // which lists have an entry starting with a code unit; with those two code units; of that one unit alone
  readonly #first = new Uint16Array(0x10000)
  readonly #pairs = new Uint16Array(0x10000)
  readonly #single = new Uint16Array(0x10000)

  add (entries: string[]): Matcher {
    const index = this.join()
    const bit = 1 << index
    const byFirst = new Map<number, string[]>()
    for (const e of entries.map(x => x.toLowerCase()).sort((a, b) => b.length - a.length)) {
      const c = e.charCodeAt(0)
      const list = byFirst.get(c) ?? []
      list.push(e)
      byFirst.set(c, list)
      this.#first[c]! |= bit
      if (e.length === 1) this.#single[c]! |= bit
      else this.#pairs[pairSlot(c, e.charCodeAt(1))]! |= bit
    }
    this.#byFirst.push(byFirst)
    return this.matcher(index)
  }

  protected scan (lower: string, lists: number): Hits[] {
    const hits = this.#byFirst.map(() => ({ hits: 0, chars: 0 }))
    const next = this.#byFirst.map(() => 0)
    for (let i = 0; i < lower.length; i++) {
      const c = lower.charCodeAt(i)
      let m = this.#first[c]! & lists
      if (m === 0) continue
      m &= this.#single[c]! | this.#pairs[pairSlot(c, lower.charCodeAt(i + 1))]!
      for (; m !== 0; m &= m - 1) {
        const l = 31 - Math.clz32(m & -m)
        if (i < next[l]!) continue
        for (const e of this.#byFirst[l]!.get(c)!) {
          if (!lower.startsWith(e, i)) continue
          hits[l]!.hits++
          hits[l]!.chars += e.length
          next[l] = i + e.length
          break
        }
      }
    }
    return hits
  }
}

/**
 * English entries match as whole tokens (so "anal" does not hit "analysis"): entries are indexed by
 * the hash of their first token and a phrase must continue token by token.
 */
class TokenLists extends ListGroup {
  readonly #byFirst: Array<Map<number, string[][]>> = []
  /** Which lists have a first token whose hash falls in a 16-bit slot. */
  readonly #filter = new Uint16Array(0x10000)
  /** The lowercased Latin tokens of a view, shared with the line rules' per-view question. */
  readonly #runs = new WeakMap<TextView, Runs>()

  add (entries: string[]): Matcher {
    const index = this.join()
    const byFirst = new Map<number, string[][]>()
    for (const e of entries) {
      const tokens = latinTokens(e.toLowerCase())
      if (tokens.length === 0) continue
      const h = hashUnits(tokens[0]!, 0, tokens[0]!.length)
      this.#filter[h & 0xffff]! |= 1 << index
      const list = byFirst.get(h) ?? []
      list.push(tokens)
      byFirst.set(h, list)
    }
    this.#byFirst.push(byFirst)
    return this.matcher(index)
  }

  protected scan (lower: string, lists: number, view?: TextView): Hits[] {
    let runs = view === undefined ? undefined : this.#runs.get(view)
    if (runs === undefined) {
      runs = latinRuns(lower)
      if (view !== undefined) this.#runs.set(view, runs)
    }
    const hits = this.#byFirst.map(() => ({ hits: 0, chars: 0 }))
    const next = this.#byFirst.map(() => 0)
    for (let i = 0; i < runs.hashes.length; i++) {
      const h = runs.hashes[i]!
      for (let m = this.#filter[h & 0xffff]! & lists; m !== 0; m &= m - 1) {
        const l = 31 - Math.clz32(m & -m)
        if (i < next[l]!) continue
        for (const tokens of this.#byFirst[l]!.get(h) ?? []) {
          let j = 0
          while (j < tokens.length && runIs(runs, i + j, tokens[j]!)) j++
          if (j < tokens.length) continue
          hits[l]!.hits++
          for (const t of tokens) hits[l]!.chars += t.length
          next[l] = i + tokens.length
          break
        }
      }
    }
    return hits
  }
}

const zhLists = new SubstringLists()
const enLists = new TokenLists()

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
    m = lang === 'zh' ? zhLists.add(entries) : enLists.add(entries)
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
