import { describe, expect, it } from 'vitest';
import { CONTRACT, KERNEL_NAMES, type KernelName } from '../../src/backend/contract.js';
import type { ArgSpec, ArrayArg } from '../../src/backend/contract-spec.js';
import { nativeBackend } from '../../src/backend/native/index.js';
import { kernelFor } from '../../src/backend/registry.js';
import { compileExpr, type Expr } from '../../src/backend/wasm/expr.js';
import { loadWasmSync } from '../../src/backend/wasm/load-node.js';
import { Generator } from '../../src/tensor/random.js';

// A short fuzz of the kernel boundary: random calls of every native kernel, mostly near the
// lengths the contract asks for, some one short, some with a wrong type, a null, an index or a
// dimension out of range. The WebAssembly backend must do what the native addon does with each:
// throw the same error class naming the same argument, or write the same values. Outputs start
// zeroed, as the ops allocate them: where a kernel writes nothing (a recurrent step past a
// sample's length) the WebAssembly backend returns 0 and the addon leaves what was there.

const NATIVE = KERNEL_NAMES.filter((name) => CONTRACT[name].native);
const CASES_PER_KERNEL = 400;
/** Each kernel's own stream of cases, from its name: a kernel added to the contract changes no other's. */
const seedOf = (name: string) => [...name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 2 ** 31, 7);
const ready = loadWasmSync() === '' && nativeBackend().addon !== null;

type Env = Record<string, unknown>;

function scalar(a: Exclude<ArgSpec, ArrayArg>, g: Generator, env: Env): unknown {
  const pick = (n: number) => Math.floor(g.uniform(0, n));
  const shape = env.shape as number[] | undefined;
  // A permutation of the shape's axes, mostly (permute).
  if (a.name === 'perm' && shape && pick(4) > 0)
    return shape.map((_, i) => i).sort(() => (pick(2) === 0 ? -1 : 1));
  switch (a.kind) {
    case 'int':
      return pick(10) === 0 ? -1 : a.min + pick(5);
    case 'num':
      return [-1, 0, 0.5, 1, 2, 0.001][pick(6)];
    case 'flag':
      return pick(2) === 1;
    case 'enum':
      return pick(12) === 0 ? 'nope' : a.values[pick(a.values.length)];
    case 'dims':
      return Array.from({ length: 1 + pick(3) }, () => 1 + pick(3));
    default:
      return null;
  }
}

/** The elements an array needs under `env`: its length expression or matrix extent. */
function needed(a: ArrayArg, env: Env, x: (e: string) => Expr): number {
  const m = a.matrix;
  if (!m) return a.len ? Math.max(0, x(a.len)(env)) : 6;
  if (m.when && !x(m.when)(env)) return 4;
  const [off, rows, cols, ld] = [m.offset, m.rows, m.cols, m.ld].map((e) => x(e)(env)) as number[];
  return rows === 0 || cols === 0 ? off! : off! + (rows! - 1) * ld! + cols!;
}

function array(a: ArrayArg, n: number, g: Generator, env: Env): unknown {
  const roll = Math.floor(g.uniform(0, 20));
  if (a.nullable && roll === 0) return null;
  if (roll === 1) return new Float64Array(3);
  const len = Math.max(0, Math.min(n + (roll === 2 ? -1 : roll === 3 ? 3 : 0), 4096));
  if (a.kind === 'i32') {
    const hi = a.max ? Number(env.T ?? 2) + 1 : 4;
    return Int32Array.from({ length: len }, () => Math.floor(g.uniform(0, hi + 1)));
  }
  if (a.role === 'out') return new Float32Array(len);
  return Float32Array.from({ length: len }, () => g.uniform(-2, 2));
}

/** One random call of `name`: scalars first, then arrays sized from them. */
function randomArgs(name: KernelName, g: Generator): unknown[] {
  const spec = CONTRACT[name];
  const specs = spec.args as readonly ArgSpec[];
  const sizes: Record<string, Expr> = {};
  for (const [s, e] of Object.entries(spec.sizes)) sizes[s] = compileExpr(e, { ...sizes });
  const x = (e: string) => compileExpr(e, sizes);
  const env: Env = {};
  for (const a of specs) if (!('role' in a)) env[a.name] = scalar(a, g, env);
  const arrays = specs.filter((a): a is ArrayArg => 'role' in a);
  for (const pass of [false, true])
    for (const a of arrays)
      if (a.len.includes('.length') === pass) env[a.name] = array(a, needed(a, env, x), g, env);
  return specs.map((a) => env[a.name]);
}

const copy = (args: unknown[]) => args.map((v) => (ArrayBuffer.isView(v) ? (v as Float32Array).slice() : v));

function outcome(name: KernelName, backend: 'wasm' | 'native', args: unknown[]) {
  const fn = kernelFor(name, backend) as (...a: unknown[]) => void;
  try {
    fn(...args);
    return { error: null, args };
  } catch (e) {
    const err = e as Error;
    return { error: `${err.constructor.name}: ${err.message.split(' ').slice(0, 2).join(' ')}`, args };
  }
}

describe.skipIf(!ready)('fuzzing the kernel boundary against the native addon', () => {
  it.each(NATIVE)('%s', (name) => {
    const g = new Generator(seedOf(name));
    let ran = 0;
    for (let i = 0; i < CASES_PER_KERNEL; i++) {
      const args = randomArgs(name, g);
      const w = outcome(name, 'wasm', copy(args));
      const n = outcome(name, 'native', copy(args));
      expect(w.error, `case ${i}`).toBe(n.error);
      if (n.error) continue;
      ran++;
      w.args.forEach((v, j) => {
        if (!ArrayBuffer.isView(v)) return;
        const [a, b] = [v as Float32Array, n.args[j] as Float32Array];
        for (let e = 0; e < a.length; e++)
          if (!Object.is(a[e], b[e]) && !(Math.abs(a[e]! - b[e]!) <= 1e-4 * (1 + Math.abs(b[e]!))))
            expect.fail(`${name} case ${i}: argument ${j}[${e}] is ${a[e]} on wasm, ${b[e]} on native`);
      });
    }
    // Enough calls pass every check to compare values, not only errors.
    expect(ran).toBeGreaterThan(0);
  });
});
