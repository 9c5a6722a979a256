import { z } from 'zod'
import {
  Binary, Bool, Field, Float64, Int32, Int64, Schema, Struct, TimestampMillisecond, Utf8, vectorFromArray,
  Table, type DataType, type Vector
} from 'apache-arrow'

/**
 * One definition per record type gives three views that cannot drift apart: the TypeScript type
 * (`Infer`), runtime validation (zod) and the Arrow schema the lake writes to Parquet.
 */
export interface Column<T> {
  readonly zod: z.ZodType<T>
  readonly arrow: () => DataType
  /** Converts a validated value to what the Arrow builder takes (e.g. JSON text for `json`). */
  readonly toArrow: (value: T) => unknown
  readonly nullable: boolean
  readonly doc: string
}

function column<T> (zod: z.ZodType<T>, arrow: () => DataType, doc: string, toArrow: (v: T) => unknown = v => v): Column<T> {
  return { zod, arrow, toArrow, nullable: false, doc }
}

export const col = {
  string: (doc: string) => column(z.string(), () => new Utf8(), doc),
  int: (doc: string) => column(z.number().int(), () => new Int32(), doc),
  /** Byte offsets and Kafka offsets: safe integers, stored as Int64. */
  long: (doc: string) => column(z.number().int().nonnegative(), () => new Int64(), doc, v => BigInt(v)),
  float: (doc: string) => column(z.number(), () => new Float64(), doc),
  bool: (doc: string) => column(z.boolean(), () => new Bool(), doc),
  /** ISO-8601 text in JSON and Kafka, a millisecond timestamp in Arrow. */
  timestamp: (doc: string) => column(z.iso.datetime({ offset: true }), () => new TimestampMillisecond(), doc, v => Date.parse(v)),
  bytes: (doc: string) => column(z.instanceof(Uint8Array), () => new Binary(), doc),
  literal: <L extends string | number>(value: L, doc: string) =>
    column(z.literal(value) as unknown as z.ZodType<L>, () => typeof value === 'number' ? new Int32() : new Utf8(), doc),
  enumOf: <E extends string>(values: readonly [E, ...E[]], doc: string) => column(z.enum(values) as unknown as z.ZodType<E>, () => new Utf8(), doc),
  /** Open-ended named values (signals, headers): JSON text in Arrow, so new names need no schema change. */
  json: <T extends Record<string, unknown>>(zod: z.ZodType<T>, doc: string) => column(zod, () => new Utf8(), doc, v => JSON.stringify(v)),
  struct: <S extends Shape>(shape: S, doc: string): Column<Infer<S>> => column(
    z.strictObject(zodShape(shape)) as unknown as z.ZodType<Infer<S>>,
    () => new Struct(arrowFields(shape)),
    doc,
    v => toArrowRow(shape, v)
  ),
  nullable: <T>(inner: Column<T>): Column<T | null> => ({
    zod: inner.zod.nullable(),
    arrow: inner.arrow,
    toArrow: v => v === null ? null : inner.toArrow(v),
    nullable: true,
    doc: inner.doc
  })
}

export type Shape = Record<string, Column<any>>
export type Infer<S extends Shape> = { [K in keyof S]: S[K] extends Column<infer T> ? T : never }

function zodShape<S extends Shape> (shape: S): Record<string, z.ZodType> {
  return Object.fromEntries(Object.entries(shape).map(([k, c]) => [k, c.zod]))
}

function arrowFields (shape: Shape): Field[] {
  return Object.entries(shape).map(([k, c]) => new Field(k, c.arrow(), c.nullable))
}

function toArrowRow<S extends Shape> (shape: S, row: Infer<S>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, c] of Object.entries(shape)) out[k] = c.toArrow((row as Record<string, unknown>)[k])
  return out
}

export interface RecordSchema<S extends Shape> {
  readonly name: string
  readonly version: number
  readonly shape: S
  readonly zod: z.ZodType<Infer<S>>
  /** Validates an unknown value; throws a zod error naming the field. */
  parse: (value: unknown) => Infer<S>
  /** Validates without throwing: a message naming the first bad field, or the record. */
  check: (value: unknown) => { ok: true, value: Infer<S> } | { ok: false, message: string }
  arrowSchema: () => Schema
  toArrowTable: (rows: ReadonlyArray<Infer<S>>) => Table
}

export function defineSchema<S extends Shape> (name: string, version: number, shape: S): RecordSchema<S> {
  const zod = z.strictObject(zodShape(shape)) as unknown as z.ZodType<Infer<S>>
  const arrowSchema = (): Schema => new Schema(arrowFields(shape), new Map([['sluice.schema', `${name}.v${version}`]]))
  return {
    name,
    version,
    shape,
    zod,
    parse: value => zod.parse(value),
    check: value => {
      const r = zod.safeParse(value)
      if (r.success) return { ok: true, value: r.data }
      const issue = r.error.issues[0]
      const where = issue?.path.length ? issue.path.join('.') : '(record)'
      return { ok: false, message: `${name} v${version}: ${where}: ${issue?.message ?? 'invalid'}` }
    },
    arrowSchema,
    toArrowTable: rows => {
      const schema = arrowSchema()
      const columns: Record<string, Vector> = {}
      for (const field of schema.fields) {
        const c = shape[field.name]!
        columns[field.name] = vectorFromArray(rows.map(r => c.toArrow((r as Record<string, unknown>)[field.name])), field.type)
      }
      return new Table(schema, columns)
    }
  }
}
