import { describe, expect, it } from 'vitest';
import { Linear } from '../../src/nn/linear.js';
import { Module } from '../../src/nn/module.js';
import { StateDictError } from '../../src/tensor/errors.js';
import { tensor, zeros } from '../../src/tensor/tensor.js';

class Net extends Module {
  readonly fc1 = this.registerModule('fc1', new Linear(3, 2));
  readonly fc2 = this.registerModule('fc2', new Linear(2, 1, { bias: false }));
}

describe('Module', () => {
  it('names parameters with dotted PyTorch paths in registration order', () => {
    expect(new Net().namedParameters().map(([n, p]) => `${n}${JSON.stringify(p.shape)}`)).toEqual([
      'fc1.weight[2,3]',
      'fc1.bias[2]',
      'fc2.weight[1,2]',
    ]);
  });

  it('loads a state dict by value and reports every problem at once', () => {
    const a = new Net();
    const b = new Net();
    b.loadStateDict(a.stateDict());
    expect(Array.from(b.fc1.weight.f32)).toEqual(Array.from(a.fc1.weight.f32));
    const bad = { ...a.stateDict(), 'fc1.weight': zeros([3, 3]), extra: zeros([1]) } as Record<
      string,
      ReturnType<typeof zeros>
    >;
    delete bad['fc2.weight'];
    expect(() => b.loadStateDict(bad)).toThrow(StateDictError);
    expect(() => b.loadStateDict(bad)).toThrow(
      /missing keys: fc2\.weight\. unexpected keys: extra\. shape mismatch: fc1\.weight: expected \(2, 3\), got \(3, 3\)/,
    );
    expect(() =>
      b.loadStateDict({ ...a.stateDict(), 'fc1.bias': tensor([1, 2], { dtype: 'int32' }) }),
    ).toThrow(/fc1\.bias: expected float32, got int32/);
  });

  it('non-strict loading ignores missing and unexpected keys but still checks shapes', () => {
    const b = new Net();
    b.loadStateDict({ 'fc1.bias': tensor([5, 6]), other: zeros([2]) }, { strict: false });
    expect(Array.from(b.fc1.bias!.f32)).toEqual([5, 6]);
    expect(() => b.loadStateDict({ 'fc1.bias': zeros([3]) }, { strict: false })).toThrow(/fc1\.bias/);
  });

  it('propagates train/eval and clears gradients', () => {
    const n = new Net().eval();
    expect(n.fc1.training).toBe(false);
    n.fc1.weight.grad = zeros([2, 3]);
    n.zeroGrad();
    expect(n.fc1.weight.grad).toBeNull();
    expect(n.numParameters()).toBe(6 + 2 + 2);
  });
});
