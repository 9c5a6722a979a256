import fs from 'node:fs'
import path from 'node:path'
import type { Command } from 'commander'
import { SluiceError } from '../../schemas/errors.ts'
import { formatBytes, formatCount, log } from '../log.ts'
import { addConnectionOptions, addTopicOptions, parseDuration, parseSize, topicsConfig } from './options.ts'

/** Files, rows and bytes per partition, so a user sees where small files pile up. */
function partitionLines (dataDir: string, files: Array<{ path: string, recordCount: number, fileSizeInBytes: number }>): string[] {
  const byPartition = new Map<string, { files: number, rows: number, bytes: number }>()
  for (const f of files) {
    // the partition's folder reads better than its values (days since 1970 for a day transform)
    const key = path.relative(dataDir, path.dirname(f.path))
    const p = byPartition.get(key) ?? { files: 0, rows: 0, bytes: 0 }
    byPartition.set(key, { files: p.files + 1, rows: p.rows + f.recordCount, bytes: p.bytes + f.fileSizeInBytes })
  }
  return [...byPartition].sort().map(([k, p]) => `  ${k}: ${p.files} files, ${formatCount(p.rows)} rows, ${formatBytes(p.bytes)}`)
}

function tableNames (lake: string): string[] {
  return fs.existsSync(lake) ? fs.readdirSync(lake).filter(n => fs.existsSync(path.join(lake, n, 'metadata'))).sort() : []
}

async function loadTable (lake: string, name: string) {
  const dir = path.join(lake, name)
  const { IcebergTable } = await import('../../lake/iceberg/table.ts')
  const table = IcebergTable.tryLoad(dir)
  if (table === null) {
    throw new SluiceError('config', `no table ${name} in ${lake} (tables: ${tableNames(lake).join(', ') || 'none'})`, { retryable: false })
  }
  return table
}

export function sinkSummary (s: { documents: number, deadLetters: number, rejected: number, duplicates: number, snapshots: number }, seconds: number): string {
  return `sink: ${formatCount(s.documents)} documents (${formatCount(s.duplicates)} duplicates in dedup_clusters) and ${formatCount(s.deadLetters + s.rejected)} dead letters ` +
    `(${formatCount(s.rejected)} of them documents that did not fit the table) in ${s.snapshots} snapshots in ${seconds.toFixed(1)} s`
}

export function registerLake (program: Command): void {
  const lake = program.command('lake').description('the Iceberg tables of the lake: the Kafka sink and inspection')
  addTopicOptions(addConnectionOptions(lake.command('sink')
    .description('consume docs.curated into the documents and dedup_clusters tables and docs.deadletter into the deadletter table, exactly once (offsets are committed with each snapshot)')
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
      const { ensureTopicsWith, topicNames } = await import('../../streams/kafka/topics.ts')
      const { runLakeSink } = await import('../../lake/sink.ts')
      const { stopOnSignals } = await import('../signals.ts')
      const kafka = kafkaClient(await resolveBrokers(o), 'sluice-lake-sink')
      await ensureTopicsWith(kafka, topics)
      const names = topicNames(topics)
      const abort = stopOnSignals()
      const started = Date.now()
      log(`sink: ${names.curated} -> ${o.lake as string}/documents, ${names.deadletter} -> ${o.lake as string}/deadletter`)
      const stats = await runLakeSink(kafka, {
        lakeDir: o.lake as string, documentsTopic: names.curated, deadletterTopic: names.deadletter, batchRows: o.batchRows as number, batchMs: o.batchMs as number,
        stopWhenIdleMs: o.stopWhenIdle as number | undefined, signal: abort.signal, log
      }).finally(() => abort.dispose())
      log(sinkSummary(stats, (Date.now() - started) / 1000))
      process.stdout.write(JSON.stringify(stats) + '\n')
    })
  lake.command('log')
    .description('the snapshots of a table: operation, files and rows added, totals, Kafka offsets and the rest of the summary')
    .argument('<table>', 'table name (a folder of the lake)')
    .option('--lake <dir>', 'the lake folder', './lake')
    .option('--json', 'one JSON object per snapshot')
    .action(async (name: string, o: { lake: string, json?: boolean }) => {
      const table = await loadTable(o.lake, name)
      // published snapshots and their data-evaluation rows (sluice evaluate), when there are any
      const { publishedSnapshots } = await import('../../lake/published.ts')
      const { readAudits } = await import('../../lake/audits-table.ts')
      const { gateTable } = await import('../../lake/evaluate/text.ts')
      const published = new Set(publishedSnapshots(table).map(s => s['snapshot-id']))
      const audits = await readAudits(o.lake, name)
      for (const s of [...table.metadata.snapshots].reverse()) {
        const { operation, ...summary } = s.summary
        const isPublished = published.has(s['snapshot-id'])
        const evaluated = audits.filter(a => a.snapshot_id === s['snapshot-id'])
        if (o.json === true) {
          process.stdout.write(JSON.stringify({ snapshot_id: s['snapshot-id'], parent_id: s['parent-snapshot-id'] ?? null, at: new Date(s['timestamp-ms']).toISOString(), operation, summary, published: isPublished, audits: evaluated }) + '\n')
          continue
        }
        const current = s['snapshot-id'] === table.metadata['current-snapshot-id'] ? ' (current)' : ''
        const evaluations = [...new Set(evaluated.map(a => a.evaluation_id))].map(id => {
          const rows = evaluated.filter(a => a.evaluation_id === id && a.passed !== null)
          return `    audit ${id} at ${rows[0]?.evaluated_at ?? ''}: ${rows.every(a => a.passed === true) ? 'passed' : 'FAILED'}\n` +
            gateTable(rows.map(a => ({ metric: a.metric, flagged: a.flagged, sampleSize: a.sample_size, rate: a.rate, maxRate: a.max_rate, passed: a.passed })), '      ')
        })
        process.stdout.write(`snapshot ${s['snapshot-id']}${current}${isPublished ? ' (published)' : ''}  ${new Date(s['timestamp-ms']).toISOString()}  ${operation}\n` +
          Object.entries(summary).map(([k, v]) => `    ${k}: ${v}`).join('\n') + '\n' + evaluations.join(''))
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
        `data files: ${formatCount(files.length)}, rows: ${formatCount(files.reduce((s, f) => s + f.recordCount, 0))}, size: ${formatBytes(files.reduce((s, f) => s + f.fileSizeInBytes, 0))}`,
        ...partitionLines(table.dataDir, files)
      ]
      const { inspectTableFiles } = await import('../../lake/inspect.ts')
      const findings = inspectTableFiles(table)
      lines.push(findings.length === 0 ? 'files: all present and well-formed; nothing foreign' : `files needing attention (${findings.length}):`)
      for (const f of findings) lines.push(`  ${f.kind.padEnd(13)} ${path.relative(table.dir, f.path)}: ${f.detail}`)
      process.stdout.write(lines.join('\n') + '\n')
    })
  lake.command('compact')
    .description('rewrite the small data files of each partition into files of about --target-size, in one new snapshot')
    .argument('<table>', 'table name (a folder of the lake)')
    .option('--lake <dir>', 'the lake folder', './lake')
    .option('--target-size <size>', 'size a rewritten file aims at (e.g. 128MiB)', '128MiB')
    .addHelpText('after', '\nOlder snapshots keep the small files for time travel; `sluice lake expire` removes them.\n\nExample:\n  sluice lake compact documents --target-size 64MiB\n')
    .action(async (name: string, o: { lake: string, targetSize: string }) => {
      const targetBytes = parseSize(o.targetSize)
      if (!(targetBytes > 0)) throw new SluiceError('config', `--target-size ${o.targetSize}: not a size (e.g. 128MiB, 512k)`, { retryable: false })
      const table = await loadTable(o.lake, name)
      const { compactTable } = await import('../../lake/compact.ts')
      const before = table.dataFiles().length
      const r = await compactTable(table, { targetBytes, log })
      log(r.snapshotId === null
        ? `compact ${name}: nothing to do (${before} files; no partition has two or more files under ${formatBytes(Math.floor(targetBytes * 0.75))})`
        : `compact ${name}: ${r.filesRemoved} files (${formatCount(r.rows)} rows) rewritten into ${r.filesAdded} in snapshot ${r.snapshotId}; ${before} -> ${before - r.filesRemoved + r.filesAdded} files`)
      process.stdout.write(JSON.stringify(r) + '\n')
    })
  lake.command('expire')
    .description('drop snapshots older than a duration (never the current one) and delete the files only they referenced')
    .argument('[table]', 'table name (default: every table of the lake)')
    .requiredOption('--older-than <duration>', 'age of the snapshots to drop, e.g. 7d, 12h, 30m')
    .option('--lake <dir>', 'the lake folder', './lake')
    .addHelpText('after', '\nTime travel keeps working for the snapshots that remain.\n\nExample:\n  sluice lake expire --older-than 7d\n')
    .action(async (name: string | undefined, o: { lake: string, olderThan: string }) => {
      const age = parseDuration(o.olderThan)
      if (!(age >= 0)) throw new SluiceError('config', `--older-than ${o.olderThan}: not a duration (e.g. 7d, 12h, 30m, 0s)`, { retryable: false })
      const names = name !== undefined ? [name] : tableNames(o.lake)
      const cutoff = Date.now() - age
      const results: Record<string, { snapshots: number, files: number }> = {}
      for (const n of names) {
        const r = (await loadTable(o.lake, n)).expire(cutoff)
        results[n] = { snapshots: r.snapshots, files: r.files.length }
        log(`expire ${n}: ${r.snapshots} snapshots older than ${new Date(cutoff).toISOString()} dropped, ${r.files.length} files deleted`)
      }
      process.stdout.write(JSON.stringify(results) + '\n')
    })
}
