import fs from 'node:fs'
import path from 'node:path'
import type { Command } from 'commander'
import { SluiceError } from '../../schemas/errors.ts'
import { formatBytes, formatCount, log } from '../log.ts'
import { addConnectionOptions, addTopicOptions, topicsConfig } from './options.ts'

async function loadTable (lake: string, name: string) {
  const dir = path.join(lake, name)
  const { IcebergTable } = await import('../../lake/iceberg/table.ts')
  const table = IcebergTable.tryLoad(dir)
  if (table === null) {
    const present = fs.existsSync(lake) ? fs.readdirSync(lake).filter(n => fs.existsSync(path.join(lake, n, 'metadata'))) : []
    throw new SluiceError('config', `no table ${name} in ${lake} (tables: ${present.join(', ') || 'none'})`, { retryable: false })
  }
  return table
}

export function registerLake (program: Command): void {
  const lake = program.command('lake').description('the Iceberg tables of the lake: the Kafka sink and inspection')
  addTopicOptions(addConnectionOptions(lake.command('sink')
    .description('consume docs.curated into the documents table, exactly once (offsets are committed with each snapshot)')
    .option('--lake <dir>', 'the lake folder', './lake')
    .option('--batch-rows <n>', 'commit a snapshot at this many documents', Number, 50_000)
    .option('--batch-ms <ms>', 'or this long after the first buffered document', Number, 10_000)
    .option('--stop-when-idle <ms>', 'stop once no document arrived for this long (default: run until Ctrl-C)', Number)))
    .action(async (o: Record<string, unknown>) => {
      const topics = topicsConfig(o)
      for (const flag of ['batchRows', 'batchMs'] as const) {
        if (!Number.isInteger(o[flag]) || (o[flag] as number) < 1) throw new SluiceError('config', `--${flag === 'batchRows' ? 'batch-rows' : 'batch-ms'} must be a positive integer`, { retryable: false })
      }
      const { resolveBrokers } = await import('../connect.ts')
      const { kafkaClient } = await import('../../streams/kafka/client.ts')
      const { ensureTopics, topicNames } = await import('../../streams/kafka/topics.ts')
      const { runDocumentsSink } = await import('../../lake/sink.ts')
      const { stopOnSignals } = await import('../signals.ts')
      const kafka = kafkaClient(await resolveBrokers(o), 'sluice-lake-sink')
      const admin = kafka.admin()
      await admin.connect()
      await ensureTopics(admin, topics).finally(async () => { await admin.disconnect() })
      const topic = topicNames(topics).curated
      const abort = stopOnSignals()
      const started = Date.now()
      log(`sink: ${topic} -> ${o.lake as string}/documents`)
      const stats = await runDocumentsSink(kafka, {
        lakeDir: o.lake as string, topic, batchRows: o.batchRows as number, batchMs: o.batchMs as number,
        stopWhenIdleMs: o.stopWhenIdle as number | undefined, signal: abort.signal, log
      }).finally(() => abort.dispose())
      log(`sink: ${formatCount(stats.rows)} documents in ${stats.snapshots} snapshots in ${((Date.now() - started) / 1000).toFixed(1)} s; ${stats.invalid} invalid skipped`)
      process.stdout.write(JSON.stringify(stats) + '\n')
    })
  lake.command('log')
    .description('the snapshots of a table: operation, files and rows added, totals, Kafka offsets and the rest of the summary')
    .argument('<table>', 'table name (a folder of the lake)')
    .option('--lake <dir>', 'the lake folder', './lake')
    .option('--json', 'one JSON object per snapshot')
    .action(async (name: string, o: { lake: string, json?: boolean }) => {
      const table = await loadTable(o.lake, name)
      for (const s of [...table.metadata.snapshots].reverse()) {
        const { operation, ...summary } = s.summary
        if (o.json === true) {
          process.stdout.write(JSON.stringify({ snapshot_id: s['snapshot-id'], parent_id: s['parent-snapshot-id'] ?? null, at: new Date(s['timestamp-ms']).toISOString(), operation, summary }) + '\n')
          continue
        }
        const current = s['snapshot-id'] === table.metadata['current-snapshot-id'] ? ' (current)' : ''
        process.stdout.write(`snapshot ${s['snapshot-id']}${current}  ${new Date(s['timestamp-ms']).toISOString()}  ${operation}\n` +
          Object.entries(summary).map(([k, v]) => `    ${k}: ${v}`).join('\n') + '\n')
      }
    })
  lake.command('describe')
    .description('schema, partitioning, data files and sizes of a table at its current snapshot')
    .argument('<table>', 'table name (a folder of the lake)')
    .option('--lake <dir>', 'the lake folder', './lake')
    .action(async (name: string, o: { lake: string }) => {
      const table = await loadTable(o.lake, name)
      const m = table.metadata
      const schema = m.schemas.find(s => s['schema-id'] === m['current-schema-id'])!
      const spec = m['partition-specs'].find(s => s['spec-id'] === m['default-spec-id'])!
      const files = table.dataFiles()
      const lines = [
        `table ${name} (Iceberg v${m['format-version']}, ${m.location})`,
        `current snapshot ${m['current-snapshot-id']} of ${m.snapshots.length}`,
        'columns:',
        ...schema.fields.map(f => `  ${String(f.id).padStart(3)} ${f.name.padEnd(16)} ${typeof f.type === 'string' ? f.type : `struct<${f.type.fields.map(c => `${c.name}: ${String(c.type)}`).join(', ')}>`}${f.required ? ' not null' : ''}`),
        `partitioned by: ${spec.fields.map(f => `${f.transform}(${schema.fields.find(s => s.id === f['source-id'])?.name ?? f['source-id']})`).join(', ') || 'nothing'}`,
        `data files: ${formatCount(files.length)}, rows: ${formatCount(files.reduce((s, f) => s + f.recordCount, 0))}, size: ${formatBytes(files.reduce((s, f) => s + f.fileSizeInBytes, 0))}`
      ]
      process.stdout.write(lines.join('\n') + '\n')
    })
}
