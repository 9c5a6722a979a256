import { z } from 'zod'
import { countPhones } from './pii.ts'
import { count, defineRule, perLang, ratio, removeSentences, removeUnits, type RuleSpec } from './rule.ts'
import { LANGS, type TextView } from './text.ts'
import { matchers, type ListName } from './wordlists.ts'

// Ziya2 RF, content: toxic and advertising words by density at document level, then the lines and
// sentences that carry them. Densities are hits per 1,000 length units (zh characters, en words),
// so one threshold reads the same in both languages.

const per1000 = (hits: number, view: TextView): number => ratio(hits * 1000, view.length)
const density = z.number().min(0)

function densityRule (name: string, list: ListName, max: number, what: string): RuleSpec {
  return defineRule({
    name,
    set: 'ziya2',
    level: 'document',
    languages: LANGS,
    describe: `${what} words per 1,000 length units (word list \`*-${list}.txt\`); drops above \`max\``,
    options: z.strictObject({ max: density.default(max) }),
    build: o => {
      const lists = matchers(list)
      return view => { const d = per1000(lists(view.lang).inView(view).hits, view); return { value: d, drop: d > o.max } }
    }
  })
}

const URL = /\bhttps?:\/\/[^\s<>"']+|\bwww\.[a-z0-9-]+\.[a-z]{2,}[^\s<>"']*/gi

export const ZIYA2_CONTENT_RULES: RuleSpec[] = [
  densityRule('ziya2_explicit', 'explicit', 2, 'explicit and obscene'),
  densityRule('ziya2_violence', 'violence', 2, 'violent'),
  densityRule('ziya2_terror', 'terror', 2, 'terrorist'),
  densityRule('ziya2_discrimination', 'discrimination', 1, 'discriminatory (slurs)'),
  densityRule('ziya2_ads', 'ads', 3, 'advertising and gambling-spam'),
  defineRule({
    name: 'ziya2_contacts',
    set: 'ziya2',
    level: 'document',
    languages: LANGS,
    describe: 'phone numbers and URLs per 1,000 length units (listings, contact spam); drops above `max`',
    options: z.strictObject({ max: density.default(8) }),
    build: o => view => {
      // the URL pattern needs "http" or "www." (case aside)
      const urls = view.lower.includes('http') || view.lower.includes('www.') ? view.text.match(URL)?.length ?? 0 : 0
      const d = per1000(countPhones(view.text) + urls, view)
      return { value: d, drop: d > o.max }
    }
  }),
  defineRule({
    name: 'ziya2_ad_lines',
    set: 'ziya2',
    level: 'paragraph',
    languages: LANGS,
    describe: 'lines removed: a short line (at most `maxLineChars`) with an ad phrase, or any line with `minHits` of them',
    options: z.strictObject({ maxLineChars: perLang(count, { zh: 50, en: 150, other: 150 }), minHits: count.positive().default(3) }),
    build: o => {
      const lists = matchers('ads')
      return view => {
        const m = lists(view.lang)
        if (m.inView(view).hits === 0) return { value: 0, drop: false }
        const max = o.maxLineChars[view.lang]
        return removeUnits(view.lines, line => { const h = m.inText(line).hits; return h >= o.minHits || (h > 0 && line.length <= max) }, '\n')
      }
    }
  }),
  defineRule({
    name: 'ziya2_toxic_sentences',
    set: 'ziya2',
    level: 'sentence',
    languages: LANGS,
    describe: 'sentences removed: those with an explicit word or a slur (violence and terror words stay: news reports them)',
    options: z.strictObject({}),
    build: () => {
      const explicit = matchers('explicit')
      const slurs = matchers('discrimination')
      return view => {
        const a = explicit(view.lang)
        const b = slurs(view.lang)
        if (a.inView(view).hits + b.inView(view).hits === 0) return { value: 0, drop: false }
        return removeSentences(view, s => a.inText(s).hits > 0 || b.inText(s).hits > 0)
      }
    }
  })
]
