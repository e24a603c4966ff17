import type { ArgSpec, ArrayArg, KernelSpec } from '../contract-spec.js';
import { compileExpr, type Expr, type ExprEnv } from './expr.js';

/*
 * Every argument check of a kernel call, compiled from its contract entry: what the native addon's
 * reader (native/src/napi_reader.h) and the generated checks (native/src/generated/contract.h) do,
 * with the same sentences and error classes, so a bad call is refused before any WebAssembly runs.
 */

/**
 * Checks a call's positional arguments; throws a TypeError or RangeError naming the argument, or
 * returns them by name (what the contract's expressions read).
 */
export type ArgCheck = (args: readonly unknown[]) => ExprEnv;

type ReadCheck = (v: unknown) => void;
type LengthCheck = (env: ExprEnv) => void;

const isF32 = (v: unknown) => v instanceof Float32Array;
const isI32 = (v: unknown) => v instanceof Int32Array;
const WHAT = {
  f32: 'a Float32Array',
  i32: 'an Int32Array',
  typed: 'a Float32Array or an Int32Array',
} as const;

/** The reader's check of one argument's type and value. */
function readCheck(a: ArgSpec, arg: (name: string) => string): ReadCheck {
  const p = arg(a.name);
  const number = (v: unknown): number => {
    if (typeof v !== 'number') throw new TypeError(`${p} must be a number`);
    return v;
  };
  switch (a.kind) {
    case 'flag':
      return (v) => {
        if (typeof v !== 'boolean') throw new TypeError(`${p} must be a boolean`);
      };
    case 'num':
      return number;
    case 'int':
      return (v) => {
        const d = number(v);
        if (!(d >= 0) || !Number.isInteger(d) || d > 2147483647)
          throw new RangeError(`${p} must be a non-negative integer, got ${d}`);
      };
    case 'enum':
      return (v) => {
        if (typeof v !== 'string') throw new TypeError(`${p} must be a string`);
        if (!a.values.includes(v))
          throw new RangeError(`${p} must be one of ${a.values.join(', ')}, got '${v}'`);
      };
    case 'dims':
      return (v) => {
        if (!Array.isArray(v)) throw new TypeError(`${p} must be an array of dimensions`);
        let count = 1;
        for (const d of v) {
          if (typeof d !== 'number' || !(d >= 0) || !Number.isInteger(d) || d > 2147483647)
            throw new RangeError(`${p} must hold non-negative integer dimensions`);
          count *= Math.max(d, 1);
          if (count > 2 ** 53) throw new RangeError(`${p} describes more than 2^53 elements`);
        }
      };
    case 'packed':
      throw new Error(`${p}: a packed operand never reaches WebAssembly`);
    default: {
      const ok = a.kind === 'f32' ? isF32 : a.kind === 'i32' ? isI32 : (v: unknown) => isF32(v) || isI32(v);
      return (v) => {
        if (ok(v) || (a.nullable && (v === null || v === undefined))) return;
        throw new TypeError(`${p} must be ${WHAT[a.kind]}`);
      };
    }
  }
}

const lengthOf = (v: unknown) => (v as ArrayLike<unknown> | null)?.length ?? 0;

/** The generated check of one array: its least length, per-element bounds or matrix view. */
function lengthCheck(a: ArrayArg, arg: (name: string) => string, x: (e: string) => Expr): LengthCheck | null {
  const p = arg(a.name);
  const need = (v: unknown, want: number) => {
    if (lengthOf(v) < want) throw new RangeError(`${p} needs at least ${want} elements, got ${lengthOf(v)}`);
  };
  if (a.max) {
    const [count, max] = [x(a.len), x(a.max)];
    return (env) => {
      const v = env[a.name] as Int32Array | null;
      if (!v) return;
      const n = count(env);
      need(v, n);
      const hi = max(env);
      for (let i = 0; i < n; i++)
        if (v[i]! < 0 || v[i]! > hi) throw new RangeError(`${p}[${i}] must be in [0, ${hi}], got ${v[i]}`);
    };
  }
  if (a.matrix) {
    const m = a.matrix;
    const [off, rows, cols, ld] = [m.offset, m.rows, m.cols, m.ld].map(x) as [Expr, Expr, Expr, Expr];
    const when = m.when ? x(m.when) : () => 1;
    return (env) => {
      if (when(env) === 0) return;
      const have = lengthOf(env[a.name]);
      const [o, r, c, l] = [off(env), rows(env), cols(env), ld(env)];
      if (r === 0 || c === 0) {
        if (o > have) throw new RangeError(`${p} offset ${o} is past the array's length ${have}`);
        return;
      }
      if (l < c) throw new RangeError(`${p} leading dimension must be at least ${c}, got ${l}`);
      const last = o + (r - 1) * l + c - 1;
      if (last >= have)
        throw new RangeError(
          `${p} needs ${last + 1} elements (${r}×${c}, ld ${l}, offset ${o}), the array has ${have}`,
        );
    };
  }
  if (!a.len) return null;
  const len = x(a.len);
  return (env) => {
    const v = env[a.name];
    if (v || !a.nullable) need(v, len(env));
  };
}

/** Compiles expressions over a kernel's arguments, its named sizes included. */
export function exprCompiler(spec: KernelSpec): (e: string) => Expr {
  const sizes: Record<string, Expr> = {};
  for (const [size, e] of Object.entries(spec.sizes)) sizes[size] = compileExpr(e, { ...sizes });
  return (e) => compileExpr(e, sizes);
}

/** The elements of an array a kernel reads or writes, or null when the contract leaves it open. */
export function arrayExtent(a: ArrayArg, x: (e: string) => Expr): Expr | null {
  const m = a.matrix;
  if (m) {
    const [off, rows, cols, ld] = [m.offset, m.rows, m.cols, m.ld].map(x) as [Expr, Expr, Expr, Expr];
    return (env) =>
      rows(env) === 0 || cols(env) === 0 ? off(env) : off(env) + (rows(env) - 1) * ld(env) + cols(env);
  }
  return a.len ? x(a.len) : null;
}

/** Compiles the checks of kernel `name` from its contract entry. */
export function compileChecks(name: string, spec: KernelSpec): ArgCheck {
  const arg = (n: string) => `${name}: ${n}`;
  const x = exprCompiler(spec);
  const names = spec.args.map((a) => a.name);
  const reads = spec.args.map((a) => readCheck(a, arg));
  const lengths: LengthCheck[] = [];
  for (const a of spec.args) {
    if (a.kind === 'int' && a.min > 0) {
      const min = a.min;
      lengths.push((env) => {
        const v = env[a.name] as number;
        if (v < min) throw new RangeError(`${arg(a.name)} must be at least ${min}, got ${v}`);
      });
    }
    if ('role' in a) {
      const check = lengthCheck(a, arg, x);
      if (check) lengths.push(check);
    }
  }
  const count = spec.args.length;
  return (args) => {
    if (args.length < count) throw new TypeError(`${name}: expected ${count} arguments, got ${args.length}`);
    const env: Record<string, unknown> = {};
    for (let i = 0; i < count; i++) {
      reads[i]!(args[i]);
      env[names[i]!] = args[i];
    }
    for (const check of lengths) check(env);
    return env;
  };
}
