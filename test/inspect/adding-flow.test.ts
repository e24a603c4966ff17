import { afterAll, beforeAll, expect, it } from 'vitest';
import { type BackendName, backend, setBackend } from '../../src/backend/registry.js';
import { Generator } from '../../src/tensor/random.js';
import { type AddingFlow, addingGradientFlow, addingProblem } from '../../src/train/inspect/adding.js';
import { availableBackends } from '../helpers/backends.js';

// Training three cells is the slow part: on the fastest backend this process has.
let previous: BackendName = 'js';
beforeAll(() => {
  previous = backend();
  setBackend(availableBackends().includes('native') ? 'native' : 'js');
});
afterAll(() => setBackend(previous));

it('adding problem: two marked values, one per half, and their sum as the target', () => {
  const { x, y } = addingProblem(10, 4, new Generator(2));
  expect(x.shape).toEqual([10, 4, 2]);
  for (let b = 0; b < 4; b++) {
    const marked = [...Array(10).keys()].filter((t) => x.f32[(t * 4 + b) * 2 + 1] === 1);
    expect(marked).toHaveLength(2);
    expect(marked[0]).toBeLessThan(5);
    expect(marked[1]).toBeGreaterThanOrEqual(5);
    expect(y.f32[b]).toBeCloseTo(x.f32[(marked[0]! * 4 + b) * 2]! + x.f32[(marked[1]! * 4 + b) * 2]!, 6);
  }
});

it('after training on T = 100, the RNN’s gradient vanishes over 100 steps while the LSTM’s and GRU’s do not', () => {
  const flows = addingGradientFlow(['rnn', 'lstm', 'gru'], { T: 100, steps: 800 });
  const byCell = Object.fromEntries(flows.map((f) => [f.cell, f])) as Record<string, AddingFlow>;
  const spread = (f: AddingFlow) => Math.min(...f.input) / Math.max(...f.input);
  // The RNN stays at the mean predictor (MSE ≈ 1/6) and ∂ŷ/∂x_t falls by > 10 orders of magnitude.
  expect(byCell.rnn!.mse).toBeGreaterThan(0.1);
  expect(byCell.rnn!.input[99]! / byCell.rnn!.input[0]!).toBeLessThan(1e-10);
  for (const cell of ['lstm', 'gru']) {
    const f = byCell[cell]!;
    expect(f.mse).toBeLessThan(0.05);
    // Every step, up to 99 back, within two orders of magnitude of the largest.
    expect(spread(f)).toBeGreaterThan(1e-2);
  }
}, 180_000);
