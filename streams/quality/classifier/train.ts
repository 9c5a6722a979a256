import { DEFAULT_FEATURES, FeatureExtractor, type FeatureOptions, type Features } from './features.ts'

/** One labelled text: 1 = high quality, 0 = low. */
export interface Example {
  text: string
  label: 0 | 1
  lang: string
}

export interface TrainOptions {
  /** Embedding width (fastText's `-dim`); default 16. */
  dim?: number
  /** Passes over the examples (`-epoch`); default 25. */
  epochs?: number
  /** Starting learning rate, decayed linearly to 0 over all updates (`-lr`); default 1. */
  lr?: number
  /** Hash buckets, a power of two (`-bucket`); default 2^18. */
  buckets?: number
  /** Most distinct feature ids per document; default 2048. */
  maxLen?: number
  /** Characters read per document; default 4096. */
  maxChars?: number
  /** Subwords (character n-grams of words) from `minn` to `maxn` characters; default 0/0: none. */
  minn?: number
  maxn?: number
  /** Seeds the initial weights and the order of examples in each epoch; default 1. */
  seed?: number
  /** Called after each epoch with the mean training loss of that epoch. */
  onEpoch?: (epoch: number, loss: number) => void
}

/**
 * fastText's supervised model: the weighted mean of the feature embeddings (an embedding bag), a linear layer and a
 * softmax over two classes (0 = low quality, 1 = high). `weight` is [dim, 2] row-major, `embedding` [buckets, dim].
 */
export interface ClassifierWeights {
  features: FeatureOptions
  dim: number
  embedding: Float32Array
  weight: Float32Array
  bias: Float32Array
  /** How it was trained, kept in the model file's metadata. */
  training: { epochs: number, lr: number, seed: number, examples: number }
}

export const TRAIN_DEFAULTS = { dim: 16, epochs: 25, lr: 1, seed: 1 } as const

/** A small, fast, seedable generator (mulberry32): the same seed gives the same weights and example order. */
export function rng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Fisher–Yates with the given generator; shuffles in place. */
export function shuffle<T> (items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const t = items[i]!
    items[i] = items[j]!
    items[j] = t
  }
  return items
}

/** Weighted mean of the rows of `embedding` named by `f` into `hidden` (zeros for a document without features). */
function embed (m: ClassifierWeights, f: Features, hidden: Float64Array): void {
  const dim = m.dim
  hidden.fill(0)
  let total = 0
  for (let k = 0; k < f.ids.length; k++) {
    const w = f.weights[k]!
    const row = f.ids[k]! * dim
    total += w
    for (let d = 0; d < dim; d++) hidden[d]! += w * m.embedding[row + d]!
  }
  if (total > 0) for (let d = 0; d < dim; d++) hidden[d]! /= total
}

/** P(class 1) from the hidden vector: softmax over the two logits, computed as a logistic of their difference. */
function output (m: ClassifierWeights, hidden: Float64Array): number {
  let z0 = m.bias[0]!
  let z1 = m.bias[1]!
  for (let d = 0; d < m.dim; d++) {
    z0 += hidden[d]! * m.weight[2 * d]!
    z1 += hidden[d]! * m.weight[2 * d + 1]!
  }
  return 1 / (1 + Math.exp(z0 - z1))
}

/** The model's forward pass in TypeScript: P(high quality) of a document's features (the ONNX graph's reference). */
export function forward (m: ClassifierWeights, f: Features): number {
  const hidden = new Float64Array(m.dim)
  embed(m, f, hidden)
  return output(m, hidden)
}

/** P(high quality) per text with the TypeScript forward pass. */
export function predict (m: ClassifierWeights, texts: string[]): Float64Array {
  const fx = new FeatureExtractor(m.features)
  const hidden = new Float64Array(m.dim)
  const out = new Float64Array(texts.length)
  texts.forEach((t, i) => { embed(m, fx.extract(t), hidden); out[i] = output(m, hidden) })
  return out
}

function positiveInt (name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`)
  return v
}

/**
 * Trains the classifier by SGD as fastText does: one example at a time in a seeded random order per epoch, the
 * learning rate falling linearly from `lr` to 0, the hidden gradient shared among a document's features by weight.
 * Deterministic: the same examples and options give the same weights, bit for bit.
 *
 * @example
 * const model = trainClassifier([{ text: 'A clear sentence.', label: 1, lang: 'en' }, { text: 'BUY NOW $$$', label: 0, lang: 'en' }], { epochs: 5 })
 */
export function trainClassifier (examples: Example[], opts: TrainOptions = {}): ClassifierWeights {
  const dim = positiveInt('dim', opts.dim ?? TRAIN_DEFAULTS.dim)
  const epochs = positiveInt('epochs', opts.epochs ?? TRAIN_DEFAULTS.epochs)
  const lr = opts.lr ?? TRAIN_DEFAULTS.lr
  if (!(lr > 0) || !Number.isFinite(lr)) throw new RangeError(`lr must be a positive number, got ${lr}`)
  const seed = opts.seed ?? TRAIN_DEFAULTS.seed
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`)
  if (examples.length === 0) throw new RangeError('no training examples')
  const features: FeatureOptions = {
    buckets: opts.buckets ?? DEFAULT_FEATURES.buckets,
    maxLen: opts.maxLen ?? DEFAULT_FEATURES.maxLen,
    maxChars: opts.maxChars ?? DEFAULT_FEATURES.maxChars,
    minn: opts.minn ?? (opts.maxn === undefined ? DEFAULT_FEATURES.minn : Math.min(3, opts.maxn)),
    maxn: opts.maxn ?? DEFAULT_FEATURES.maxn
  }
  const fx = new FeatureExtractor(features)
  const data = examples.map(e => ({ f: fx.extract(e.text), label: e.label }))

  const random = rng(seed)
  const embedding = new Float32Array(features.buckets * dim)
  for (let i = 0; i < embedding.length; i++) embedding[i] = (random() * 2 - 1) / dim // fastText: uniform(-1/dim, 1/dim)
  const m: ClassifierWeights = {
    features,
    dim,
    embedding,
    weight: new Float32Array(dim * 2), // fastText starts the output layer at zero
    bias: new Float32Array(2),
    training: { epochs, lr, seed, examples: examples.length }
  }

  const hidden = new Float64Array(dim)
  const grad = new Float64Array(dim)
  const order = data.map((_, i) => i)
  const total = epochs * data.length
  let step = 0
  for (let epoch = 1; epoch <= epochs; epoch++) {
    shuffle(order, random)
    let loss = 0
    for (const i of order) {
      const { f, label } = data[i]!
      const rate = lr * (1 - step / total)
      step++
      embed(m, f, hidden)
      const p1 = output(m, hidden)
      loss -= Math.log(Math.max(label === 1 ? p1 : 1 - p1, 1e-12))
      // d(log softmax_label)/d(logit_k) = [k = label] - p_k; fastText scales it by the learning rate
      const g1 = rate * (label - p1)
      const g0 = -g1
      for (let d = 0; d < dim; d++) {
        grad[d] = g0 * m.weight[2 * d]! + g1 * m.weight[2 * d + 1]!
        m.weight[2 * d]! += g0 * hidden[d]!
        m.weight[2 * d + 1]! += g1 * hidden[d]!
      }
      m.bias[0]! += g0
      m.bias[1]! += g1
      let sum = 0
      for (let k = 0; k < f.weights.length; k++) sum += f.weights[k]!
      if (sum === 0) continue
      for (let k = 0; k < f.ids.length; k++) {
        const share = f.weights[k]! / sum
        const row = f.ids[k]! * dim
        for (let d = 0; d < dim; d++) m.embedding[row + d]! += share * grad[d]!
      }
    }
    opts.onEpoch?.(epoch, loss / data.length)
  }
  return m
}

/** ROC AUC: the chance that a random positive scores above a random negative (ties count half); null without both classes. */
export function rocAuc (scores: ArrayLike<number>, labels: ArrayLike<number>): number | null {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!)
  let positives = 0
  let rankSum = 0
  for (let i = 0; i < idx.length;) {
    let j = i
    while (j + 1 < idx.length && scores[idx[j + 1]!] === scores[idx[i]!]) j++
    const rank = (i + j) / 2 + 1 // mid-rank of a run of ties
    for (let k = i; k <= j; k++) if (labels[idx[k]!] === 1) { positives++; rankSum += rank }
    i = j + 1
  }
  const negatives = idx.length - positives
  if (positives === 0 || negatives === 0) return null
  return (rankSum - positives * (positives + 1) / 2) / (positives * negatives)
}

export interface Metrics {
  examples: number
  positives: number
  /** Share classified right at P ≥ 0.5. */
  accuracy: number
  auc: number | null
}

/** Held-out figures of a model: overall and per language. */
export interface Evaluation {
  overall: Metrics
  byLang: Record<string, Metrics>
}

function metrics (scores: ArrayLike<number>, labels: ArrayLike<number>): Metrics {
  let right = 0
  let positives = 0
  for (let i = 0; i < scores.length; i++) {
    if ((scores[i]! >= 0.5 ? 1 : 0) === labels[i]) right++
    if (labels[i] === 1) positives++
  }
  return { examples: scores.length, positives, accuracy: scores.length === 0 ? 0 : right / scores.length, auc: rocAuc(scores, labels) }
}

/** Accuracy and ROC AUC of `scores` (P(high quality) per example), overall and per language. */
export function evaluateScores (examples: Example[], scores: ArrayLike<number>): Evaluation {
  const labels = examples.map(e => e.label)
  const byLang: Record<string, Metrics> = {}
  for (const lang of [...new Set(examples.map(e => e.lang))].sort()) {
    const at = examples.flatMap((e, i) => e.lang === lang ? [i] : [])
    byLang[lang] = metrics(at.map(i => scores[i]!), at.map(i => labels[i]!))
  }
  return { overall: metrics(scores, labels), byLang }
}

/** Accuracy and ROC AUC of the model on `examples` with the TypeScript forward pass. */
export function evaluate (m: ClassifierWeights, examples: Example[]): Evaluation {
  return evaluateScores(examples, predict(m, examples.map(e => e.text)))
}

/**
 * Splits off a seeded, stratified share for evaluation: within each (language, label) group, `fraction` of the
 * examples (rounded) are held out. The same seed and examples give the same split.
 */
export function splitHoldout<T extends Example> (examples: T[], fraction = 0.2, seed = 1): { train: T[], heldOut: T[] } {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`fraction must be in (0, 1), got ${fraction}`)
  const random = rng(seed ^ 0x5bd1e995)
  const groups = new Map<string, number[]>()
  examples.forEach((e, i) => {
    const key = `${e.lang}\u0000${e.label}`
    const g = groups.get(key)
    if (g === undefined) groups.set(key, [i])
    else g.push(i)
  })
  const held = new Set<number>()
  for (const key of [...groups.keys()].sort()) {
    const g = shuffle(groups.get(key)!, random)
    for (const i of g.slice(0, Math.round(g.length * fraction))) held.add(i)
  }
  return { train: examples.filter((_, i) => !held.has(i)), heldOut: examples.filter((_, i) => held.has(i)) }
}
