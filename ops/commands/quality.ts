import path from 'node:path'
import type { Command } from 'commander'
import { SluiceError } from '../../schemas/errors.ts'
import { log } from '../log.ts'
import { addConnectionOptions } from './options.ts'
import { registerTrainClassifier } from './quality-classifier.ts'
import { registerTrainLm } from './quality-lm.ts'

/** `sluice quality ...`: training and managing the quality models (Ziya2 AS). */
export function registerQuality (program: Command): void {
  const quality = program.command('quality')
    .description('quality models (Ziya2 AS): train the n-gram language models and the classifier the score stage uses; rescore a lake snapshot')
  registerTrainLm(quality)
  registerTrainClassifier(quality)
  registerRescore(quality)
}

function registerRescore (quality: Command): void {
  addConnectionOptions(quality.command('rescore'))
    .description('score the documents of a lake snapshot again with the current models, into a new snapshot of the documents table (nothing is re-ingested)')
    .option('--lake <dir>', 'the lake folder', './lake')
    .option('--snapshot <id>', 'snapshot of the documents table to rescore (default: the current one)', Number)
    .option('--models <dir>', 'quality models and their current.json (default: <home>/models)')
    .option('--quality-config <file.json>', 'quality config {buckets, minClassifierScore} (see sluice run --help)')
    .addHelpText('after', '\nEarlier quality signals and quality drops are undone and scored again; the new snapshot\'s summary names the\n' +
      'models and the snapshot it rescored, and older snapshots keep the old scores (sluice lake log documents).\n\n' +
      'Example:\n  sluice quality train-lm --lang zh --from ../shared/data/web/zh/zhwiki_sampled.txt.gz\n  sluice quality rescore --lake ./lake\n')
    .action(async (o: Record<string, unknown>) => {
      if (o.snapshot !== undefined && !Number.isInteger(o.snapshot)) throw new SluiceError('config', '--snapshot must be a snapshot id (see sluice lake log documents)', { retryable: false })
      const { stageConfigs } = await import('./options.ts')
      const { quality: config } = await stageConfigs(o)
      const { currentModelFiles, loadScorer } = await import('../../streams/quality/load.ts')
      const { rescoreDocuments } = await import('../../streams/quality/score.ts')
      const { rescoreSnapshot } = await import('../../lake/rescore.ts')
      const files = config.models === null ? {} : currentModelFiles(config.models)
      if (Object.keys(files).length === 0) throw new SluiceError('config', `no quality models in ${config.models}: train them first (sluice quality train-lm / train-classifier)`, { retryable: false })
      const scorer = await loadScorer(config)
      const models = Object.values(files).map(f => path.basename(f)).join(', ')
      const started = Date.now()
      const r = await rescoreSnapshot(o.lake as string, o.snapshot as number | undefined, async docs => await rescoreDocuments(scorer, docs), `rescore with ${models}`, log)
      log(`rescored snapshot ${r.from} with ${models}: ${r.rows} documents in ${r.files} files, ${r.changed} changed, new snapshot ${r.snapshotId} (${((Date.now() - started) / 1000).toFixed(1)} s)`)
      process.stdout.write(JSON.stringify(r) + '\n')
    })
}
