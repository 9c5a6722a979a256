import { maskPii } from '../../streams/filters/pii.ts'
import { matchers, type ListName } from '../../streams/filters/wordlists.ts'
import type { Detectors } from './metrics.ts'

const LISTS: ListName[] = ['explicit', 'discrimination', 'violence', 'terror', 'ads']

/** The filters' own PII patterns and word lists (`streams/filters/`), read once, before sampling. */
export function filterDetectors (): Detectors {
  const lists = new Map(LISTS.map(l => [l, matchers(l)]))
  return {
    pii: text => maskPii(text, { email: null, phone: null, id: null }).counts,
    words: (list, view) => (lists.get(list) ?? matchers(list))(view.lang).inView(view).hits
  }
}
