import { describe, expect, it } from 'vitest';
import { checkCase, fuzzCase, MUTATIONS, type Mutation } from './safetensors-fuzz.js';

describe('safetensors reader under fuzzing', () => {
  it('parses 520 seeded broken files consistently or throws SafetensorsError', () => {
    const outcomes = new Map<Mutation, Set<string>>(MUTATIONS.map((m) => [m, new Set()]));
    for (let i = 0; i < 520; i++) {
      const c = fuzzCase(2024, i);
      outcomes.get(c.mutation)!.add(checkCase(c.bytes));
    }
    // Valid files parse; each kind of damage is caught at least once.
    expect([...outcomes.get('valid')!]).toEqual(['parsed']);
    for (const m of MUTATIONS.filter((x) => x !== 'valid'))
      expect(outcomes.get(m)!.has('rejected')).toBe(true);
    for (const m of ['truncate', 'header-length', 'non-utf8', 'duplicate-key'] as const) {
      expect([...outcomes.get(m)!]).toEqual(['rejected']);
    }
  });

  it('the checker fails on any error that is not a SafetensorsError', () => {
    // parseSafetensors throws ValueError for a non-Uint8Array argument.
    expect(() => checkCase([0, 0] as never)).toThrow(/not a SafetensorsError: ValueError/);
  });
});
