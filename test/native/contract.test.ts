import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import '../../src/backend/js/adam.js';
import '../../src/backend/js/binary.js';
import '../../src/backend/js/embedding.js';
import '../../src/backend/js/gemm.js';
import '../../src/backend/js/gru.js';
import '../../src/backend/js/lstm.js';
import '../../src/backend/js/mask.js';
import '../../src/backend/js/masked-pool.js';
import '../../src/backend/js/pointwise.js';
import '../../src/backend/js/reduce.js';
import '../../src/backend/js/rnn.js';
import '../../src/backend/js/shape.js';
import '../../src/backend/js/softmax.js';
import '../../src/backend/js/unary.js';
import {
  HEADER_PATH,
  KINDS_HEADER_PATH,
  renderNativeContract,
  renderRecurrentKinds,
} from '../../scripts/gen-native-contract.js';
import { CONTRACT, KERNEL_NAMES, type KernelName } from '../../src/backend/contract.js';
import type { ArgSpec, ArrayArg } from '../../src/backend/contract-spec.js';
import { nativeBackend } from '../../src/backend/native/index.js';
import { kernelFor } from '../../src/backend/registry.js';
import { loadWasmSync } from '../../src/backend/wasm/load-node.js';

// The kernel contract (src/backend/contract.ts) against what implements it: the JS kernels, the
// generated C++ header, and the native addon's argument checks, all driven from the table.

describe('the kernel contract', () => {
  it('native/src/generated/contract.h is what scripts/gen-native-contract.ts writes (npm run gen:native)', () => {
    expect(readFileSync(HEADER_PATH, 'utf8')).toBe(renderNativeContract());
  });

  it('native/src/generated/recurrent_kinds.h is what scripts/gen-native-contract.ts writes from the kinds table', () => {
    expect(readFileSync(KINDS_HEADER_PATH, 'utf8')).toBe(renderRecurrentKinds());
  });

  it.each(KERNEL_NAMES)('the JS kernel %s takes exactly the arguments of its entry', (name) => {
    expect(kernelFor(name, 'js')?.length).toBe(CONTRACT[name].args.length);
  });
});

const { addon } = nativeBackend();
const NATIVE = KERNEL_NAMES.filter((name) => CONTRACT[name].native);

/** Values for the arguments a default cannot fit (broadcastable shapes, a permutation, …). */
const SAMPLES: Partial<Record<KernelName, Record<string, unknown>>> = {
  binary: { aShape: [2, 3], bShape: [3], outShape: [2, 3] },
  sumToShape: { srcShape: [2, 3], dstShape: [3] },
  permute: { shape: [2, 3], perm: [1, 0] },
  embeddingBackward: { paddingIdx: -1 },
  adamStep: { step: 1 },
};

const numel = (shape: number[]) => shape.reduce((p, d) => p * d, 1);

/** A length expression of the table, evaluated over the arguments built so far. */
function evaluate(expr: string, env: Record<string, unknown>): number {
  return Number(new Function('env', 'numel', `with (env) { return (${expr}); }`)(env, numel));
}

/** The elements an array argument needs: its length expression, or its matrix view's extent. */
function needed(a: ArrayArg, env: Record<string, unknown>): number {
  const m = a.matrix;
  if (!m) return a.len ? evaluate(a.len, env) : 0;
  if (m.when && !evaluate(m.when, env)) return 0;
  const [off, rows, cols, ld] = [m.offset, m.rows, m.cols, m.ld].map((e) => evaluate(e, env)) as number[];
  return rows === 0 || cols === 0 ? off! : off! + (rows! - 1) * ld! + cols!;
}

function scalar(name: KernelName, a: Exclude<ArgSpec, ArrayArg>): unknown {
  const sample = SAMPLES[name]?.[a.name];
  if (sample !== undefined) return sample;
  if (a.kind === 'int') return Math.max(2, a.min);
  if (a.kind === 'num') return 0.5;
  if (a.kind === 'flag') return false;
  if (a.kind === 'enum') return a.values[0];
  return [2, 2];
}

/** Fitting arguments for a kernel: scalars first, then arrays of exactly the length they need. */
function fittingArgs(name: KernelName): { args: unknown[]; env: Record<string, unknown> } {
  const specs = CONTRACT[name].args as readonly ArgSpec[];
  const env: Record<string, unknown> = {};
  for (const a of specs) if (!('role' in a)) env[a.name] = scalar(name, a);
  for (const [size, expr] of Object.entries(CONTRACT[name].sizes)) env[size] = evaluate(expr, env);
  // Arrays whose length depends on another array's come after it.
  const arrays = specs.filter((a): a is ArrayArg => 'role' in a);
  for (const pass of [false, true])
    for (const a of arrays) {
      if (a.len.includes('.length') !== pass) continue;
      const n = a.len || a.matrix ? needed(a, env) : 8;
      env[a.name] = a.kind === 'i32' ? new Int32Array(n).fill(a.max ? 1 : 0) : new Float32Array(n).fill(0.25);
    }
  return { args: specs.map((a) => env[a.name]), env };
}

type Call = (name: string, args: unknown[]) => unknown;

describe.skipIf(!addon)('the native addon', () => {
  it('exports every native kernel of the contract, and nothing else but its controls', () => {
    const exported = Object.keys(addon!).sort();
    expect(exported).toEqual(
      [...NATIVE, 'bind', 'freezeRecurrent', 'frozen', 'info', 'init', 'runBound', 'setIsa'].sort(),
    );
    expect(Object.keys(addon!.bind).sort()).toEqual([...NATIVE].sort());
    expect(Object.keys(addon!.frozen!).sort()).toEqual(['gruForward', 'lstmForward', 'rnnForward']);
  });
});

/** The checks of every array, type and per-sample length, on a backend's compiled kernels. */
function describeChecks(label: string, call: Call): void {
  describe(`${label} checks every argument the contract describes`, () => {
    it.each(NATIVE)(
      '%s: fitting arguments run; each array one element short throws a RangeError naming it',
      (name) => {
        const { args, env } = fittingArgs(name);
        expect(() => call(name, args)).not.toThrow();
        const specs = CONTRACT[name].args as readonly ArgSpec[];
        specs.forEach((a, i) => {
          if (!('role' in a) || !(a.len || a.matrix) || needed(a, env) === 0) return;
          const short = args.slice();
          short[i] = (args[i] as Float32Array).subarray(0, (args[i] as Float32Array).length - 1);
          expect(() => call(name, short), a.name).toThrow(RangeError);
          expect(() => call(name, short), a.name).toThrow(new RegExp(`^${name}: ${a.name} `));
        });
      },
    );

    it.each(NATIVE)('%s: a Float64Array for any typed array is a TypeError naming it', (name) => {
      const { args } = fittingArgs(name);
      (CONTRACT[name].args as readonly ArgSpec[]).forEach((a, i) => {
        if (!('role' in a)) return;
        const wrong = args.slice();
        wrong[i] = new Float64Array(4);
        expect(() => call(name, wrong), a.name).toThrow(TypeError);
        expect(() => call(name, wrong), a.name).toThrow(new RegExp(`^${name}: ${a.name} must be`));
      });
    });

    it('per-sample lengths past T are a RangeError naming the entry', () => {
      const { args } = fittingArgs('rnnForward');
      const i = CONTRACT.rnnForward.args.findIndex((a) => a.name === 'lengths');
      args[i] = Int32Array.of(1, 3);
      expect(() => call('rnnForward', args)).toThrow(/^rnnForward: lengths\[1\] must be in \[0, 2\], got 3$/);
    });
  });
}

if (addon)
  describeChecks('the native addon', (name, args) =>
    (addon as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!(...args),
  );
// Bound calls (src/backend/native/bound.ts) read and check their arguments in bind, and check them
// again at every run.
if (addon)
  describeChecks('the native addon through bind and runBound', (name, args) =>
    addon!.runBound(addon!.bind[name]!(...args)),
  );
// The WebAssembly backend runs the same checks in TypeScript, compiled from the table, before it
// copies anything into the module.
if (loadWasmSync() === '')
  describeChecks('the WebAssembly backend', (name, args) =>
    (kernelFor(name as KernelName, 'wasm') as (...a: unknown[]) => unknown)(...args),
  );
