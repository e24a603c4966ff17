import type { Shape } from '../tensor/shape.js';
import type { TypedArray } from '../tensor/tensor.js';

/*
 * The vocabulary of the kernel contract (src/backend/contract.ts): argument kinds, the builders the
 * table is written with, and the TypeScript types derived from it.
 *
 * A kernel's arguments are positional. Each has a kind (what a backend receives), a name, and for
 * arrays a role (read, written, or read and updated) and the length it must have at least: an
 * expression over the kernel's integer arguments and named sizes, e.g. 'T * B * E'. Expressions use
 * + − * / and parentheses, comparisons, && ||, `cond ? a : b`, `name.length` of another array
 * argument and `numel(shapeArg)`: the subset TypeScript and C++ read alike, so the native generator
 * (scripts/gen-native-contract.ts) emits them verbatim into the C++ checks, evaluated in double.
 */

/** How a kernel uses an array: reads it, overwrites it, or reads and updates it (+= or in place). */
export type Role = 'in' | 'out' | 'inout';

/** A non-negative integer below 2^31 (a size, offset, stride or index), at least `min`. */
export interface IntArg {
  readonly kind: 'int';
  readonly name: string;
  readonly min: number;
}
/** Any number (a learning rate, a fill value, a padding index that may be −1). */
export interface NumArg {
  readonly kind: 'num';
  readonly name: string;
}
export interface FlagArg {
  readonly kind: 'flag';
  readonly name: string;
}
/** One of a fixed list of names; native receives its index. */
export interface EnumArg {
  readonly kind: 'enum';
  readonly name: string;
  readonly values: readonly string[];
}
/** Dimensions of a shape (or a permutation): non-negative integers. */
export interface DimsArg {
  readonly kind: 'dims';
  readonly name: string;
}
/**
 * A rows×cols matrix with leading dimension `ld` starting at element `offset` of its array, checked
 * only when `when` holds (GEMM operands of an empty product may be anything).
 */
export interface MatrixView {
  readonly offset: string;
  readonly rows: string;
  readonly cols: string;
  readonly ld: string;
  readonly when: string;
}
/** A Float32Array ('f32'), Int32Array ('i32') or either ('typed'), possibly null. */
export interface ArrayArg {
  readonly kind: 'f32' | 'i32' | 'typed';
  readonly name: string;
  readonly role: Role;
  readonly nullable: boolean;
  /** Least length, or '' for any. */
  readonly len: string;
  /** Every element must lie in [0, max] (i32 only); '' for no check. */
  readonly max: string;
  readonly matrix: MatrixView | null;
}
/** A right-hand side packed by a backend's own gemmPackB (opaque, never marshalled). */
export interface PackedArg {
  readonly kind: 'packed';
  readonly name: string;
}

export type ArgSpec = IntArg | NumArg | FlagArg | EnumArg | DimsArg | ArrayArg | PackedArg;

export interface KernelSpec {
  /** What the kernel computes; shapes use the letters of DESIGN.md. */
  readonly doc: string;
  /** Named sizes the length expressions use, e.g. { G: '4 * H' }, in order. */
  readonly sizes: Readonly<Record<string, string>>;
  readonly args: readonly ArgSpec[];
  /** 'packed': returns a PackedB (gemmPackB); otherwise nothing. */
  readonly returns: 'void' | 'packed';
  /** The native addon implements it (scripts/gen-native-contract.ts emits its C++ binding). */
  readonly native: boolean;
}

/**
 * A right-hand matrix op(B) (k×n) packed once for many products with different left-hand sides
 * (a recurrent weight reused at every time step). Opaque: only the backend that packed it reads it.
 */
export interface PackedB {
  readonly k: number;
  readonly n: number;
}

// ---- builders ----

export const int = <const N extends string>(name: N, min = 0) => ({ kind: 'int', name, min }) as const;
export const num = <const N extends string>(name: N) => ({ kind: 'num', name }) as const;
export const flag = <const N extends string>(name: N) => ({ kind: 'flag', name }) as const;
export const dims = <const N extends string>(name: N) => ({ kind: 'dims', name }) as const;
export const packed = <const N extends string>(name: N) => ({ kind: 'packed', name }) as const;
export const oneOf = <const N extends string, const V extends readonly string[]>(name: N, values: V) =>
  ({ kind: 'enum', name, values }) as const;

function array<const K extends ArrayArg['kind'], const N extends string, const R extends Role>(
  kind: K,
  name: N,
  len: string,
  role: R,
) {
  return { kind, name, role, nullable: false, len, max: '', matrix: null } as const;
}

/** A Float32Array of at least `len` elements; `role` says whether the kernel writes it. */
export const f32 = <const N extends string, const R extends Role = 'in'>(name: N, len = '', role?: R) =>
  array('f32', name, len, (role ?? 'in') as R);
/** An Int32Array of at least `len` elements. */
export const i32 = <const N extends string, const R extends Role = 'in'>(name: N, len = '', role?: R) =>
  array('i32', name, len, (role ?? 'in') as R);
/** A Float32Array or an Int32Array of at least `len` elements. */
export const typed = <const N extends string, const R extends Role = 'in'>(name: N, len = '', role?: R) =>
  array('typed', name, len, (role ?? 'in') as R);
/** Per-sample lengths: null, or `count` integers each in [0, max]. */
export const lengths = <const N extends string>(name: N, count: string, max: string) =>
  nullable({ ...array('i32', name, count, 'in'), max });
/** An f32 argument read as a matrix view (see {@link MatrixView}). */
export const matrix = <const A extends ArrayArg>(a: A, view: MatrixView) =>
  ({ ...a, matrix: view }) as Omit<A, 'matrix'> & { readonly matrix: MatrixView };
/** The same argument, which may also be null (an absent bias, a gradient nobody needs). */
export const nullable = <const A extends ArrayArg>(a: A) =>
  ({ ...a, nullable: true }) as Omit<A, 'nullable'> & { readonly nullable: true };

/** A kernel entry; `sizes` and `native` default to none and false. */
export function kernel<const A extends readonly ArgSpec[], const R extends 'void' | 'packed' = 'void'>(spec: {
  doc: string;
  args: A;
  sizes?: Record<string, string>;
  returns?: R;
  native?: boolean;
}) {
  return {
    doc: spec.doc,
    args: spec.args,
    sizes: spec.sizes ?? {},
    returns: (spec.returns ?? 'void') as R,
    native: spec.native ?? false,
  };
}

// ---- derived TypeScript types ----

type ArrayType<A> = A extends { kind: 'f32' }
  ? Float32Array
  : A extends { kind: 'i32' }
    ? Int32Array
    : TypedArray;

/** The TypeScript type a backend receives for one argument. */
export type TsType<A> = A extends { kind: 'int' | 'num' }
  ? number
  : A extends { kind: 'flag' }
    ? boolean
    : A extends { kind: 'enum'; values: readonly (infer V)[] }
      ? V
      : A extends { kind: 'dims' }
        ? Shape
        : A extends { kind: 'packed' }
          ? PackedB
          : A extends { nullable: true }
            ? ArrayType<A> | null
            : ArrayType<A>;

/** The positional argument tuple of a kernel's argument specs. */
export type ArgTuple<A extends readonly unknown[]> = { -readonly [I in keyof A]: TsType<A[I]> };

/** The function type of a kernel spec. */
export type KernelFn<S extends { args: readonly unknown[]; returns: string }> = (
  ...args: ArgTuple<S['args']>
) => S['returns'] extends 'packed' ? PackedB : void;
