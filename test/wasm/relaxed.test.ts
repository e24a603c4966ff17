import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

// The relaxed-SIMD build, which Node 20 runs only behind a flag: a child Node with the flag loads
// the backend, which must pick that build, and runs every PyTorch kernel fixture through it
// (relaxed-fixtures.ts). Tolerances as test/backend/kernel-fixtures.test.ts: 1e-5 for outputs and
// GEMMs, 1e-4 for gradients.

const root = fileURLToPath(new URL('../..', import.meta.url));
const FORWARD = /\.(out|hN|cN|c)$/;

it('the relaxed-SIMD build is chosen where the engine has relaxed SIMD, and matches PyTorch', () => {
  const out = execFileSync(
    process.execPath,
    ['--experimental-wasm-relaxed-simd', '--import', 'tsx', 'test/wasm/relaxed-fixtures.ts'],
    { cwd: root, encoding: 'utf8' },
  );
  const { flavor, deviations } = JSON.parse(out) as { flavor: string; deviations: Record<string, number> };
  expect(flavor).toBe('relaxed');
  expect(Object.keys(deviations).length).toBeGreaterThan(60);
  for (const [name, d] of Object.entries(deviations))
    expect(d, name).toBeLessThanOrEqual(FORWARD.test(name) ? 1e-5 : 1e-4);
});
