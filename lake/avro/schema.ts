/**
 * Avro schema JSON (Avro 1.11 spec), limited to what Iceberg manifests use. Any object may carry
 * extra attributes (Iceberg's "field-id", "element-id", "key-id", "value-id", "logicalType", ...):
 * the codec ignores them, but they stay in the JSON written into the file header, where Iceberg
 * readers find fields by them.
 */
export type AvroPrimitive = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string'

/** A primitive with attributes, e.g. `{ "type": "int", "logicalType": "date" }`. */
export interface AvroAnnotated { type: AvroPrimitive, [attr: string]: unknown }
export interface AvroField { name: string, type: AvroSchema, default?: unknown, [attr: string]: unknown }
export interface AvroRecord { type: 'record', name: string, namespace?: string, fields: AvroField[], [attr: string]: unknown }
export interface AvroArray { type: 'array', items: AvroSchema, [attr: string]: unknown }
/** Keys are always strings in Avro. */
export interface AvroMap { type: 'map', values: AvroSchema, [attr: string]: unknown }
export interface AvroFixed { type: 'fixed', name: string, namespace?: string, size: number, [attr: string]: unknown }
/** A record or fixed referenced by its name after its definition, e.g. Iceberg's "r102". */
export type AvroName = string
export type AvroSchema = AvroPrimitive | AvroName | AvroAnnotated | AvroRecord | AvroArray | AvroMap | AvroFixed | AvroSchema[]

/** A schema with names resolved; named types are shared nodes, so recursive types are cycles. */
export type AvroNode =
  | { kind: AvroPrimitive }
  | { kind: 'fixed', name: string, size: number }
  | { kind: 'record', name: string, fields: Array<{ name: string, node: AvroNode }> }
  | { kind: 'array', items: AvroNode }
  | { kind: 'map', values: AvroNode }
  | { kind: 'union', branches: AvroNode[] }

const PRIMITIVES = new Set<string>(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string'])

/**
 * Validates schema JSON and resolves names. Takes `unknown` because schemas arrive as JSON (file
 * headers, builders that assemble them dynamically); anything outside `AvroSchema` throws.
 */
export function compileSchema (schema: unknown): AvroNode {
  const named = new Map<string, AvroNode>()

  // Full names per the spec: a dotted name is already full, else the type's own or the enclosing namespace applies.
  const define = (o: Record<string, unknown>, ns: string, node: AvroNode & { name: string }): string => {
    if (typeof o.name !== 'string' || o.name === '') throw new Error(`Avro: ${o.type} without a name`)
    const space = typeof o.namespace === 'string' ? o.namespace : ns
    const full = o.name.includes('.') || space === '' ? o.name : `${space}.${o.name}`
    if (named.has(full)) throw new Error(`Avro: type "${full}" defined twice`)
    node.name = full
    named.set(full, node)
    return full.includes('.') ? full.slice(0, full.lastIndexOf('.')) : ''
  }

  const compile = (s: unknown, ns: string): AvroNode => {
    if (typeof s === 'string') {
      if (PRIMITIVES.has(s)) return { kind: s as AvroPrimitive }
      const node = (ns === '' ? undefined : named.get(`${ns}.${s}`)) ?? named.get(s)
      if (node === undefined) throw new Error(`Avro: unknown type "${s}" (named types must be defined before use)`)
      return node
    }
    if (Array.isArray(s)) {
      const branches = s.map(b => compile(b, ns))
      if (branches.some(b => b.kind === 'union')) throw new Error('Avro: a union may not directly contain a union')
      return { kind: 'union', branches }
    }
    if (typeof s !== 'object' || s === null) throw new Error(`Avro: not a schema: ${JSON.stringify(s)}`)
    const o = s as Record<string, unknown>
    switch (o.type) {
      case 'record': {
        if (!Array.isArray(o.fields)) throw new Error(`Avro: record ${String(o.name)} has no fields array`)
        // registered before its fields are compiled, so a field may refer back to the record itself
        const node = { kind: 'record' as const, name: '', fields: [] as Array<{ name: string, node: AvroNode }> }
        const inner = define(o, ns, node)
        for (const f of o.fields as Array<Record<string, unknown>>) {
          if (typeof f?.name !== 'string') throw new Error(`Avro: record ${node.name} has a field without a name`)
          node.fields.push({ name: f.name, node: compile(f.type, inner) })
        }
        return node
      }
      case 'fixed': {
        if (!Number.isInteger(o.size) || (o.size as number) < 0) throw new Error(`Avro: fixed ${String(o.name)} needs a size`)
        const node = { kind: 'fixed' as const, name: '', size: o.size as number }
        define(o, ns, node)
        return node
      }
      case 'array': return { kind: 'array', items: compile(o.items, ns) }
      case 'map': return { kind: 'map', values: compile(o.values, ns) }
      // `{ "type": "long", ... }` or `{ "type": "r102" }`: a primitive or reference with attributes
      default: if (typeof o.type === 'string') return compile(o.type, ns)
    }
    throw new Error(`Avro: unsupported schema ${JSON.stringify(s)}`)
  }

  return compile(schema, '')
}
