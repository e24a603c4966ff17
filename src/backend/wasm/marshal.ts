import type { ArgSpec, KernelSpec } from '../contract-spec.js';
import { arrayExtent, compileChecks, exprCompiler } from './check.js';
import type { ExprEnv } from './expr.js';
import type { WasmInstance } from './instance.js';

/*
 * A kernel of the contract as a JS function over a WasmInstance. Each call checks its arguments
 * (check.ts), then lays them out in the instance's arena and calls the export:
 *
 *   slots (float64, read by native/src/wasm/linear_reader.h, in the contract's order):
 *     int, num, flag → the value; enum → its index; dims → the count, then each dimension;
 *     array → byte offset, length (−1: null), element type (0 f32, 1 i32)
 *   then every array, 16-byte aligned: copied in when the kernel reads it (in, inout); for an
 *   output (out), the elements up to the length the contract gives it are zeroed instead, since
 *   reading a freshly allocated output costs a page fault per 4 KiB for nothing. After the call,
 *   inout arrays are copied back whole and outputs up to that length: elements a kernel leaves
 *   unwritten there (a recurrent step past a sample's length) come back as 0, those past it as
 *   they were.
 *
 * Copying was chosen over keeping tensors in linear memory by measurement (README, "WebAssembly").
 * An array passed twice in one call is laid out once, so in-place calls behave as on native.
 * Where a kernel overwrites part of an array without reading it (OVERWRITTEN), that part is
 * neither copied in nor zeroed.
 */

type Kernel = (...args: unknown[]) => void;
type Arr = Float32Array | Int32Array;

const isArray = (a: ArgSpec) => 'role' in a;
const align16 = (n: number) => (n + 15) & ~15;

/** Slot codes of one argument: 0 scalar, 1 enum, 2 dims, 3 array. */
function slotKind(a: ArgSpec): number {
  if (a.kind === 'enum') return 1;
  if (a.kind === 'dims') return 2;
  return isArray(a) ? 3 : 0;
}

/**
 * Arrays a kernel overwrites in part before reading, by kernel and argument: the elements
 * [from, to) it writes, or null when it reads them all. An inout array is not copied in there, an
 * output not zeroed. gemm without accumulate writes the whole m×n block of C; with rows next to
 * each other (ldc = n) that block is one range, which a Linear layer's output (as large as the
 * input projection of a sequence) never needs copied in. permute without accumulate and
 * embeddingForward write every element of their outputs (a batch-first sequence each). The
 * recurrent forward kernels start hN (and cN) from h0 (c0), and write every step of out and of
 * what they save for backward unless lengths end some samples early (an LSTM given no gates to
 * save writes no cells).
 */
/** An output written whole, up to the length the contract gives it. */
const WHOLE = (): [number, number] => [0, Number.POSITIVE_INFINITY];
/** A sequence output: written whole where every sample runs every step (no lengths). */
const WHOLE_WITHOUT_LENGTHS = (e: ExprEnv): [number, number] | null => (e.lengths === null ? WHOLE() : null);
/** An LSTM's cells: with no gates to save (an inference), it keeps the running cell alone (saved_scratch.h). */
const CELLS_WHEN_SAVING = (e: ExprEnv): [number, number] | null =>
  e.gates === null ? null : WHOLE_WITHOUT_LENGTHS(e);
const RECURRENT_FORWARD = {
  out: WHOLE_WITHOUT_LENGTHS,
  hN: WHOLE,
  cN: WHOLE,
  gates: WHOLE_WITHOUT_LENGTHS,
  cells: CELLS_WHEN_SAVING,
  hidden: WHOLE_WITHOUT_LENGTHS,
};

const OVERWRITTEN: Readonly<Record<string, Record<string, (env: ExprEnv) => [number, number] | null>>> = {
  gemm: {
    c: (e) => {
      const [m, n, off] = [e.m as number, e.n as number, e.cOff as number];
      return e.accumulate === false && e.ldc === n && m > 0 && n > 0 ? [off, off + m * n] : null;
    },
  },
  permute: {
    out: (e) => (e.accumulate === false ? [0, (e.shape as number[]).reduce((p, d) => p * d, 1)] : null),
  },
  embeddingForward: {
    out: (e) => [0, (e.indices as Int32Array).length * (e.e as number)],
  },
  lstmForward: RECURRENT_FORWARD,
  gruForward: RECURRENT_FORWARD,
  rnnForward: RECURRENT_FORWARD,
};

/** What a kernel's calls share: its checks, and per argument its slot kind and how it is copied. */
interface KernelPlan {
  check: ReturnType<typeof compileChecks>;
  kinds: number[];
  enums: ReadonlyArray<readonly string[]>;
  written: boolean[];
  // For each output: how many elements the kernel writes (null: not an output, or open, when it is
  // copied in like an inout array).
  outExtent: Array<ReturnType<typeof arrayExtent>>;
  overwritten: Array<((env: ExprEnv) => [number, number] | null) | null>;
}

/** Per call: each array's byte offset (0 for null) and how many of its elements are copied back. */
interface CallState {
  offsets: number[];
  back: number[];
}

function kernelPlan(name: string, spec: KernelSpec): KernelPlan {
  const x = exprCompiler(spec);
  return {
    check: compileChecks(name, spec),
    kinds: spec.args.map(slotKind),
    enums: spec.args.map((a) => (a.kind === 'enum' ? a.values : [])),
    written: spec.args.map((a) => 'role' in a && a.role !== 'in'),
    outExtent: spec.args.map((a) => ('role' in a && a.role === 'out' ? arrayExtent(a, x) : null)),
    overwritten: spec.args.map((a) => OVERWRITTEN[name]?.[a.name] ?? null),
  };
}

/** Bytes of the arena one call needs: its slots, then each distinct array 16-byte aligned. */
function arenaBytes(kinds: readonly number[], args: readonly unknown[]): number {
  let bytes = 0;
  for (let i = 0; i < kinds.length; i++) {
    const v = kinds[i] === 3 ? (args[i] as Arr | null) : null;
    if (v && args.indexOf(v) === i) bytes += align16(v.byteLength);
  }
  return align16(arenaSlots(kinds, args) * 8) + bytes;
}

/** How many float64 slots one call's arguments take. */
function arenaSlots(kinds: readonly number[], args: readonly unknown[]): number {
  let slots = 0;
  for (let i = 0; i < kinds.length; i++) {
    if (kinds[i] === 2) slots += 1 + (args[i] as number[]).length;
    else slots += kinds[i] === 3 ? 3 : 1;
  }
  return slots;
}

export function wasmKernel(instance: WasmInstance, name: string, spec: KernelSpec): Kernel {
  const plan = kernelPlan(name, spec);
  const count = plan.kinds.length;
  const call: CallState = {
    offsets: new Array<number>(count).fill(0),
    back: new Array<number>(count).fill(0),
  };

  return function wasmCall(...args: unknown[]): void {
    const env = plan.check(args);
    const base = instance.arenaFor(arenaBytes(plan.kinds, args));
    writeArguments(instance, plan, args, env, base, call);
    instance.run(name, base);
    copyBack(instance, args, plan.written, call);
  };
}

/** Writes every argument's slots from `base`, and the arrays after them (see the head of this file). */
function writeArguments(
  instance: WasmInstance,
  plan: KernelPlan,
  args: readonly unknown[],
  env: ExprEnv,
  base: number,
  call: CallState,
): void {
  const { f64 } = instance.views();
  let s = base >> 3;
  let at = base + align16(arenaSlots(plan.kinds, args) * 8);
  for (let i = 0; i < plan.kinds.length; i++) {
    const v = args[i];
    switch (plan.kinds[i]) {
      case 0:
        f64[s++] = typeof v === 'boolean' ? Number(v) : (v as number);
        break;
      case 1:
        f64[s++] = plan.enums[i]!.indexOf(v as string);
        break;
      case 2:
        f64[s++] = (v as number[]).length;
        for (const d of v as number[]) f64[s++] = d;
        break;
      default: {
        const a = v as Arr | null;
        if (a) at = placeArray(instance, plan, args, env, i, at, call);
        f64[s++] = a ? call.offsets[i]! : 0;
        f64[s++] = a ? a.length : -1;
        f64[s++] = a instanceof Int32Array ? 1 : 0;
      }
    }
  }
}

/**
 * Lays out array argument i at byte `at` (a repeat shares its first place): copied in, or for an
 * output zeroed where the kernel does not overwrite it. Returns where the next array goes.
 */
function placeArray(
  instance: WasmInstance,
  plan: KernelPlan,
  args: readonly unknown[],
  env: ExprEnv,
  i: number,
  at: number,
  call: CallState,
): number {
  const a = args[i] as Arr;
  const first = args.indexOf(a);
  call.back[i] = a.length;
  if (first !== i) {
    call.offsets[i] = call.offsets[first]!;
    return at;
  }
  const { f32, i32 } = instance.views();
  const heap = a instanceof Int32Array ? i32 : f32;
  const last = args.lastIndexOf(a) === i;
  call.offsets[i] = at;
  const extent = plan.outExtent[i];
  if (extent && last) {
    call.back[i] = Math.min(a.length, extent(env));
    if (!plan.overwritten[i]?.(env)) heap.fill(0, at >> 2, (at >> 2) + call.back[i]!);
  } else copyIn(heap, at >> 2, a, last ? plan.overwritten[i]?.(env) : null);
  return at + align16(a.byteLength);
}

/** Copies `a` into the heap at element `to`, but for the elements [skip[0], skip[1]) the kernel overwrites. */
function copyIn(heap: Arr, to: number, a: Arr, skip: [number, number] | null | undefined): void {
  if (!skip) {
    heap.set(a, to);
    return;
  }
  heap.set(a.subarray(0, skip[0]), to);
  heap.set(a.subarray(skip[1]), to + skip[1]);
}

/** Copies every written array back from the arena (memory may have grown during the call). */
function copyBack(
  instance: WasmInstance,
  args: readonly unknown[],
  written: readonly boolean[],
  call: CallState,
): void {
  const { f32, i32 } = instance.views();
  for (let i = 0; i < written.length; i++) {
    const a = written[i] ? (args[i] as Arr | null) : null;
    if (!a) continue;
    const from = call.offsets[i]! >> 2;
    if (a instanceof Int32Array) a.set(i32.subarray(from, from + call.back[i]!));
    else a.set(f32.subarray(from, from + call.back[i]!));
  }
}
