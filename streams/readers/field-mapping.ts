import type { IngestConfig } from '../../schemas/config.ts'
import { documentId } from '../../schemas/ids.ts'
import { filePosition } from '../../schemas/provenance.ts'
import type { RawRecord } from '../../schemas/raw-record.ts'
import type { ErrorCode } from '../../schemas/errors.ts'

export type FieldMapping = IngestConfig['jsonl']

// specs are split once, not per record: this runs for every JSONL line
const parsedSpecs = new Map<string, Array<{ path: string, keys: string[] }>>()

function parseSpec (spec: string): Array<{ path: string, keys: string[] }> {
  let parsed = parsedSpecs.get(spec)
  if (parsed === undefined) {
    parsed = spec.split(',').map(s => s.trim()).filter(Boolean).map(path => ({ path, keys: path.split('.') }))
    parsedSpecs.set(spec, parsed)
  }
  return parsed
}

/** Each mapping entry is a comma-separated list of dotted paths; the first present value wins. */
function pick (obj: Record<string, unknown>, spec: string): { value: unknown, path: string } | undefined {
  for (const { path, keys } of parseSpec(spec)) {
    let cur: unknown = obj
    for (const key of keys) {
      cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined
    }
    if (cur !== undefined && cur !== null) return { value: cur, path }
  }
  return undefined
}

function isoOrNull (v: unknown): string | null {
  if (typeof v !== 'string' && typeof v !== 'number') return null
  const t = typeof v === 'number' ? (v < 1e12 ? v * 1000 : v) : Date.parse(v)
  return Number.isFinite(t) ? new Date(t).toISOString() : null
}

export type MappedRecord = { ok: true, record: RawRecord } | { ok: false, code: ErrorCode, message: string }

export interface MapContext {
  file: string
  offset: number
  length: number
  source: string
  crawlId: string | null
  recordType: 'jsonl' | 'parquet'
}

/**
 * Turns one parsed JSON object (a JSONL line or a Parquet row) into a raw record through the
 * field mapping. Fields the mapping does not name are kept in `meta`, never dropped.
 */
export function mapObject (obj: Record<string, unknown>, mapping: FieldMapping, ctx: MapContext): MappedRecord {
  const text = pick(obj, mapping.text)
  const html = pick(obj, mapping.html)
  const url = pick(obj, mapping.url)
  const id = pick(obj, mapping.id)
  const fetched = pick(obj, mapping.fetchedAt)
  if (text === undefined && html === undefined) {
    return { ok: false, code: 'missing_field', message: `no text field (${mapping.text}) or html field (${mapping.html}); fields present: ${Object.keys(obj).slice(0, 12).join(', ')}` }
  }
  for (const [name, f] of [['text', text], ['html', html], ['url', url]] as const) {
    if (f !== undefined && typeof f.value !== 'string') return { ok: false, code: 'bad_schema', message: `field ${f.path} (${name}) is ${typeof f.value}, not a string` }
  }
  const textValue = text?.value as string | undefined
  const htmlValue = html?.value as string | undefined
  if ((textValue ?? '').trim() === '' && (htmlValue ?? '').trim() === '') {
    return { ok: false, code: 'empty_text', message: `field ${text?.path ?? html?.path} is empty` }
  }
  const urlValue = (url?.value as string | undefined) ?? null
  const used = new Set([text, html, url, id, fetched].filter(f => f !== undefined && !f.path.includes('.')).map(f => f!.path))
  const rest = Object.fromEntries(Object.entries(obj).filter(([k]) => !used.has(k)))
  const inputId = id !== undefined && (typeof id.value === 'string' || typeof id.value === 'number') ? String(id.value) : undefined
  const record: RawRecord = {
    schema_version: 1,
    id: inputId ?? documentId(urlValue, textValue ?? htmlValue!),
    url: urlValue,
    source: ctx.source,
    crawl_id: ctx.crawlId,
    fetched_at: fetched === undefined ? null : isoOrNull(fetched.value),
    record_type: ctx.recordType,
    content_type: htmlValue !== undefined && textValue === undefined ? 'text/html' : 'text/plain',
    http_status: null,
    http_headers: null,
    text: textValue ?? null,
    body: textValue === undefined && htmlValue !== undefined ? new Uint8Array(Buffer.from(htmlValue)) : null,
    meta: Object.keys(rest).length > 0 ? rest : null,
    provenance: filePosition(ctx.file, ctx.offset, ctx.length)
  }
  return { ok: true, record }
}
