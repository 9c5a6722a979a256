import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import type { Document } from '../../schemas/document.ts'
import { DOCUMENTS_SCHEMA, documentRow } from '../../lake/documents-table.ts'
import { IcebergTable, type DataFileEntry } from '../../lake/iceberg/table.ts'
import { writeParquet } from '../../lake/iceberg/parquet.ts'
import { rawToDocument } from '../../streams/operators/to-document.ts'
import { documentId } from '../../schemas/ids.ts'

export function docs (file: string, lang: string, field: string): Document[] {
  const text = zlib.gunzipSync(fs.readFileSync(file)).toString('utf8')
  return text.split('\n').filter(l => l.trim() !== '').slice(0, 40).map((line, i) => {
    const t = field === '' ? line : JSON.parse(line)[field]
    return {
      ...rawToDocument({
        schema_version: 1, id: documentId(null, t), url: null, source: 'test', crawl_id: null, fetched_at: null, record_type: 'jsonl',
        content_type: 'text/plain', http_status: null, http_headers: null, text: t, body: null, meta: null,
        provenance: { file, offset: i, length: 1, topic: null, partition: null, kafka_offset: null }
      }, '2026-11-28T01:02:03.000Z'),
      lang
    }
  })
}

export async function appendDocs (table: IcebergTable, batch: Document[], lang: string): Promise<DataFileEntry> {
  const dir = path.join(table.dataDir, `lang=${lang}`, 'ingested_at_day=2026-11-28')
  fs.mkdirSync(dir, { recursive: true })
  const written = await writeParquet(DOCUMENTS_SCHEMA, batch.map(documentRow), path.join(dir, `${batch[0]!.id}.parquet`))
  const entry = { ...written, partition: { lang, ingested_at_day: Math.floor(Date.parse('2026-11-28T00:00:00Z') / 86_400_000) } }
  table.append([entry], { 'sluice.test': lang })
  return entry
}

/** Reads a table with pyiceberg (another Iceberg implementation): a snapshot, optionally filtered (pyiceberg's row filter syntax). */
export function pyiceberg (metadataFile: string, snapshotId?: number, rowFilter?: string): { count: number, ids: string[] } {
  const script = `
import json, sys
from pyiceberg.table import StaticTable
t = StaticTable.from_metadata(sys.argv[1])
snapshot = int(sys.argv[2]) if sys.argv[2] != "" else None
scan = t.scan(snapshot_id=snapshot, row_filter=sys.argv[3]) if len(sys.argv) > 3 else t.scan(snapshot_id=snapshot)
a = scan.to_arrow()
print(json.dumps({"count": a.num_rows, "ids": sorted(a.column("id").to_pylist())}))
`
  const r = spawnSync('python3', ['-c', script, metadataFile, snapshotId === undefined ? '' : String(snapshotId), ...(rowFilter === undefined ? [] : [rowFilter])], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`pyiceberg failed (is it installed? .ci/run installs pyiceberg[pyarrow]):\n${r.stderr}`)
  return JSON.parse(r.stdout)
}
