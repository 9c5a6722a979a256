import { DataType, type Field, Type } from 'apache-arrow'
import type { Schema as ArrowSchema } from 'apache-arrow'

/** Iceberg schema JSON (spec "Schemas and Data Types"), as written into table metadata. */
export type IcebergType = string | IcebergStruct
export interface IcebergField { id: number, name: string, required: boolean, type: IcebergType, doc?: string }
export interface IcebergStruct { type: 'struct', fields: IcebergField[] }
export interface IcebergSchema extends IcebergStruct { 'schema-id': number }

function primitive (type: DataType, path: string): string {
  if (DataType.isUtf8(type)) return 'string'
  if (DataType.isBool(type)) return 'boolean'
  if (DataType.isBinary(type)) return 'binary'
  if (DataType.isFloat(type)) return 'double'
  if (DataType.isTimestamp(type)) return 'timestamptz'
  if (DataType.isInt(type)) return type.bitWidth === 64 ? 'long' : 'int'
  throw new Error(`no Iceberg type for Arrow ${Type[type.typeId]} at ${path}`)
}

/**
 * Assigns Iceberg field ids to an Arrow schema, depth first (top-level columns 1..n, then the
 * nested fields), the way Iceberg numbers a new table. The ids are what Parquet files and
 * readers such as pyiceberg match columns by.
 */
export function icebergSchema (arrow: ArrowSchema, schemaId = 0): IcebergSchema {
  let next = arrow.fields.length + 1
  const convert = (fields: Field[], ids: number[], prefix: string): IcebergField[] => fields.map((f, i) => {
    const path = prefix + f.name
    let type: IcebergType
    if (DataType.isStruct(f.type)) {
      const children = f.type.children
      const childIds = children.map(() => next++)
      type = { type: 'struct', fields: convert(children, childIds, `${path}.`) }
    } else {
      type = primitive(f.type, path)
    }
    return { id: ids[i]!, name: f.name, required: !f.nullable, type }
  })
  const topIds = arrow.fields.map((_, i) => i + 1)
  return { type: 'struct', 'schema-id': schemaId, fields: convert(arrow.fields, topIds, '') }
}

export function lastColumnId (schema: IcebergStruct): number {
  let max = 0
  const walk = (s: IcebergStruct) => {
    for (const f of s.fields) {
      max = Math.max(max, f.id)
      if (typeof f.type !== 'string') walk(f.type)
    }
  }
  walk(schema)
  return max
}
