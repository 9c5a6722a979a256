import { TextView, ruleLanguage } from '../../streams/filters/text.ts'
import type { ListName } from '../../streams/filters/wordlists.ts'
import { htmlRemnants } from './html-remnants.ts'
import { READABILITY_DEFAULTS, unreadable, type ReadabilityOptions } from './readability.ts'
import type { SampledDoc } from './sample.ts'

/**
 * What the privacy and word metrics look for. Injected, so the lists and the PII patterns live
 * once, with the filters that act on them (`streams/filters/`), and tests can plant their own.
 */
export interface Detectors {
  /** PII found in a text, by kind (email, phone, id). */
  pii: (text: string) => Record<string, number>
  /** Hits of a word list in a text, in the list of the text's language. */
  words: (list: ListName, view: TextView) => number
}

export interface MetricOptions {
  /** Violent and terrorist words per 1,000 length units above which a document is toxic (RF drops above 2). */
  toxicDensity: number
  /** Advertising phrases per 1,000 length units above which a document is an ad (RF drops above 3). */
  adsDensity: number
  readability: ReadabilityOptions
}

export const METRIC_DEFAULTS: MetricOptions = { toxicDensity: 2, adsDensity: 3, readability: READABILITY_DEFAULTS }

/**
 * A per-document check. `flag` returns why the document is unqualified (a short label, tallied in
 * the audit's details) or null; `applies` leaves documents out of the metric's sample (perplexity
 * for documents that carry none).
 */
export interface DocumentMetric {
  name: string
  describe: string
  applies?: (doc: SampledDoc) => boolean
  flag: (doc: SampledDoc, view: TextView) => string | null
}

const per1000 = (hits: number, view: TextView): number => view.length === 0 ? 0 : hits * 1000 / view.length

/** The gated automatic metrics of Ziya2's data evaluation, except perplexity (see perplexity.ts). */
export function documentMetrics (detectors: Detectors, o: MetricOptions = METRIC_DEFAULTS): DocumentMetric[] {
  return [
    {
      name: 'privacy',
      describe: 'e-mail addresses, phone numbers or ID numbers left unmasked',
      flag: doc => {
        const kinds = Object.entries(detectors.pii(doc.text)).filter(([, n]) => n > 0).map(([k]) => k)
        return kinds.length === 0 ? null : kinds.join('+')
      }
    },
    {
      name: 'toxic',
      describe: `an explicit word or a slur, or more than ${o.toxicDensity} violent/terrorist words per 1,000 words (zh: characters)`,
      flag: (_, view) => {
        for (const list of ['explicit', 'discrimination'] as const) if (detectors.words(list, view) > 0) return list
        return per1000(detectors.words('violence', view) + detectors.words('terror', view), view) > o.toxicDensity ? 'violence' : null
      }
    },
    {
      name: 'ads',
      describe: `more than ${o.adsDensity} advertising phrases per 1,000 words (zh: characters)`,
      flag: (_, view) => per1000(detectors.words('ads', view), view) > o.adsDensity ? 'ads' : null
    },
    {
      name: 'html',
      describe: 'HTML tags, comments or entities left in the text',
      flag: doc => htmlRemnants(doc.text) > 0 ? 'markup' : null
    },
    {
      name: 'unreadable',
      describe: 'garbled characters, mostly symbols, mostly very long tokens, or long text without sentence punctuation',
      flag: doc => unreadable(doc.text, o.readability)
    }
  ]
}

/** The view the word lists read: the document's language (zh, en, else other) and its text. */
export function textView (doc: SampledDoc): TextView {
  return new TextView(doc.text, ruleLanguage(doc.lang, doc.text).lang)
}
