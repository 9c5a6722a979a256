import type { Document, SignalValue } from '../../schemas/document.ts'
import type { RawRecord } from '../../schemas/raw-record.ts'
import { counted, type Operator } from '../operator.ts'
import { rawToDocument } from '../operators/to-document.ts'
import { cleanText } from './clean.ts'
import type { NormalizeConfig } from './config.ts'
import { decodeBody } from './decode.ts'
import { extractMainText } from './extract.ts'
import { identifyLanguage } from './langid.ts'
import { looksTraditional, toSimplified } from './zh-convert.ts'

const MARKUP_TYPE = /html|xml/i
const MARKUP_SNIFF = /<(?:!doctype|html|head|body|div|p|br|title|meta)[\s>/]/i

/** Markup by its declared type, or by a look at the start when the type is missing or generic. */
function isMarkup (contentType: string | null, text: string): boolean {
  if (contentType !== null && MARKUP_TYPE.test(contentType)) return true
  if (contentType !== null && /^text\/plain/i.test(contentType)) return false
  return MARKUP_SNIFF.test(text.slice(0, 2048))
}

/**
 * Ziya2's preprocessing of one raw record: decode the payload (BOM, HTTP, meta, detection), extract
 * the main text from markup, clean it, identify the language and convert Traditional Chinese to
 * Simplified. Every step adds what it found or changed as signals; a document left without text is
 * marked `drop` with reason `normalize:empty_text`, never removed.
 */
export function normalizeRecord (raw: RawRecord, ingestedAt: string, config: NormalizeConfig): Document {
  const doc = rawToDocument(raw, ingestedAt)
  const signals: Record<string, SignalValue> = {}
  let text = raw.text ?? ''
  let html: string | null = null
  if (raw.body !== null) {
    const decoded = decodeBody(raw.body, raw.content_type)
    Object.assign(signals, decoded.signals)
    text = decoded.text
    if (isMarkup(raw.content_type, text)) html = text
  }
  if (html !== null) {
    if (config.extract) {
      const extracted = extractMainText(html, { url: raw.url ?? undefined, fast: config.extractMode === 'fast' })
      Object.assign(signals, extracted.signals)
      text = extracted.text
      if (extracted.title !== null) signals.extract_title = extracted.title
    }
  }
  const cleaned = cleanText(text)
  Object.assign(signals, cleaned.signals)
  text = cleaned.text
  const language = identifyLanguage(text)
  Object.assign(signals, language.signals)
  signals.lang_confidence = language.confidence
  if (language.lang === 'zh') {
    const traditional = looksTraditional(text)
    signals.zhconv_traditional_ratio = traditional
    if (traditional >= config.traditionalThreshold) {
      const converted = toSimplified(text, config.traditionalVariant)
      text = converted.text
      signals.zhconv_changed = converted.changed
    }
  }
  const empty = [...text].length < config.minTextChars
  return {
    ...doc,
    lang: language.lang,
    text,
    html,
    signals: { ...doc.signals, ...signals },
    ...(empty ? { decision: 'drop' as const, reason: 'normalize:empty_text' } : {})
  }
}

export interface NormalizeHooks {
  /** A record's ingest time (in a stage worker its Kafka timestamp, so a replay gives the same document). */
  ingestedAt?: (raw: RawRecord) => string
  /** Told why a record failed, before it is dropped, so the stage can dead-letter it with the message. */
  onError?: (raw: RawRecord, err: Error) => void
}

/**
 * The `normalize` operator: raw records in, normalized documents out (one each; empty ones marked
 * drop). A record whose normalization throws is handed to `ctx.drop` with reason `normalize_error`
 * (the stage dead-letters it) so one bad page cannot stop the stream. Stateless.
 */
export function normalizeDocuments (config: NormalizeConfig, hooks: NormalizeHooks = {}): Operator<RawRecord, Document> {
  const ingestedAt = hooks.ingestedAt ?? (() => new Date().toISOString())
  return counted(async function * (records, ctx) {
    for await (const raw of records) {
      let doc: Document
      try {
        doc = normalizeRecord(raw, ingestedAt(raw), config)
      } catch (err) {
        hooks.onError?.(raw, err as Error)
        ctx.drop(raw, 'normalize_error')
        continue
      }
      yield doc
    }
  })
}
