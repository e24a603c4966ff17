import { describe, expect, it } from 'vitest';
import { checkCase, fuzzCase, MUTATIONS, type Mutation } from './torch-fuzz.js';

describe('torch.save reader under fuzzing', () => {
  it('reads 450 seeded damaged files consistently or throws TorchFileError', () => {
    const outcomes = new Map<Mutation, Set<string>>(MUTATIONS.map((m) => [m, new Set()]));
    for (let i = 0; i < 450; i++) {
      const c = fuzzCase(2024, i);
      outcomes.get(c.mutation)!.add(checkCase(c.bytes));
    }
    // Valid files read; each kind of damage is caught at least once.
    expect([...outcomes.get('valid')!]).toEqual(['read']);
    for (const m of MUTATIONS.filter((x) => x !== 'valid'))
      expect(outcomes.get(m)!.has('rejected'), m).toBe(true);
    for (const m of ['truncate-file', 'truncate-pickle', 'storage-size'] as const) {
      expect([...outcomes.get(m)!], m).toEqual(['rejected']);
    }
  });

  it('the checker fails on any error that is not a TorchFileError', () => {
    // readTorchFile throws ValueError for a non-Uint8Array argument.
    expect(() => checkCase([0, 0] as never)).toThrow(/not a TorchFileError: ValueError/);
  });
});
