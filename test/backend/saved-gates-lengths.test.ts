import { describe, expect, it } from 'vitest';
import '../../src/backend/js/gru.js';
import '../../src/backend/js/lstm.js';
import type { BackendName } from '../../src/backend/registry.js';
import { kernelFor } from '../../src/backend/registry.js';
import { availableBackends } from '../helpers/backends.js';

// With per-sample lengths, the state the forward kernels save for BPTT must be the same on every
// backend, rows past a sample's end included (there they hold x·W_ihᵀ without bias, cells and the
// GRU's W_hn h + b_hn block 0): the inspection tools read these buffers as the kernels leave them.

const T = 4;
const B = 3;
const E = 3;
const H = 2;
const LENGTHS = new Int32Array([4, 1, 2]);

/** Deterministic values in [−0.6, 0.6]. */
function values(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => 0.6 * Math.sin(1.3 * i + seed));
}

const x = values(T * B * E, 1);

/** The saved buffers of one forward call, by name. */
type Saved = Record<string, Float32Array>;

function lstmSaved(backend: BackendName, P: number, reverse: boolean): Saved {
  const forward = kernelFor('lstmForward', backend) ?? kernelFor('lstmForward', 'js')!;
  const G = 4 * H;
  const R = P > 0 ? P : H;
  const gates = new Float32Array(T * B * G);
  const cells = new Float32Array(T * B * H);
  const hidden = P > 0 ? new Float32Array(T * B * H) : null;
  forward(
    T,
    B,
    E,
    H,
    P,
    x,
    values(G * E, 2),
    values(G * R, 3),
    P > 0 ? values(P * H, 6) : null,
    values(G, 4),
    values(G, 5),
    values(B * R, 7),
    values(B * H, 8),
    LENGTHS,
    reverse,
    new Float32Array(T * B * R),
    new Float32Array(B * R),
    new Float32Array(B * H),
    gates,
    cells,
    hidden,
  );
  return hidden ? { gates, cells, hidden } : { gates, cells };
}

function gruSaved(backend: BackendName, reverse: boolean): Saved {
  const forward = kernelFor('gruForward', backend) ?? kernelFor('gruForward', 'js')!;
  const G = 3 * H;
  const gates = new Float32Array(T * B * 4 * H);
  forward(
    T,
    B,
    E,
    H,
    x,
    values(G * E, 2),
    values(G * H, 3),
    values(G, 4),
    values(G, 5),
    values(B * H, 7),
    LENGTHS,
    reverse,
    new Float32Array(T * B * H),
    new Float32Array(B * H),
    gates,
  );
  return { gates };
}

/** x[t, b] · W_ihᵀ in doubles, the G gate pre-activations without bias. */
function projectionWithoutBias(t: number, b: number, G: number): number[] {
  const w = values(G * E, 2);
  return Array.from({ length: G }, (_, g) => {
    let s = 0;
    for (let e = 0; e < E; e++) s += x[(t * B + b) * E + e]! * w[g * E + e]!;
    return s;
  });
}

/** Entries [from, to) of each padded row of `saved` (row stride S). */
function paddedRows(
  saved: Float32Array,
  S: number,
  from: number,
  to: number,
): { t: number; b: number; row: number[] }[] {
  const rows: { t: number; b: number; row: number[] }[] = [];
  for (let b = 0; b < B; b++) {
    for (let t = LENGTHS[b]!; t < T; t++) {
      const r = (t * B + b) * S;
      rows.push({ t, b, row: Array.from(saved.subarray(r + from, r + to)) });
    }
  }
  return rows;
}

const CASES: {
  name: string;
  G: number;
  S: number;
  run: (backend: BackendName, reverse: boolean) => Saved;
}[] = [
  { name: 'LSTM', G: 4 * H, S: 4 * H, run: (be, rev) => lstmSaved(be, 0, rev) },
  { name: 'LSTM with projection', G: 4 * H, S: 4 * H, run: (be, rev) => lstmSaved(be, 1, rev) },
  { name: 'GRU', G: 3 * H, S: 4 * H, run: gruSaved },
];

describe('saved state with lengths', () => {
  for (const c of CASES) {
    for (const reverse of [false, true]) {
      const label = `${c.name}${reverse ? ' (reverse)' : ''}`;

      it(`${label}: past a sample's end the gates hold x·W_ihᵀ without bias, the rest 0`, () => {
        const saved = c.run('js', reverse);
        for (const { t, b, row } of paddedRows(saved.gates!, c.S, 0, c.G)) {
          const expected = projectionWithoutBias(t, b, c.G);
          for (let g = 0; g < c.G; g++)
            expect(row[g], `gates[${t}, ${b}, ${g}]`).toBeCloseTo(expected[g]!, 6);
        }
        for (const { t, b, row } of paddedRows(saved.gates!, c.S, c.G, c.S))
          expect(row, `gates[${t}, ${b}] past the gates`).toEqual(new Array(c.S - c.G).fill(0));
        for (const name of ['cells', 'hidden'].filter((n) => saved[n])) {
          for (const { t, b, row } of paddedRows(saved[name]!, H, 0, H))
            expect(row, `${name}[${t}, ${b}]`).toEqual([0, 0]);
        }
      });

      for (const backend of availableBackends().filter((b) => b !== 'js')) {
        it(`${label}: ${backend} saves what the JS kernel saves, padded rows included`, () => {
          const reference = c.run('js', reverse);
          const got = c.run(backend, reverse);
          for (const [name, values] of Object.entries(reference)) {
            const actual = got[name]!;
            expect(actual.length, name).toBe(values.length);
            for (let i = 0; i < values.length; i++)
              expect(
                Math.abs(actual[i]! - values[i]!),
                `${name}[${i}]: ${actual[i]} vs JS ${values[i]}`,
              ).toBeLessThan(1e-5);
          }
        });
      }
    }
  }
});
