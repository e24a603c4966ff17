import { embedding } from '../ops/embedding.js';
import { ValueError } from '../tensor/errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { normal_ } from './init.js';
import { checkSize } from './linear.js';
import { Module, Parameter } from './module.js';

export interface EmbeddingOptions {
  /** Row that stays zero and gets no gradient (negative counts from the end), PyTorch's `padding_idx`. */
  paddingIdx?: number | null;
  /** Generator for the initial weights (default: the global one). */
  generator?: Generator;
}

/**
 * Lookup table, PyTorch's `nn.Embedding`. indices int32 (…) → (…, E); weight: (V, E) from N(0, 1),
 * with the padding row set to zeros.
 */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  /** The padding row as a non-negative index, or null. */
  readonly paddingIdx: number | null;
  readonly weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    checkSize('Embedding', 'numEmbeddings', numEmbeddings);
    checkSize('Embedding', 'embeddingDim', embeddingDim);
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    const pad = options.paddingIdx ?? null;
    if (pad !== null && (!Number.isInteger(pad) || pad < -numEmbeddings || pad >= numEmbeddings)) {
      throw new ValueError(
        `Embedding: paddingIdx must be an integer in [${-numEmbeddings}, ${numEmbeddings}), got ${pad}`,
      );
    }
    this.paddingIdx = pad !== null && pad < 0 ? pad + numEmbeddings : pad;
    this.weight = this.registerParameter(
      'weight',
      new Parameter(new Float32Array(numEmbeddings * embeddingDim), [numEmbeddings, embeddingDim]),
    );
    normal_(this.weight, 0, 1, options.generator ?? defaultGenerator);
    if (this.paddingIdx !== null) {
      this.weight.f32.fill(0, this.paddingIdx * embeddingDim, (this.paddingIdx + 1) * embeddingDim);
    }
  }

  forward(indices: Tensor): Tensor {
    return embedding(this.weight, indices, this.paddingIdx);
  }
}
