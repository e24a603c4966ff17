import { describe, expect, it } from 'vitest';
import { LSTMClassifier, main } from '../../examples/seed-lstm-classifier.js';

describe('the seed notebook, ported', () => {
  it('trains: the loss goes down epoch after epoch, printed as the notebook prints it', () => {
    const lines: string[] = [];
    const losses = main({ numEpochs: 6, seed: 0, log: (l) => lines.push(l) });
    expect(lines[0]).toMatch(/^Epoch 1\/6, Loss: \d\.\d{4}$/);
    expect(lines[0]).toBe(`Epoch 1/6, Loss: ${losses[0]!.toFixed(4)}`);
    // Two classes at random initialisation: about ln 2.
    expect(Math.abs(losses[0]! - Math.LN2)).toBeLessThan(0.15);
    for (let i = 1; i < losses.length; i++) expect(losses[i]!).toBeLessThan(losses[i - 1]!);
    expect(losses[5]!).toBeLessThan(0.4);
  });

  it("has the notebook model's parameter names (PyTorch state_dict keys)", () => {
    const m = new LSTMClassifier(50, 8, 4, 2);
    expect(Object.keys(m.stateDict())).toEqual([
      'embedding.weight',
      'lstm.weight_ih_l0',
      'lstm.weight_hh_l0',
      'lstm.bias_ih_l0',
      'lstm.bias_hh_l0',
      'fc.weight',
      'fc.bias',
    ]);
  });
});
