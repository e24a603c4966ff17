import { beforeAll, describe, expect, it } from 'vitest';
import '../../src/backend/js/unary.js';
import { kernelFor } from '../../src/backend/registry.js';
import { wasmBackend } from '../../src/backend/wasm/index.js';
import { loadWasmSync } from '../../src/backend/wasm/load-node.js';
import { KiokuError } from '../../src/tensor/errors.js';

// How the WebAssembly backend fails: a kernel's own check (past the contract's lengths) arrives as
// the same JS error the native addon throws, a trap as a KiokuError naming the kernel, never as
// `RuntimeError: unreachable`; either leaves the module working. And what a call shares with the
// caller: only the arrays it writes change, an array passed twice is one array.

const available = loadWasmSync() === '';

describe.skipIf(!available)('the WebAssembly backend', () => {
  const k = <K extends Parameters<typeof kernelFor>[0]>(name: K) => kernelFor(name, 'wasm')!;
  const gemmWorks = () => {
    const c = new Float32Array(4);
    k('gemm')(
      false,
      false,
      2,
      2,
      2,
      Float32Array.of(1, 2, 3, 4),
      0,
      2,
      Float32Array.of(5, 6, 7, 8),
      0,
      2,
      c,
      0,
      2,
      false,
    );
    expect([...c]).toEqual([19, 22, 43, 50]);
  };
  beforeAll(gemmWorks);

  it("a kernel's own check is the native addon's RangeError, and the module keeps working", () => {
    const weight = new Float32Array(6);
    const out = new Float32Array(4);
    for (let i = 0; i < 50; i++)
      expect(() => k('embeddingForward')(weight, 2, Int32Array.of(1, 3), out)).toThrow(
        new RangeError('embeddingForward: indices[1] must be in [0, 3), got 3'),
      );
    expect(() =>
      k('binary')('add', new Float32Array(6), [2, 3], new Float32Array(2), [2], new Float32Array(6), [2, 3]),
    ).toThrow(/^binary: bShape does not broadcast to the output shape/);
    expect(() => k('permute')(new Float32Array(6), [2, 3], [0, 0], new Float32Array(6), false)).toThrow(
      RangeError,
    );
    gemmWorks();
  });

  it('a trap is a KiokuError naming the kernel, and the stack is restored for the next call', () => {
    const { instance } = wasmBackend()!;
    const sp = instance.exports.__stack_pointer.value;
    // Slots far past the end of memory: the reader's first load traps.
    const bad = () => instance.run('gemm', 0x7ffffff0);
    expect(bad).toThrow(KiokuError);
    expect(bad).toThrow(/^gemm: the WebAssembly kernel stopped \(memory access out of bounds\)/);
    expect(instance.exports.__stack_pointer.value).toBe(sp);
    gemmWorks();
  });

  it('arrays it only reads are left as they were; an array passed as input and output is updated in place', () => {
    const x = Float32Array.of(-1, 2, -3, 4);
    const out = new Float32Array(4);
    k('unary')('relu', x, out);
    expect([...x]).toEqual([-1, 2, -3, 4]);
    expect([...out]).toEqual([0, 2, 0, 4]);
    k('unary')('neg', x, x);
    expect([...x]).toEqual([1, -2, 3, -4]);
  });

  it('elements of an output past what the kernel writes keep their values', () => {
    const out = Float32Array.of(9, 9, 9, 9, 9, 9);
    k('unary')('abs', Float32Array.of(-1, -2), out);
    expect([...out]).toEqual([1, 2, 9, 9, 9, 9]);
  });
});
