import { describe, expect, it } from 'vitest';
import '../../src/backend/js/embedding.js';
import '../../src/backend/js/shape.js';
import '../../src/backend/js/gru.js';
import '../../src/backend/js/lstm.js';
import '../../src/backend/js/rnn.js';
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

  // Each cell's forward on a batch after a larger one, without lengths (outputs written whole, not
  // zeroed in the module) and with them (zeroed): every output equals the JS kernel's.
  const forward = (
    kind: 'lstm' | 'gru' | 'rnn',
    wasm: boolean,
    T: number,
    B: number,
    lengths: number[] | null,
  ): Record<string, Float32Array> => {
    const [E, H] = [3, 4];
    const G = (kind === 'lstm' ? 4 : kind === 'gru' ? 3 : 1) * H;
    const g = new Generator(T * 10 + B);
    const r = (n: number) => Float32Array.from({ length: n }, () => g.uniform(-1, 1));
    const [x, wIh, wHh, bIh, bHh, h0, c0] = [
      r(T * B * E),
      r(G * E),
      r(G * H),
      r(G),
      r(G),
      r(B * H),
      r(B * H),
    ];
    const lens = lengths && Int32Array.from(lengths);
    const out = {
      out: new Float32Array(T * B * H),
      hN: new Float32Array(B * H),
      cN: new Float32Array(B * H),
    };
    const on = wasm ? 'wasm' : 'js';
    if (kind === 'lstm') {
      const [gates, cells] = [new Float32Array(T * B * G), new Float32Array(T * B * H)];
      kernelFor('lstmForward', on)!(
        T,
        B,
        E,
        H,
        0,
        x,
        wIh,
        wHh,
        null,
        bIh,
        bHh,
        h0,
        c0,
        lens,
        false,
        out.out,
        out.hN,
        out.cN,
        gates,
        cells,
        null,
      );
      return { ...out, gates, cells };
    }
    if (kind === 'gru') {
      const gates = new Float32Array(T * B * 4 * H);
      kernelFor('gruForward', on)!(
        T,
        B,
        E,
        H,
        x,
        wIh,
        wHh,
        bIh,
        bHh,
        h0,
        lens,
        false,
        out.out,
        out.hN,
        gates,
      );
      return { out: out.out, hN: out.hN, gates };
    }
    kernelFor('rnnForward', on)!(T, B, E, H, false, x, wIh, wHh, bIh, bHh, h0, lens, false, out.out, out.hN);
    return { out: out.out, hN: out.hN };
  };
  /** The largest difference per output (the kernels agree to float32 rounding; stale data would not). */
  const gaps = (a: Record<string, Float32Array>, b: Record<string, Float32Array>) =>
    Object.fromEntries(
      Object.entries(a).map(([k, v]) => [
        k,
        v.reduce((m, x, i) => Math.max(m, Math.abs(x - b[k]![i]!)), 0) < 1e-5,
      ]),
    );

  for (const kind of ['lstm', 'gru', 'rnn'] as const)
    it(`${kind}Forward after a larger call gives what the JS kernel gives, with and without lengths`, () => {
      for (const lengths of [null, [5, 2, 0]]) {
        forward(kind, true, 9, 7, null);
        const [wasm, js] = [forward(kind, true, 5, 3, lengths), forward(kind, false, 5, 3, lengths)];
        // Past a sample's end the saved gates are scratch (the compiled kernels leave the input
        // projection there, the JS ones 0); backward never reads them.
        if (lengths) for (const o of [wasm, js]) delete o.gates;
        expect(Object.keys(wasm)).toEqual(Object.keys(js));
        expect(Object.values(gaps(wasm, js)).every(Boolean), JSON.stringify(gaps(wasm, js))).toBe(true);
      }
    });
});
