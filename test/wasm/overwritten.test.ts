import { describe, expect, it } from 'vitest';
import '../../src/backend/js/embedding.js';
import '../../src/backend/js/shape.js';
import { kernelFor } from '../../src/backend/registry.js';
import { loadWasmSync } from '../../src/backend/wasm/load-node.js';
import { Generator } from '../../src/tensor/random.js';

// Outputs a kernel writes whole are neither copied into the module nor zeroed there
// (src/backend/wasm/marshal.ts, OVERWRITTEN): what lies past them must come back unchanged, and
// nothing a previous, larger call left in the module's memory may show through.

describe.skipIf(loadWasmSync() !== '')('WebAssembly outputs written whole', () => {
  const gen = new Generator(13);
  const rand = (n: number) => Float32Array.from({ length: n }, () => gen.uniform(-1, 1));

  it('permute without accumulate keeps the elements past its output', () => {
    const x = rand(2 * 3 * 4);
    const wasmOut = rand(2 * 3 * 4 + 5);
    const jsOut = Float32Array.from(wasmOut);
    kernelFor('permute', 'wasm')!(x, [2, 3, 4], [2, 0, 1], wasmOut, false);
    kernelFor('permute', 'js')!(x, [2, 3, 4], [2, 0, 1], jsOut, false);
    expect(Array.from(wasmOut)).toEqual(Array.from(jsOut));
  });

  it('embeddingForward after a larger call gives only the rows it gathered', () => {
    const weight = rand(7 * 5);
    const embed = (wasm: boolean, indices: number[]) => {
      const out = new Float32Array(indices.length * 5 + 3).fill(9);
      kernelFor('embeddingForward', wasm ? 'wasm' : 'js')!(weight, 5, Int32Array.from(indices), out);
      return Array.from(out);
    };
    embed(
      true,
      Array.from({ length: 64 }, (_, i) => i % 7),
    );
    expect(embed(true, [3, 0, 6])).toEqual(embed(false, [3, 0, 6]));
  });
});
