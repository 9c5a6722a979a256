import path from 'node:path'
import { balanceClasses, DEFAULT_SOURCES, loadExamples, parseSource } from '../../../streams/quality/classifier/data.ts'
import { FeatureExtractor, type Features } from '../../../streams/quality/classifier/features.ts'
import { QualityClassifier } from '../../../streams/quality/classifier/model.ts'
import { exportOnnx } from '../../../streams/quality/classifier/onnx.ts'
import { evaluateScores, predict, rng, shuffle, splitHoldout, trainClassifier, type Evaluation, type TrainOptions } from '../../../streams/quality/classifier/train.ts'

const SHARED = path.resolve('../shared/data')

export interface BenchClassifierOptions {
  /** Seconds each speed figure runs for; default 2. */
  seconds?: number
  /** Training options (defaults: those of `sluice quality train-classifier`). */
  train?: TrainOptions
  /** Export the [buckets, 2] product table (default) or fastText's two layers. */
  fold?: boolean
}

const mb = (bytes: number, s: number): string => `${(bytes / s / 1e6).toFixed(1)} MB/s`
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`

function evaluationLines (e: Evaluation): string {
  const one = (name: string, m: Evaluation['overall']): string =>
    `${name} ${m.examples} (${m.positives} pos): accuracy ${pct(m.accuracy)}, AUC ${m.auc === null ? 'n/a' : m.auc.toFixed(3)}`
  return [one('all', e.overall), ...Object.entries(e.byLang).map(([l, m]) => one(l, m))].join('; ')
}

/**
 * Repeats `work` (one pass over the corpus) for about `seconds`; returns passes per CPU second of this process, which
 * other processes on a shared machine disturb less than wall time does.
 */
async function passesPerSecond (seconds: number, work: () => Promise<void> | void): Promise<number> {
  await work() // warm-up: JIT, onnxruntime's first-run allocations
  const start = performance.now()
  const cpu = process.cpuUsage()
  let passes = 0
  do { await work(); passes++ } while (performance.now() - start < seconds * 1000)
  const used = process.cpuUsage(cpu)
  return passes / ((used.user + used.system) / 1e6)
}

/**
 * The classifier's figures on the shared data: training time, held-out accuracy and ROC AUC per language, model
 * size, feature extraction MB/s per language, and onnxruntime inference (docs/s, MB/s) at batch 1, 32, 64 (the
 * score stage's) and 256, for the run alone (features ready) and end to end (`score`: features + run). One core;
 * speeds are per CPU second.
 */
export async function benchClassifier (opts: BenchClassifierOptions = {}): Promise<void> {
  const seconds = opts.seconds ?? 2
  let t = performance.now()
  const all = loadExamples(DEFAULT_SOURCES.map(s => parseSource(s, SHARED)))
  const examples = balanceClasses(all, 1)
  const { train, heldOut } = splitHoldout(examples, 0.2, 1)
  console.log(`classifier: ${all.length} examples read in ${((performance.now() - t) / 1000).toFixed(1)} s; ${examples.length} after balancing classes per language; train ${train.length}, held out ${heldOut.length}`)

  t = performance.now()
  const model = trainClassifier(train, opts.train ?? {})
  const trainSeconds = (performance.now() - t) / 1000
  const f = model.features
  console.log(`  training: ${trainSeconds.toFixed(1)} s (dim ${model.dim}, ${model.training.epochs} epochs, lr ${model.training.lr}, buckets 2^${Math.log2(f.buckets)}, maxLen ${f.maxLen}, maxChars ${f.maxChars}, subwords ${f.maxn === 0 ? 'off' : `${f.minn}-${f.maxn}`})`)
  t = performance.now()
  const bytes = exportOnnx(model, { fold: opts.fold ?? true })
  const classifier = await QualityClassifier.fromBytes(bytes)
  console.log(`  model: ${(bytes.length / 1e6).toFixed(1)} MB ONNX (${opts.fold ?? true ? 'folded' : 'embedding bag'}), exported and loaded in ${((performance.now() - t) / 1000).toFixed(2)} s, id ${classifier.id}`)
  try {
    const ts = predict(model, heldOut.map(e => e.text))
    const onnx = await classifier.score(heldOut)
    let diff = 0
    for (let i = 0; i < ts.length; i++) diff = Math.max(diff, Math.abs(ts[i]! - onnx[i]!))
    console.log(`  held out (ONNX): ${evaluationLines(evaluateScores(heldOut, onnx))}; max |ONNX - TS| ${diff.toExponential(1)}`)

    // speed: every example read (not only the balanced ones), in a seeded order that mixes languages like a stream
    const corpus = shuffle(all.map(e => ({ text: e.text, lang: e.lang })), rng(7))
    const size = (texts: Array<{ text: string }>): number => texts.reduce((a, x) => a + Buffer.byteLength(x.text), 0)
    const fx = new FeatureExtractor(f)
    for (const lang of ['en', 'zh', 'all']) {
      const texts = corpus.filter(x => lang === 'all' || x.lang === lang)
      let ids = 0
      for (const x of texts) ids += fx.extract(x.text).ids.length
      const rate = await passesPerSecond(seconds, () => { for (const x of texts) fx.extract(x.text) })
      console.log(`  features ${lang}: ${texts.length} docs, ${(size(texts) / 1e6).toFixed(2)} MB, ${Math.round(ids / texts.length)} ids/doc: ${mb(size(texts) * rate, 1)}, ${Math.round(texts.length * rate)} docs/s`)
    }
    const total = size(corpus)
    const features: Features[] = classifier.featuresOf(corpus)
    for (const batch of [1, 32, 64, 256]) {
      const runOnly = await passesPerSecond(seconds, async () => {
        for (let i = 0; i < features.length; i += batch) await classifier.scoreFeatures(features.slice(i, i + batch))
      })
      const endToEnd = await passesPerSecond(seconds, async () => {
        for (let i = 0; i < corpus.length; i += batch) await classifier.score(corpus.slice(i, i + batch))
      })
      console.log(`  onnxruntime batch ${batch}: run ${Math.round(corpus.length * runOnly)} docs/s (${mb(total * runOnly, 1)}); ` +
        `features + run ${Math.round(corpus.length * endToEnd)} docs/s (${mb(total * endToEnd, 1)})`)
    }
  } finally {
    await classifier.close()
  }
}
