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
 * Not safe for concurrent `score` calls on one instance (the feature extractor reuses its buffers).
 *
 * @example
 * const classifier = await QualityClassifier.load('.sluice/models/quality-3fa2….onnx')
 * const p = await classifier.score([{ text: 'Photosynthesis converts light into chemical energy.', lang: 'en' }])
 * classifier.close()
 */
export class QualityClassifier {
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
   * P(high quality) per text, in order; one onnxruntime run for the whole batch (rows padded to the longest).
   * The language is not needed: features follow the script (see features.ts).
   */
  async score (texts: Array<{ text: string, lang: string | null }>): Promise<Float32Array> {
    return await this.scoreFeatures(this.featuresOf(texts))
  }

  /** P(high quality) of documents already turned into features. */
  async scoreFeatures (rows: Features[]): Promise<Float32Array> {
    const n = rows.length
    if (n === 0) return new Float32Array(0)
    const width = Math.max(1, ...rows.map(r => r.ids.length))
    const ids = new BigInt64Array(n * width)
    const ids32 = new Int32Array(ids.buffer) // int64 ids < 2^31 as (low, high = 0) pairs, little-endian
    const mask = new Float32Array(n * width)
    rows.forEach((r, i) => {
      const base = i * width
      for (let k = 0; k < r.ids.length; k++) ids32[2 * (base + k)] = r.ids[k]!
      mask.set(r.weights, base)
    })
    const out = await this.session.run({
      ids: new ort.Tensor('int64', ids, [n, width]),
      mask: new ort.Tensor('float32', mask, [n, width])
    })
    const probs = out.probs!.data as Float32Array
    const p = new Float32Array(n)
    for (let i = 0; i < n; i++) p[i] = probs[2 * i + 1]!
    return p
  }

  /** Frees the onnxruntime session. */
  async close (): Promise<void> {
    await this.session.release()
  }
}
