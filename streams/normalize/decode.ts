import { isUtf8 } from 'node:buffer'
import { httpCharset, metaCharset, resolveLabel, sniffBom } from './decode-declared.ts'
import { decodeAs } from './decode-text.ts'
import { CANDIDATES, type Candidate, detectCharset, detectionSample, highByteCount } from './decode-detect.ts'

export interface DecodedBody {
  text: string
  /** WHATWG name of the encoding used (GBK and GB2312 are reported as gb18030). */
  charset: string
  from: 'bom' | 'http' | 'meta' | 'detected' | 'default'
  confidence: number
  /** `decode_charset`, `decode_from`, `decode_confidence`, `decode_replacement_chars`, and `decode_declared` (the label as written) when there was one. */
  signals: Record<string, number | string>
}

/**
 * A declared charset is overruled only when another candidate explains this much more of the
 * high bytes: declarations are right far more often than not, and a detector that is merely a
 * little more confident on a short page should not override the author.
 */
const OVERRULE_MARGIN = 0.3

/**
 * Text of an HTTP body. Order of evidence: byte-order mark, the Content-Type charset, a `<meta>`
 * declaration, then detection. A declaration is checked against the bytes first, because labels
 * are often wrong: a page said to be ISO-8859-1 that is valid UTF-8 is read as UTF-8, one whose
 * declared encoding produces replacement characters or explains the bytes much worse than another
 * candidate is read as detected. Never throws.
 *
 * @example
 * decodeBody(gbkBytes, 'text/html; charset=gb2312').charset // 'gb18030'
 */
export function decodeBody (body: Uint8Array, contentType: string | null): DecodedBody {
  const bom = sniffBom(body)
  if (bom !== null) return decoded(body, bom.charset, 'bom', 1)

  const httpLabel = httpCharset(contentType)
  const metaLabel = metaCharset(body)
  const httpName = httpLabel === null ? null : resolveLabel(httpLabel)
  const metaName = metaLabel === null ? null : resolveLabel(metaLabel)
  const declared = httpName !== null
    ? { label: httpLabel!, charset: httpName, from: 'http' as const }
    : metaName !== null ? { label: metaLabel!, charset: metaName, from: 'meta' as const } : null
  const label = declared?.label ?? httpLabel ?? metaLabel

  const sample = detectionSample(body)
  if (sample.length === 0) return decoded(body, declared?.charset ?? 'utf-8', declared?.from ?? 'default', 1, label)
  if (declared === null) return detected(body, label)

  // legacy bytes are almost never valid UTF-8, so validity settles it either way
  if (isUtf8(body)) return declared.charset === 'utf-8' ? decoded(body, 'utf-8', declared.from, 1, label) : detected(body, label)
  const detection = (CANDIDATES as readonly string[]).includes(declared.charset) ? detectCharset(body) : null
  if (detection !== null && detection.charset !== declared.charset &&
      detection.scores[detection.charset]! - detection.scores[declared.charset as Candidate]! > OVERRULE_MARGIN) {
    return decoded(body, detection.charset, 'detected', detection.confidence, label)
  }
  const out = decoded(body, declared.charset, declared.from, 1, label)
  const replaced = out.signals.decode_replacement_chars as number
  // a charset detection does not model (windows-1251, ...) is kept unless it cannot decode the bytes
  if (detection === null && replaced > 0) return detected(body, label)
  out.confidence = out.signals.decode_confidence = round(1 - Math.min(1, 2 * replaced / highByteCount(sample)))
  return out
}

function detected (body: Uint8Array, label: string | null): DecodedBody {
  const { charset, confidence } = detectCharset(body)
  return decoded(body, charset, 'detected', confidence, label)
}

function decoded (body: Uint8Array, charset: string, from: DecodedBody['from'], confidence: number, label: string | null = null): DecodedBody {
  const text = decodeAs(body, charset)
  const signals: Record<string, number | string> = {
    decode_charset: charset,
    decode_from: from,
    decode_confidence: confidence,
    decode_replacement_chars: countReplacements(text)
  }
  if (label !== null) signals.decode_declared = label
  return { text, charset, from, confidence, signals }
}

function countReplacements (text: string): number {
  let n = 0
  for (let i = text.indexOf('\ufffd'); i >= 0; i = text.indexOf('\ufffd', i + 1)) n++
  return n
}

function round (x: number): number {
  return Math.round(x * 1000) / 1000
}
