import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { readAvroFile } from '../../lake/avro/decode.ts'
import { BLOCK_RECORDS, writeAvroFile } from '../../lake/avro/encode.ts'
import { MANIFEST_LIST_SCHEMA } from '../../lake/iceberg/manifests.ts'
import type { AvroSchema } from '../../lake/avro/schema.ts'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-avro-'))
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }))

const bytes = (...b: number[]) => new Uint8Array(b)

// every supported type, named references (short and full), namespaces, Iceberg-style id attributes
const KITCHEN: AvroSchema = {
  type: 'record',
  name: 'kitchen',
  namespace: 'sluice.test',
  fields: [
    { name: 'n', type: 'null' },
    { name: 'b', type: 'boolean' },
    { name: 'i', type: 'int', 'field-id': 1 },
    { name: 'l', type: 'long', 'field-id': 2 },
    { name: 'f', type: 'float' },
    { name: 'd', type: 'double' },
    { name: 'by', type: 'bytes' },
    { name: 's', type: 'string' },
    { name: 'fx', type: { type: 'fixed', name: 'tag4', size: 4 } },
    { name: 'arr', type: { type: 'array', items: 'long', 'element-id': 7 } },
    { name: 'm', type: { type: 'map', values: ['null', 'string'], 'key-id': 8, 'value-id': 9 } },
    { name: 'point', type: { type: 'record', name: 'point', fields: [{ name: 'x', type: 'double' }, { name: 'tag', type: 'tag4' }] } },
    { name: 'points', type: { type: 'array', items: 'point' } },
    { name: 'again', type: 'sluice.test.point' },
    { name: 'opt', type: ['null', 'point'], default: null, 'field-id': 3 },
    { name: 'multi', type: ['null', 'string', 'long', 'bytes'] },
    { name: 'nested', type: { type: 'array', items: { type: 'map', values: { type: 'array', items: 'string' } } } }
  ]
}

const point = (x: number, t: number) => ({ x, tag: bytes(t, t, t, t) })
const KITCHEN_RECORDS = [
  {
    n: null, b: true, i: 2 ** 31 - 1, l: 2n ** 63n - 1n, f: 1.5, d: Math.PI, by: bytes(0, 255, 128), s: 'naïve 日本語 🚀 ∑',
    fx: bytes(1, 2, 3, 4), arr: [0, -1, 1, 2n ** 53n + 1n, -(2n ** 63n)], m: { a: 'x', b: null, 'ключ': 'значение' },
    point: point(-0.5, 9), points: [point(1, 1), point(2, 2)], again: point(3, 3), opt: point(4, 4), multi: 'text',
    nested: [{ k: ['a', 'b'], e: [] }, {}]
  },
  {
    n: null, b: false, i: -(2 ** 31), l: -(2n ** 63n), f: -0.25, d: -1e-300, by: bytes(), s: '',
    fx: bytes(0, 0, 0, 0), arr: [], m: {}, point: point(0, 0), points: [], again: point(0, 1), opt: null, multi: -(2n ** 60n),
    nested: []
  },
  {
    n: null, b: true, i: 0, l: 4_000_000_000, f: 350000, d: 1.7976931348623157e308, by: bytes(7), s: '\u0000 nul and "quotes"',
    fx: bytes(9, 8, 7, 6), arr: [2 ** 52 - 1, -(2 ** 52), 2 ** 53 - 1], m: { z: '' }, point: point(1e10, 5), points: [point(-1, 6)],
    again: point(2, 7), opt: point(-2, 8), multi: bytes(1, 2), nested: [{ only: ['x'] }]
  }
]

// the Iceberg v2 manifest_file schema (spec "Manifest Lists") that Sluice writes, field ids included
const MANIFEST_LIST = MANIFEST_LIST_SCHEMA as AvroSchema

// Iceberg snapshot ids are random positive longs, mostly beyond 2^53
const MANIFEST_LIST_RECORDS = Array.from({ length: 40 }, (_, i) => ({
  manifest_path: `/lake/docs/metadata/${i}-m0.avro`,
  manifest_length: 4096 + i,
  partition_spec_id: 0,
  content: i % 2,
  sequence_number: i + 1,
  min_sequence_number: 1,
  added_snapshot_id: 7781530112749474286n - BigInt(i),
  added_files_count: i,
  existing_files_count: 0,
  deleted_files_count: 0,
  added_rows_count: 1_000_000 * i,
  existing_rows_count: 0,
  deleted_rows_count: 0,
  partitions: i % 3 === 0 ? null : i % 3 === 1 ? [] : [
    { contains_null: false, contains_nan: null, lower_bound: new TextEncoder().encode('de'), upper_bound: new TextEncoder().encode('zh') },
    { contains_null: true, contains_nan: false, lower_bound: null, upper_bound: null }
  ]
}))

const MANIFEST_LIST_METADATA = { 'snapshot-id': '7781530112749474286', 'parent-snapshot-id': 'null', 'sequence-number': '40', 'format-version': '2' }

/**
 * A JSON form both sides agree on: longs beyond 2^53 as decimal strings (JSON numbers would lose
 * them in JS), bytes as hex. Mirrors `out`/`revive` in the Python helper.
 */
function portable (v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) && BigInt(Number(v)) === v ? Number(v) : { $long: v.toString() }
  if (v instanceof Uint8Array) return { $bytes: Buffer.from(v).toString('hex') }
  if (Array.isArray(v)) return v.map(portable)
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, portable(x)]))
  return v
}

const roundTrip = (schema: unknown, records: unknown[], codec: 'null' | 'deflate' = 'null') =>
  readAvroFile(writeAvroFile(schema, records, { codec })).records

/** Iceberg's id attributes ("field-id", "element-id", ...) anywhere in a schema, sorted. */
const ids = (schema: unknown) => (JSON.stringify(schema).match(/"[a-z]+-id":\d+/g) ?? []).sort()

function syncMarkers (file: Buffer): number {
  const sync = file.subarray(file.length - 16)
  let n = 0
  for (let at = file.indexOf(sync); at >= 0; at = file.indexOf(sync, at + 16)) n++
  return n
}

describe('round trip', () => {
  test.each(['null', 'deflate'] as const)('every type, codec %s', codec => {
    const out = roundTrip(KITCHEN, KITCHEN_RECORDS, codec)
    expect(portable(out)).toEqual(portable(KITCHEN_RECORDS))
    const first = out[0] as Record<string, unknown>
    expect(first.by).toBeInstanceOf(Uint8Array)
    expect(first.l).toBe(2n ** 63n - 1n)
    expect((first.arr as unknown[])[1]).toBe(-1)
  })

  test('longs across the signed 64-bit range: numbers while safe, else bigints', () => {
    const values = [
      0, 1, -1, 63, -64, 64, -65, 2 ** 31 - 1, -(2 ** 31), 2 ** 32, 2 ** 49, -(2 ** 49) - 1, 2 ** 52 - 1, -(2 ** 52), 2 ** 52,
      Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 53, -(2 ** 60), 5n, -5n, 2n ** 53n + 1n, -(2n ** 53n) - 1n,
      2n ** 62n, 2n ** 63n - 1n, -(2n ** 63n)
    ]
    const out = roundTrip({ type: 'array', items: 'long' }, [values])[0] as unknown[]
    const expected = values.map(v => Number.isSafeInteger(Number(v)) ? Number(v) : BigInt(v))
    expect(out).toEqual(expected)
    out.forEach((v, i) => expect(typeof v).toBe(typeof expected[i]))
  })

  test('floats and doubles keep their IEEE values', () => {
    const values = [{ f: 0.1, d: Number.NaN }, { f: Infinity, d: -Infinity }, { f: -0, d: -0 }, { f: 3.4e38, d: 5e-324 }]
    const out = roundTrip({ type: 'record', name: 'fd', fields: [{ name: 'f', type: 'float' }, { name: 'd', type: 'double' }] }, values) as Array<{ f: number, d: number }>
    expect(out.map(r => r.f)).toEqual([Math.fround(0.1), Infinity, -0, Math.fround(3.4e38)])
    expect(out[0]!.d).toBeNaN()
    expect(out.slice(1).map(r => r.d)).toEqual([-Infinity, -0, 5e-324])
    expect(Object.is(out[2]!.f, -0) && Object.is(out[2]!.d, -0)).toBe(true)
  })

  test('recursive named types, annotated primitives and references in attribute form', () => {
    // untyped: AvroSchema has no attribute form for references, which Java's Avro and this codec still accept
    const schema = {
      type: 'record',
      name: 'node',
      fields: [
        { name: 'day', type: { type: 'int', logicalType: 'date' } },
        { name: 'next', type: ['null', 'node'] },
        { name: 'self', type: ['null', { type: 'node' }] }
      ]
    }
    const list = { day: 1, next: { day: 2, next: { day: 3, next: null, self: null }, self: null }, self: { day: 4, next: null, self: null } }
    expect(roundTrip(schema, [list])).toEqual([list])
  })

  test('many blocks, each ending in the sync marker', () => {
    const schema: AvroSchema = { type: 'record', name: 'row', fields: [{ name: 'id', type: 'long' }, { name: 's', type: 'string' }] }
    const records = Array.from({ length: 2 * BLOCK_RECORDS + 500 }, (_, i) => ({ id: i * 1_000_003, s: `row ${i} ✓` }))
    for (const codec of ['null', 'deflate'] as const) {
      const file = writeAvroFile(schema, records, { codec })
      expect(syncMarkers(file)).toBe(1 + 3) // header + three blocks
      expect(readAvroFile(file).records).toEqual(records)
    }
  })

  test('no records: a header and no blocks', () => {
    const file = writeAvroFile(MANIFEST_LIST, [], { metadata: { content: 'data' } })
    expect(syncMarkers(file)).toBe(1)
    expect(readAvroFile(file)).toMatchObject({ records: [], metadata: { content: 'data', 'avro.codec': 'null' } })
  })

  test('a missing optional field is written as null; a missing required one names its path', () => {
    const schema: AvroSchema = { type: 'record', name: 'r', fields: [{ name: 'a', type: 'long' }, { name: 'b', type: ['null', 'string'] }] }
    expect(roundTrip(schema, [{ a: 1 }])).toEqual([{ a: 1, b: null }])
    expect(() => writeAvroFile(schema, [{ a: 1 }, { b: 'x' }])).toThrow('records[1].a: expected long, got undefined')
  })

  test('union branches follow the JS value', () => {
    const schema: AvroSchema = { type: 'array', items: ['null', 'string', 'long', 'bytes', { type: 'array', items: 'int' }] }
    const values = [null, 's', 5, 5n, bytes(1), [1, 2]]
    expect(roundTrip(schema, [values])).toEqual([[null, 's', 5, 5, bytes(1), [1, 2]]])
    expect(() => writeAvroFile(schema, [[true]])).toThrow('records[0][0]: no branch of union [null, string, long, bytes, array] takes boolean true')
    expect(() => writeAvroFile(['int', 'string'], [null])).toThrow('no branch of union')
  })

  test('values outside their type are rejected with the path to them', () => {
    const long = { type: 'record', name: 'r', fields: [{ name: 'v', type: 'long' }] } satisfies AvroSchema
    expect(() => writeAvroFile(long, [{ v: 2n ** 63n }])).toThrow('records[0].v: expected long')
    expect(() => writeAvroFile(long, [{ v: 1.5 }])).toThrow('expected long, got number 1.5')
    expect(() => writeAvroFile('int', [2 ** 31])).toThrow('records[0]: expected int')
    expect(() => writeAvroFile(KITCHEN, [{ ...KITCHEN_RECORDS[0], points: [point(1, 1), { x: 1, tag: bytes(1) }] }]))
      .toThrow('records[0].points[1].tag: expected fixed sluice.test.tag4, got 1 bytes')
    expect(() => writeAvroFile({ type: 'map', values: 'int' }, [{ k: 'v' }])).toThrow('records[0]["k"]: expected int, got string v')
  })

  test('"__proto__" stays an ordinary key', () => {
    const m = JSON.parse('{"__proto__": "x", "a": "y"}') as Record<string, string>
    const out = roundTrip({ type: 'map', values: 'string' }, [m])[0] as Record<string, string>
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
    expect(Object.entries(out)).toEqual([['__proto__', 'x'], ['a', 'y']])
  })
})

describe('header', () => {
  test('carries the schema JSON verbatim, the codec and user metadata', () => {
    const file = readAvroFile(writeAvroFile(MANIFEST_LIST, MANIFEST_LIST_RECORDS, { codec: 'deflate', metadata: MANIFEST_LIST_METADATA }))
    expect(file.metadata).toEqual({ ...MANIFEST_LIST_METADATA, 'avro.schema': JSON.stringify(MANIFEST_LIST), 'avro.codec': 'deflate' })
    expect(file.schema).toEqual(MANIFEST_LIST)
  })

  test('avro.* metadata keys are reserved', () => {
    expect(() => writeAvroFile('int', [], { metadata: { 'avro.codec': 'snappy' } })).toThrow('reserved')
  })

  test('bad schemas are rejected', () => {
    expect(() => writeAvroFile({ type: 'array', items: 'r1' }, [])).toThrow('unknown type "r1"')
    expect(() => writeAvroFile(['null', ['int']], [])).toThrow('union may not directly contain a union')
    const twice = { type: 'record', name: 'r', fields: [{ name: 'a', type: { type: 'fixed', name: 'r', size: 1 } }] }
    expect(() => writeAvroFile(twice, [])).toThrow('type "r" defined twice')
    expect(() => writeAvroFile({ type: 'enum', name: 'e', symbols: ['A'] }, [])).toThrow('unknown type "enum"')
  })

  test('corrupt files fail loudly', () => {
    const file = writeAvroFile(KITCHEN, KITCHEN_RECORDS)
    expect(() => readAvroFile(Buffer.from('Obj\x02'))).toThrow('bad magic')
    expect(() => readAvroFile(file.subarray(0, file.length - 20))).toThrow('data ends early')
    const badSync = Buffer.from(file)
    badSync[badSync.length - 1] = badSync[badSync.length - 1]! ^ 1
    expect(() => readAvroFile(badSync)).toThrow('sync marker mismatch')
    // a block holding more than its records (as when read with the wrong schema): count 1, size 2, long 1, stray byte
    const header = writeAvroFile({ type: 'record', name: 'r', fields: [{ name: 'a', type: 'long' }] }, [])
    const block = Buffer.from([2, 4, 2, 4])
    expect(() => readAvroFile(Buffer.concat([header, block, header.subarray(header.length - 16)]))).toThrow('1 bytes after its 1 records')
  })
})

// fastavro is the reference implementation here: `pip install fastavro` (.ci/run installs it)
const PY = `
import json, sys
import fastavro
SAFE = 2 ** 53 - 1
def out(v):
    if isinstance(v, bytes): return {'$bytes': v.hex()}
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) > SAFE: return {'$long': str(v)}
    if isinstance(v, list): return [out(x) for x in v]
    if isinstance(v, dict): return {k: out(x) for k, x in v.items()}
    return v
def revive(v):
    if isinstance(v, list): return [revive(x) for x in v]
    if isinstance(v, dict):
        if list(v) == ['$bytes']: return bytes.fromhex(v['$bytes'])
        if list(v) == ['$long']: return int(v['$long'])
        return {k: revive(x) for k, x in v.items()}
    return v
mode, path = sys.argv[1], sys.argv[2]
if mode == 'read':
    with open(path, 'rb') as f:
        r = fastavro.reader(f)
        records = [out(x) for x in r]
        print(json.dumps({'records': records, 'metadata': r.metadata}))
else:
    spec = json.load(sys.stdin)
    with open(path, 'wb') as f:
        fastavro.writer(f, fastavro.parse_schema(spec['schema']), revive(spec['records']), codec=spec['codec'],
                        metadata=spec['metadata'], sync_interval=spec['syncInterval'])
`

function python (args: string[], input = ''): string {
  const res = spawnSync('python3', ['-c', PY, ...args], { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  const missing = 'the Avro interop tests need python3 with fastavro: run `pip install fastavro` (.ci/run installs it)'
  if (res.error !== undefined) throw new Error(`${missing}; starting python3 failed: ${res.error.message}`)
  if (res.status !== 0) {
    if (res.stderr.includes("No module named 'fastavro'")) throw new Error(missing)
    throw new Error(`python3 fastavro helper failed (${res.status}):\n${res.stderr}`)
  }
  return res.stdout
}

describe('interop with fastavro', () => {
  const cases = [
    { name: 'every type', schema: KITCHEN, records: KITCHEN_RECORDS, metadata: { note: 'ünïcode' } },
    { name: 'Iceberg manifest list', schema: MANIFEST_LIST, records: MANIFEST_LIST_RECORDS, metadata: MANIFEST_LIST_METADATA }
  ]

  for (const c of cases) {
    for (const codec of ['null', 'deflate'] as const) {
      test(`fastavro reads ours: ${c.name}, codec ${codec}`, () => {
        const file = path.join(tmp, `ours-${c.name}-${codec}.avro`.replaceAll(' ', '-'))
        // past one block, so fastavro also crosses sync markers
        const records = [...c.records, ...Array.from({ length: Math.ceil(BLOCK_RECORDS / c.records.length) }, () => c.records).flat()]
        fs.writeFileSync(file, writeAvroFile(c.schema, records, { codec, metadata: c.metadata }))
        const got = JSON.parse(python(['read', file])) as { records: unknown[], metadata: Record<string, string> }
        expect(got.records).toEqual(portable(records))
        expect(got.metadata).toMatchObject({ ...c.metadata, 'avro.codec': codec })
        expect(JSON.parse(got.metadata['avro.schema']!)).toEqual(c.schema)
      })

      test(`we read fastavro's: ${c.name}, codec ${codec}`, () => {
        const file = path.join(tmp, `theirs-${c.name}-${codec}.avro`.replaceAll(' ', '-'))
        // a small sync interval makes fastavro write many blocks
        python(['write', file], JSON.stringify({ schema: c.schema, records: portable(c.records), codec, metadata: c.metadata, syncInterval: 256 }))
        const got = readAvroFile(fs.readFileSync(file))
        expect(portable(got.records)).toEqual(portable(c.records))
        // fastavro rewrites the schema (full names, key order) but keeps the Iceberg ids
        expect(ids(got.schema)).toEqual(ids(c.schema))
        expect(got.metadata).toMatchObject({ ...c.metadata, 'avro.codec': codec })
      })
    }
  }
})
