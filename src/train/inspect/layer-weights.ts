import type { GRU, LSTM, RNN } from '../../nn/rnn.js';
import type { LstmWeights } from '../../ops/recurrent.js';
import { Tensor } from '../../tensor/tensor.js';

/** A trained recurrent layer to look inside. */
export type RecurrentLayer = RNN | LSTM | GRU;

/**
 * The weights of layer l, direction d (0 forward, 1 reverse) by PyTorch's names, as tensors that
 * share the parameters' data but take no gradient: looking inside a model leaves its .grad alone.
 */
export function layerWeights(layer: RecurrentLayer, l: number, d: number): LstmWeights {
  const params = new Map(layer.namedParameters());
  const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
  const get = (name: string) => {
    const p = params.get(`${name}${sfx}`);
    return p ? new Tensor(p.f32, p.shape) : null;
  };
  return {
    weightIh: get('weight_ih')!,
    weightHh: get('weight_hh')!,
    biasIh: get('bias_ih'),
    biasHh: get('bias_hh'),
    weightHr: get('weight_hr'),
  };
}
