import { add, mul } from '../../ops/binary.js';
import { checkLengths, gruSequence, type Lengths, lstmSequence, rnnSequence } from '../../ops/recurrent.js';
import { sum } from '../../ops/reduce.js';
import { concat, reshape, slice, stack } from '../../ops/shape.js';
import { ValueError } from '../../tensor/errors.js';
import { Tensor, zeros } from '../../tensor/tensor.js';
import { layerWeights, type RecurrentLayer } from './layer-weights.js';
import { timeMajorInput } from './trace.js';

/*
 * How far back a gradient reaches: the norm of the gradient of a target (a prediction, a loss)
 * with respect to the input at each time step and to the hidden state after each step, the
 * measurement behind "an RNN's gradients vanish". The layer is replayed one step at a time with
 * the same fused sequence ops (T = 1 per call), and after each step a zero "probe" leaf is added
 * to the hidden state, so the probe's gradient is ∂target/∂h_t through every path: the step's
 * output and the rest of the recurrence. The parameters take no gradient.
 */

export interface GradientFlowOptions {
  /** Valid steps of each sample of a right-padded batch. Omitted: all T. */
  lengths?: Lengths | null;
  /**
   * What is differentiated, from the top layer's output (T, B, D·R), time-major, and the final
   * states hN (L·D, B, R); a non-scalar result is summed (so each sample's own gradient comes
   * out). Default: the sum of the top layer's final hidden states.
   */
  target?: (r: { output: Tensor; hN: Tensor }) => Tensor;
}

export interface GradientFlow {
  /** (T, B): ‖∂target/∂x_t‖ of each sample, 0 past its length. */
  input: Tensor;
  /** hidden[l][d]: (T, B) ‖∂target/∂h_t‖ of layer l, direction d, 0 past each sample's length. */
  hidden: Tensor[][];
  /** The target's value (its sum). */
  value: number;
}

interface Replayed {
  /** (T, B, R) outputs, 0 past each sample's length. */
  output: Tensor;
  hN: Tensor;
  probes: Tensor[];
}

/** Norms of ∂target/∂x_t and ∂target/∂h_t for every step (see the note at the head of this file). */
export function gradientFlow(
  layer: RecurrentLayer,
  x: Tensor,
  options: GradientFlowOptions = {},
): GradientFlow {
  const where = 'gradientFlow';
  const timeMajor = timeMajorInput(where, layer, x);
  const [T, B, E] = timeMajor.shape as [number, number, number];
  const lengths =
    options.lengths == null
      ? new Int32Array(B).fill(T)
      : checkLengths(options.lengths, B, T, `${where}: lengths`);
  if (options.target !== undefined && typeof options.target !== 'function') {
    throw new ValueError(`${where}: target must be a function of { output, hN } returning a tensor`);
  }
  const input = new Tensor(timeMajor.f32.slice(), [T, B, E], { requiresGrad: true });
  let layerInput: Tensor = input;
  const finals: Tensor[] = [];
  const probes: Tensor[][][] = [];
  for (let l = 0; l < layer.numLayers; l++) {
    const runs = Array.from({ length: layer.numDirections }, (_, d) =>
      replayDirection(layer, layerInput, l, d, lengths),
    );
    layerInput =
      runs.length === 1
        ? runs[0]!.output
        : concat(
            runs.map((r) => r.output),
            2,
          );
    finals.push(...runs.map((r) => r.hN));
    probes.push(runs.map((r) => r.probes));
  }
  const target = (options.target ?? defaultTarget(layer))({ output: layerInput, hN: stack(finals, 0) });
  if (!(target instanceof Tensor))
    throw new ValueError(`${where}: target must return a Tensor, got ${typeof target}`);
  const scalar = target.size === 1 ? reshape(target, []) : sum(target);
  scalar.backward();
  return {
    input: stepNorms(input.grad!.f32, T, B, E, lengths),
    hidden: probes.map((dirs) =>
      dirs.map((ps) => {
        const R = ps[0]!.shape[1]!;
        const g = new Float32Array(T * B * R);
        for (const [t, p] of ps.entries()) if (p.grad) g.set(p.grad.f32, t * B * R);
        return stepNorms(g, T, B, R, lengths);
      }),
    ),
    value: scalar.item(),
  };
}

function defaultTarget(layer: RecurrentLayer): (r: { output: Tensor; hN: Tensor }) => Tensor {
  const LD = layer.numLayers * layer.numDirections;
  return ({ hN }) => slice(hN, 0, LD - layer.numDirections, LD);
}

/** Runs layer l, direction d one step at a time with a probe on each step's hidden state. */
function replayDirection(
  layer: RecurrentLayer,
  input: Tensor,
  l: number,
  d: number,
  lengths: Int32Array,
): Replayed {
  const [T, B, E] = input.shape as [number, number, number];
  const R = layer.outputSize;
  const w = layerWeights(layer, l, d);
  let h = zeros([B, R]);
  let c = zeros([B, layer.hiddenSize]);
  const outs = new Array<Tensor>(T);
  const probes = new Array<Tensor>(T);
  for (let s = 0; s < T; s++) {
    const t = d === 1 ? T - 1 - s : s;
    const xt = reshape(slice(input, 0, t, t + 1), [1, B, E]);
    const valid = lengths.map((len) => (t < len ? 1 : 0));
    const options = { lengths: valid };
    let hNext: Tensor;
    if (layer.mode === 'LSTM') {
      const r = lstmSequence(xt, h, c, w, options);
      hNext = r.hN;
      c = r.cN;
    } else if (layer.mode === 'GRU') {
      hNext = gruSequence(xt, h, w, options).hN;
    } else {
      const nonlinearity = layer.mode === 'RNN_RELU' ? 'relu' : 'tanh';
      hNext = rnnSequence(xt, h, w, { ...options, nonlinearity }).hN;
    }
    const probe = zeros([B, R], { requiresGrad: true });
    h = add(hNext, probe);
    probes[t] = probe;
    outs[t] = mul(h, new Tensor(Float32Array.from(valid), [B, 1]));
  }
  return { output: stack(outs, 0), hN: h, probes };
}

/** (T, B) Euclidean norms of the (T, B, K) gradient's rows, 0 past each sample's length. */
function stepNorms(g: Float32Array, T: number, B: number, K: number, lengths: Int32Array): Tensor {
  const out = new Float32Array(T * B);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      if (t >= lengths[b]!) continue;
      let s = 0;
      for (let k = 0; k < K; k++) s += g[(t * B + b) * K + k]! ** 2;
      out[t * B + b] = Math.sqrt(s);
    }
  }
  return new Tensor(out, [T, B]);
}

/** The mean over samples of each step's norm, counting only samples that reach that step. */
export function meanNorms(norms: Tensor, lengths?: Int32Array): Float64Array {
  const [T, B] = norms.shape as [number, number];
  const out = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    let s = 0;
    let n = 0;
    for (let b = 0; b < B; b++) {
      if (lengths && t >= lengths[b]!) continue;
      s += norms.f32[t * B + b]!;
      n++;
    }
    out[t] = n > 0 ? s / n : 0;
  }
  return out;
}
