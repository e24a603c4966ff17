import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The PyTorch fixture scripts (scripts/*.py): each runs only as a program (importing one, to
 * reuse a helper, writes nothing), and the tensor encoding they share lives in one module.
 */

const dir = join(import.meta.dirname, '..', 'scripts');
const scripts = readdirSync(dir).filter((f) => f.endsWith('.py'));
const source = (f: string) => readFileSync(join(dir, f), 'utf8');

describe('the PyTorch fixture scripts', () => {
  it('run their work under `if __name__ == "__main__"` only', () => {
    const programs = scripts.filter((f) => f.startsWith('fixtures_'));
    expect(programs.length).toBeGreaterThanOrEqual(10);
    const unguarded = programs.filter(
      (f) => !/^if __name__ == ["']__main__["']:\n {4}main\(\)\n$/m.test(source(f)),
    );
    expect(unguarded).toEqual([]);
    // Top-level statements are imports, definitions, constants, the seed and the guard, never work.
    const calls = programs.flatMap((f) =>
      source(f)
        .split('\n')
        .filter(
          (l) => /^[a-z_]\w*(\.\w+)*\(/.test(l) && !/^(torch\.manual_seed|warnings\.simplefilter)\(/.test(l),
        )
        .map((l) => `${f}: ${l}`),
    );
    expect(calls).toEqual([]);
  });

  it('share one tensor encoder, fixture_tensors.enc', () => {
    const defining = scripts.filter((f) => /^def enc\(/m.test(source(f)));
    expect(defining).toEqual(['fixture_tensors.py']);
    const users = scripts.filter((f) => /\benc\(/.test(source(f)) && f !== 'fixture_tensors.py');
    for (const f of users) expect(source(f), f).toMatch(/^from fixture_tensors import enc$/m);
  });
});
