import path from 'node:path'
import { headBytes } from './bytes.ts'

/** `lines` (plain text, a document a line) is never detected: a text file is one document unless asked. */
export const INPUT_FORMATS = ['warc', 'jsonl', 'parquet', 'text', 'lines', 'html'] as const
export type InputFormat = typeof INPUT_FORMATS[number]

/**
 * Decides how to read a file from its first bytes, then its name: Common Crawl ships WET files
 * named `.txt` and JSON lines named `.json`, so content wins over extensions.
 */
export async function detectFormat (file: string): Promise<InputFormat> {
  const head = await headBytes(file, 512)
  if (head.subarray(0, 4).toString('latin1') === 'PAR1') return 'parquet'
  const start = head.toString('latin1').replace(/^\uFEFF|^\xEF\xBB\xBF/, '').trimStart()
  if (start.startsWith('WARC/')) return 'warc'
  const name = path.basename(file).toLowerCase().replace(/\.gz$/, '')
  if (/\.(jsonl|ndjson|json)$/.test(name) || start.startsWith('{')) return 'jsonl'
  if (/\.(html?|xhtml)$/.test(name) || /^<(!doctype|html|head|body|\?xml)/i.test(start)) return 'html'
  return 'text'
}
