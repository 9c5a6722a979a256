import fs from 'node:fs'
import ort from 'onnxruntime-node'
import { SluiceError } from '../../../schemas/errors.ts'
import { modelId } from '../models.ts'
import { FeatureExtractor, type Features } from './features.ts'
import { featureOptionsOf, readOnnxMetadata } from './onnx.ts'

export interface ClassifierSessionOptions {
  /** onnxruntime's intra-op threads; default 1 (one scoring process per core, as the rest of the pipeline). */
  threads?: number
}

/**
 * The trained quality classifier, run by onnxruntime-node: features in TypeScript, one `session.run` per batch.
 * Its id is the content name of the ONNX file (`modelId('quality', bytes)`), so every score names the exact model.
 * Not safe for concurrent `score` calls on one instance (features and model inputs reuse their buffers).
 *
 * @example
 * const classifier = await QualityClassifier.load('.sluice/models/quality-3fa2….onnx')
 * const p = await classifier.score([{ text: 'Photosynthesis converts light into chemical energy.', lang: 'en' }])
 * classifier.close()
 */
export class QualityClassifier {
  /** The model's inputs, kept between runs: a batch's tensors are up to a few MB, and allocating them cost GC time. */
  private ids = new BigInt64Array(0)
  private mask = new Float32Array(0)

  private constructor (
    readonly id: string,
    readonly metadata: Readonly<Record<string, string>>,
    private readonly session: ort.InferenceSession,
    private readonly features: FeatureExtractor
  ) {}

  static async load (file: string, opts: ClassifierSessionOptions = {}): Promise<QualityClassifier> {
    let bytes: Uint8Array
    try {
      bytes = fs.readFileSync(file)
    } catch (err) {
      throw new SluiceError('io', `${file}: ${(err as Error).message}; train one with \`sluice quality train-classifier\``, { retryable: false, cause: err })
    }
    return await QualityClassifier.fromBytes(bytes, file, opts)
  }

  static async fromBytes (bytes: Uint8Array, file = 'model', opts: ClassifierSessionOptions = {}): Promise<QualityClassifier> {
    let metadata: Record<string, string>
    try {
      metadata = readOnnxMetadata(bytes)
    } catch (err) {
      throw new SluiceError('config', `${file}: not an ONNX model (${(err as Error).message})`, { retryable: false, cause: err })
    }
    const { dim: _dim, ...features } = featureOptionsOf(metadata, file)
    const threads = opts.threads ?? 1
    let session: ort.InferenceSession
    try {
      session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' })
    } catch (err) {
      throw new SluiceError('config', `${file}: onnxruntime cannot load it: ${(err as Error).message}`, { retryable: false, cause: err })
    }
    return new QualityClassifier(modelId('quality', bytes), metadata, session, new FeatureExtractor(features))
  }

  /** Feature ids and counts of each text (the `ids`/`mask` rows `score` feeds the model). */
  featuresOf (texts: Array<{ text: string }>): Features[] {
    return texts.map(t => this.features.extract(t.text))
  }

  /**
   * P(high quality) per text, in order. The language is not needed: features follow the script (see features.ts).
   */
  async score (texts: Array<{ text: string, lang: string | null }>): Promise<Float32Array> {
    return await this.scoreFeatures(this.features.extractBatch(texts))
  }

  /**
   * P(high quality) of documents already turned into features. The model's input is [batch, len], each row padded
   * to the longest, and web documents range from a few ids to `maxLen`: one run for a batch of 64 read four times
   * the ids it had. So the rows run sorted by length, in groups cut where a group's padding would cost more than
   * another run (`groupsByLength`). Rows are independent in the graph, so the grouping leaves the scores as they were.
   */
  async scoreFeatures (rows: Features[]): Promise<Float32Array> {
    const p = new Float32Array(rows.length)
    const order = rows.map((_, i) => i).sort((a, b) => rows[a]!.ids.length - rows[b]!.ids.length)
    const lengths = order.map(i => rows[i]!.ids.length)
    for (const [start, end] of groupsByLength(lengths)) {
      const group = order.slice(start, end)
      const probs = await this.run(group.map(i => rows[i]!), Math.max(1, lengths[end - 1]!))
      group.forEach((i, k) => { p[i] = probs[2 * k + 1]! })
    }
    return p
  }

  /** One onnxruntime run over `rows` padded to `width`: the model's `probs`, [rows, 2]. */
  private async run (rows: Features[], width: number): Promise<Float32Array> {
    const n = rows.length
    const size = n * width
    if (size > this.ids.length) {
      this.ids = new BigInt64Array(Math.max(size, 2 * this.ids.length))
      this.mask = new Float32Array(this.ids.length)
    }
    const ids = this.ids.subarray(0, size)
    const ids32 = new Int32Array(ids.buffer, 0, 2 * size) // int64 ids < 2^31 as (low, high = 0) pairs, little-endian
    const mask = this.mask.subarray(0, size)
    rows.forEach((r, i) => {
      const base = i * width
      const len = r.ids.length
      for (let k = 0; k < len; k++) ids32[2 * (base + k)] = r.ids[k]!
      ids.fill(0n, base + len, base + width)
      mask.set(r.weights, base)
      mask.fill(0, base + len, base + width)
    })
    const out = await this.session.run({
      ids: new ort.Tensor('int64', ids, [n, width]),
      mask: new ort.Tensor('float32', mask, [n, width])
    })
    return out.probs!.data as Float32Array
  }

  /** Frees the onnxruntime session. */
  async close (): Promise<void> {
    await this.session.release()
  }
}

/**
 * What one more onnxruntime run costs, in ids (padded or not) that a run reads. Tuned on batches of 64 and 256 web
 * documents: run speed is flat from 1,000 to 6,000 and falls off below; 0 (a run per length) and ∞ (one padded run)
 * are both 35-45% slower.
 */
const RUN_COST_IDS = 2000
/** Longest group considered; past it a run's fixed cost is spread thin already, and it bounds the search. */
const MAX_GROUP = 256

/**
 * Cuts ascending `lengths` into runs [start, end) that minimise Σ (RUN_COST_IDS + rows · longest row): the
 * best cut of a sorted list into contiguous groups of at most MAX_GROUP rows, by dynamic programming over the ends.
 */
export function groupsByLength (lengths: number[]): Array<[number, number]> {
  const n = lengths.length
  const cost = new Float64Array(n + 1)
  const from = new Int32Array(n + 1)
  for (let end = 1; end <= n; end++) {
    const width = Math.max(1, lengths[end - 1]!)
    cost[end] = Infinity
    for (let start = Math.max(0, end - MAX_GROUP); start < end; start++) {
      const c = cost[start]! + RUN_COST_IDS + (end - start) * width
      if (c < cost[end]!) { cost[end] = c; from[end] = start }
    }
  }
  const groups: Array<[number, number]> = []
  for (let end = n; end > 0; end = from[end]!) groups.push([from[end]!, end])
  return groups.reverse()
}
