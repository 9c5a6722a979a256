/** One tokenized training example on its way into a sequence. */
export interface TokenizedSample {
  /** Document id in the lake, or `<file>#<record>` for a supervised/maths sample. */
  docId: string
  /** Plan source it was drawn from; lineage and per-source accounting use it. */
  source: string
  /** Samples of one task share sequences in stages 2 and 3 (Ziya2); stage 1 ignores it. */
  task: string
  /** Token ids without BOS/EOS; the packer appends EOS. */
  tokens: Uint32Array
  /** How many leading tokens are the prompt (0 for unsupervised text); masked from the loss when asked. */
  promptTokens: number
}

/** Where a document's tokens sit in a sequence: the `trained_on` row of lineage. */
export interface SequenceSpan {
  docId: string
  source: string
  task: string
  /** Token range [start, end) in the sequence. */
  start: number
  end: number
  /** Index in the document's token stream (EOS included) of the span's first token: windows cut documents. */
  docOffset: number
}

/**
 * One packed training sequence of exactly `length` tokens. `segments` numbers the documents of
 * the sequence from 0 (padding is -1) so the model core can keep them from attending to each
 * other; `positions` restart at 0 with each segment.
 */
export interface PackedSequence {
  tokens: Uint32Array
  segments: Int32Array
  positions: Int32Array
  /** 1 where the token counts in the loss, 0 for padding (and prompts when masked). */
  lossMask: Uint8Array
  spans: SequenceSpan[]
}
