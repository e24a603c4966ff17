import { expect, it } from 'vitest';
import { kernelFor } from '../../src/backend/registry.js';
import { describeEachBackend, isasOf, withIsa } from '../helpers/backends.js';
import {
  type KernelCase,
  loadKernelCases,
  recurrentKernels,
  runGemm,
  runRecurrent,
} from './kernel-fixtures.js';

// Each backend's kernels called directly on PyTorch's values (fixtures/kernels/kernels.txt), on
// every instruction set the native addon runs: no reference implementation in between.

/** |a − e| ≤ tol·(|e| + scale), scale the largest |e| of the array. */
function expectClose(actual: Float32Array, expected: Float32Array, tol: number, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i]! - expected[i]!) <= tol * (Math.abs(expected[i]!) + scale)))
      expect.fail(`${what}[${i}]: got ${actual[i]}, PyTorch ${expected[i]} (tolerance ${tol} relative)`);
  }
}

const cases = loadKernelCases();
const FORWARD = new Set(['out', 'hN', 'cN']);

it('the fixture file holds every recurrent kind and the GEMMs', () => {
  expect(new Set(cases.map((c) => c.kind))).toEqual(
    new Set(['lstm', 'lstm_proj', 'gru', 'rnn_tanh', 'rnn_relu', 'gemm']),
  );
});

describeEachBackend('kernels match PyTorch', (backend) => {
  const kernel = <K extends Parameters<typeof kernelFor>[0]>(name: K) =>
    kernelFor(name, backend) ?? kernelFor(name, 'js')!;
  for (const isa of isasOf(backend)) {
    for (const c of cases) {
      it(`${c.name}${isa ? ` (${isa})` : ''}`, () => {
        withIsa(isa, () => {
          if (c.kind === 'gemm') {
            expectClose(runGemm(c, kernel('gemm')), c.arrays.c!, 1e-5, 'c');
            return;
          }
          const got = runRecurrent(c, recurrentKernels(kernel));
          expect(Object.keys(got).sort()).toEqual(expectedNames(c));
          for (const [name, values] of Object.entries(got))
            expectClose(values, c.arrays[name]!, FORWARD.has(name) ? 1e-5 : 1e-4, name);
        });
      });
    }
  }
});

/** The fixture's expected arrays: everything that is not an input. */
function expectedNames(c: KernelCase): string[] {
  const inputs = new Set(['x', 'h0', 'c0', 'wIh', 'wHh', 'wHr', 'bIh', 'bHh', 'dOut', 'dhN', 'dcN']);
  return Object.keys(c.arrays)
    .filter((k) => !inputs.has(k))
    .sort();
}
