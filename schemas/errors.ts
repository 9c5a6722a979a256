/**
 * The fixed set of error codes. They are metric labels, dead-letter reasons and (through
 * `exitCodeFor`) process exit codes, so add one only when a caller must act differently on it.
 */
export const ERROR_CODES = {
  // bad input: never thrown for one document; the document is dead-lettered with the code
  bad_json: 'a JSON line does not parse or is not an object',
  bad_utf8: 'bytes that must be UTF-8 text are not valid UTF-8',
  bad_warc: 'a WARC record header or block is malformed',
  bad_http: 'an HTTP message inside a WARC record is malformed',
  truncated: 'the input ends in the middle of a record (or a gzip member)',
  bad_gzip: 'compressed bytes do not decompress',
  oversize: 'the document is larger than the configured maximum',
  empty_text: 'the document has no text or body',
  missing_field: 'a required field (text, html or url mapping) is missing',
  bad_schema: 'a record does not match its schema',
  bad_parquet: 'a Parquet row cannot be read',
  stage_failed: 'a stage could not process a record (kept as a dead letter with the error)',
  // failures of the run itself
  config: 'invalid configuration or arguments',
  io: 'a file cannot be read or written',
  broker_unavailable: 'no Kafka broker answers',
  kafka: 'a Kafka request failed',
  missing_dependency: 'a required program (java, mvn) is not installed',
  interrupted: 'stopped by a signal',
  gate_failed: 'a data-evaluation gate failed',
  protocol: 'a batch-protocol peer sent what the protocol does not allow'
} as const

export type ErrorCode = keyof typeof ERROR_CODES

export interface ErrorDetails {
  retryable: boolean
  cause?: unknown
  [key: string]: unknown
}

export class SluiceError extends Error {
  override readonly name = 'SluiceError'
  constructor (readonly code: ErrorCode, message: string, readonly details: ErrorDetails = { retryable: false }) {
    super(message, { cause: details.cause })
  }
}

const EXIT_CODES: Partial<Record<ErrorCode, number>> = {
  config: 2,
  io: 3,
  broker_unavailable: 4,
  kafka: 5,
  missing_dependency: 6,
  // the run worked but the data did not pass: a retry will not help, tighter filters (Ziya2: AS/RF) will
  gate_failed: 7,
  interrupted: 130
}

export function exitCodeFor (err: unknown): number {
  if (err instanceof SluiceError) return EXIT_CODES[err.code] ?? 1
  return 1
}
