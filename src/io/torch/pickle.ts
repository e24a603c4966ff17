/**
 * A restricted pickle interpreter: it builds data and never executes or imports anything.
 *
 * It understands the opcodes a torch.save state_dict uses (protocol 2, plus the protocol 3–4
 * forms of the same values): None, booleans, ints (bigint past 2^53), floats, strings, bytes,
 * tuples, lists, dicts, the memo, marks, and persistent ids. What a GLOBAL names, what REDUCE
 * calls and what BUILD applies are decided by the caller's {@link PickleHooks}, which refuse
 * everything outside their allowlist. Opcodes that instantiate classes (NEWOBJ, INST, OBJ,
 * EXT*) and those of sets and out-of-band buffers are refused. Every read is bounds-checked and
 * the stack and memo are capped, so a hostile pickle ends in a TorchFileError, never a crash
 * or a hang: each opcode consumes at least one byte.
 */
import type { TorchFileError, UnsafePickleError } from './errors.js';

/** A tuple: a frozen array, so APPEND and SETITEM cannot change it. */
export type PickleTuple = readonly PickleValue[];
/** A dict or collections.OrderedDict, in insertion order. */
export type PickleDict = Map<PickleValue, PickleValue>;
/** A value the hooks return (a storage, a tensor, an allowed callable); opaque to the interpreter. */
export interface PickleObject {
  readonly pickleObject: string;
}

export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | PickleTuple
  | PickleDict
  | PickleObject;

/** The caller's allowlist. Each hook throws (an UnsafePickleError) to refuse. */
export interface PickleHooks {
  /** The value a GLOBAL (or STACK_GLOBAL) `module.name` stands for. */
  global(module: string, name: string): PickleValue;
  /** REDUCE: what `callable(*args)` builds. */
  call(callable: PickleValue, args: PickleTuple): PickleValue;
  /** BUILD: applies `state` to `target` (returns nothing; the target stays on the stack). */
  build(target: PickleValue, state: PickleValue): void;
  /** BINPERSID: the object a persistent id stands for (a storage in torch files). */
  persistentLoad(pid: PickleValue): PickleValue;
}

export interface PickleLimits {
  /** Values on the stack, all marks together. Default 1,000,000. */
  maxStack?: number;
  /** Memo entries. Default 1,000,000. */
  maxMemo?: number;
  /** Bytes of one LONG1/LONG4 integer. Default 256. */
  maxIntBytes?: number;
}

/**
 * How the interpreter reports a malformed pickle, and a refused one: `refuse` gets what was
 * refused ("refusing to call os.system") and completes the sentence.
 */
export interface PickleFailures {
  fail(message: string): TorchFileError;
  refuse(action: string): UnsafePickleError;
}

export interface UnpickleResult {
  value: PickleValue;
  /** The offset just past the STOP opcode (the legacy format holds several pickles in a row). */
  end: number;
}

/** Opcode bytes by name (pickletools' names). */
const OPCODES = {
  ADDITEMS: 0x90,
  APPEND: 0x61,
  APPENDS: 0x65,
  BINBYTES: 0x42,
  BINBYTES8: 0x8e,
  BINFLOAT: 0x47,
  BINGET: 0x68,
  BININT: 0x4a,
  BININT1: 0x4b,
  BININT2: 0x4d,
  BINPERSID: 0x51,
  BINPUT: 0x71,
  BINSTRING: 0x54,
  BINUNICODE: 0x58,
  BINUNICODE8: 0x8d,
  BUILD: 0x62,
  BYTEARRAY8: 0x96,
  DICT: 0x64,
  DUP: 0x32,
  EMPTY_DICT: 0x7d,
  EMPTY_LIST: 0x5d,
  EMPTY_SET: 0x8f,
  EMPTY_TUPLE: 0x29,
  EXT1: 0x82,
  EXT2: 0x83,
  EXT4: 0x84,
  FRAME: 0x95,
  FROZENSET: 0x91,
  GLOBAL: 0x63,
  INST: 0x69,
  LIST: 0x6c,
  LONG1: 0x8a,
  LONG4: 0x8b,
  LONG_BINGET: 0x6a,
  LONG_BINPUT: 0x72,
  MARK: 0x28,
  MEMOIZE: 0x94,
  NEWFALSE: 0x89,
  NEWOBJ: 0x81,
  NEWOBJ_EX: 0x92,
  NEWTRUE: 0x88,
  NEXT_BUFFER: 0x97,
  NONE: 0x4e,
  OBJ: 0x6f,
  PERSID: 0x50,
  POP: 0x30,
  POP_MARK: 0x31,
  PROTO: 0x80,
  READONLY_BUFFER: 0x98,
  REDUCE: 0x52,
  SETITEM: 0x73,
  SETITEMS: 0x75,
  SHORT_BINBYTES: 0x43,
  SHORT_BINSTRING: 0x55,
  SHORT_BINUNICODE: 0x8c,
  STACK_GLOBAL: 0x93,
  STOP: 0x2e,
  TUPLE: 0x74,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
} as const;
type Opcode = keyof typeof OPCODES;
const NAME_OF = new Map<number, Opcode>(Object.entries(OPCODES).map(([n, b]) => [b, n as Opcode]));

/** Opcodes that create instances of classes (refused as unsafe). */
const INSTANTIATING = new Set<Opcode>(['NEWOBJ', 'NEWOBJ_EX', 'INST', 'OBJ', 'EXT1', 'EXT2', 'EXT4']);

class Machine {
  stack: PickleValue[] = [];
  marks: number[] = [];
  memo = new Map<number, PickleValue>();
  pos: number;
  done = false;
  private readonly view: DataView;
  private readonly maxStack: number;
  private readonly maxMemo: number;
  readonly maxIntBytes: number;

  constructor(
    readonly bytes: Uint8Array,
    start: number,
    readonly hooks: PickleHooks,
    readonly fail: (m: string) => TorchFileError,
    limits: PickleLimits,
  ) {
    this.pos = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.maxStack = limits.maxStack ?? 1_000_000;
    this.maxMemo = limits.maxMemo ?? 1_000_000;
    this.maxIntBytes = limits.maxIntBytes ?? 256;
  }

  take(n: number, what: string): Uint8Array {
    if (n > this.bytes.length - this.pos) {
      throw this.fail(`the pickle ends inside ${what} at byte ${this.pos} (${n} bytes needed)`);
    }
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  u8(what: string): number {
    return this.take(1, what)[0]!;
  }

  u16(what: string): number {
    const b = this.take(2, what);
    return b[0]! | (b[1]! << 8);
  }

  u32(what: string): number {
    this.take(4, what);
    return this.view.getUint32(this.pos - 4, true);
  }

  i32(what: string): number {
    this.take(4, what);
    return this.view.getInt32(this.pos - 4, true);
  }

  u64(what: string): number {
    this.take(8, what);
    const v = this.view.getBigUint64(this.pos - 8, true);
    if (v > BigInt(this.bytes.length)) throw this.fail(`${what} of ${v} bytes exceeds the file`);
    return Number(v);
  }

  f64(what: string): number {
    this.take(8, what);
    return this.view.getFloat64(this.pos - 8, false);
  }

  line(what: string): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0 || end - this.pos > 1000) throw this.fail(`${what} at byte ${this.pos} has no end of line`);
    const text = utf8(this.take(end - this.pos, what), this.fail, what);
    this.pos++;
    return text;
  }

  push(v: PickleValue): void {
    if (this.stack.length >= this.maxStack) {
      throw this.fail(`the pickle stack exceeds ${this.maxStack} values`);
    }
    this.stack.push(v);
  }

  pop(what: string): PickleValue {
    const floor = this.marks.length ? this.marks[this.marks.length - 1]! : 0;
    if (this.stack.length <= floor) throw this.fail(`${what} at byte ${this.pos - 1} finds the stack empty`);
    return this.stack.pop()!;
  }

  top(what: string): PickleValue {
    const v = this.pop(what);
    this.stack.push(v);
    return v;
  }

  /** The values pushed since the last MARK, which is removed. */
  popMark(what: string): PickleValue[] {
    const at = this.marks.pop();
    if (at === undefined) throw this.fail(`${what} at byte ${this.pos - 1} has no MARK`);
    return this.stack.splice(at);
  }

  mark(): void {
    if (this.marks.length >= this.maxStack)
      throw this.fail(`the pickle opens more than ${this.maxStack} MARKs`);
    this.marks.push(this.stack.length);
  }

  put(index: number): void {
    if (!this.memo.has(index) && this.memo.size >= this.maxMemo) {
      throw this.fail(`the pickle memo exceeds ${this.maxMemo} entries`);
    }
    this.memo.set(index, this.top('PUT'));
  }

  get(index: number): void {
    if (!this.memo.has(index)) throw this.fail(`memo entry ${index} is read before it is written`);
    this.push(this.memo.get(index)!);
  }
}

function utf8(bytes: Uint8Array, fail: (m: string) => TorchFileError, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw fail(`${what} is not valid UTF-8`);
  }
}

// Array.isArray does not narrow readonly arrays (tuples) in TypeScript.
const isArrayValue = (v: PickleValue): v is PickleTuple => Array.isArray(v);
const isList = (v: PickleValue): v is PickleValue[] => Array.isArray(v) && !Object.isFrozen(v);
const tuple = (items: PickleValue[]): PickleTuple => Object.freeze(items);

function appendTo(m: Machine, items: PickleValue[], what: string): void {
  const list = m.pop(what);
  if (!isList(list)) throw m.fail(`${what} at byte ${m.pos - 1} appends to ${kind(list)}, not a list`);
  for (const x of items) list.push(x);
  m.push(list);
}

function setItems(m: Machine, items: PickleValue[], what: string): void {
  const dict = m.pop(what);
  if (!(dict instanceof Map))
    throw m.fail(`${what} at byte ${m.pos - 1} sets items on ${kind(dict)}, not a dict`);
  if (items.length % 2) throw m.fail(`${what} at byte ${m.pos - 1} has a key without a value`);
  for (let i = 0; i < items.length; i += 2) dict.set(items[i]!, items[i + 1]!);
  m.push(dict);
}

/** A little-endian two's-complement integer: a number when safe, else a bigint. */
function longValue(m: Machine, n: number): number | bigint {
  if (n > m.maxIntBytes) throw m.fail(`an integer of ${n} bytes exceeds the limit of ${m.maxIntBytes}`);
  const b = m.take(n, 'LONG');
  if (n === 0) return 0;
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  if (b[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function str(m: Machine, n: number, what: string): void {
  m.push(utf8(m.take(n, what), m.fail, what));
}

/** The handler of each opcode the interpreter runs. */
const OPS: Partial<Record<Opcode, (m: Machine) => void>> = {
  PROTO: (m) => {
    const p = m.u8('PROTO');
    if (p > 5) throw m.fail(`pickle protocol ${p} is newer than any Python writes`);
  },
  FRAME: (m) => void m.u64('FRAME'),
  STOP: (m) => void (m.done = true),
  MARK: (m) => m.mark(),
  EMPTY_TUPLE: (m) => m.push(tuple([])),
  EMPTY_LIST: (m) => m.push([]),
  EMPTY_DICT: (m) => m.push(new Map()),
  TUPLE: (m) => m.push(tuple(m.popMark('TUPLE'))),
  TUPLE1: (m) => m.push(tuple([m.pop('TUPLE1')])),
  TUPLE2: (m) => {
    const b = m.pop('TUPLE2');
    m.push(tuple([m.pop('TUPLE2'), b]));
  },
  TUPLE3: (m) => {
    const c = m.pop('TUPLE3');
    const b = m.pop('TUPLE3');
    m.push(tuple([m.pop('TUPLE3'), b, c]));
  },
  LIST: (m) => m.push(m.popMark('LIST')),
  DICT: (m) => {
    const items = m.popMark('DICT');
    m.push(new Map());
    setItems(m, items, 'DICT');
  },
  APPEND: (m) => appendTo(m, [m.pop('APPEND')], 'APPEND'),
  APPENDS: (m) => appendTo(m, m.popMark('APPENDS'), 'APPENDS'),
  SETITEM: (m) => {
    const v = m.pop('SETITEM');
    setItems(m, [m.pop('SETITEM'), v], 'SETITEM');
  },
  SETITEMS: (m) => setItems(m, m.popMark('SETITEMS'), 'SETITEMS'),
  BININT: (m) => m.push(m.i32('BININT')),
  BININT1: (m) => m.push(m.u8('BININT1')),
  BININT2: (m) => m.push(m.u16('BININT2')),
  LONG1: (m) => m.push(longValue(m, m.u8('LONG1'))),
  LONG4: (m) => m.push(longValue(m, m.u32('LONG4'))),
  BINFLOAT: (m) => m.push(m.f64('BINFLOAT')),
  BINUNICODE: (m) => str(m, m.u32('BINUNICODE'), 'BINUNICODE'),
  SHORT_BINUNICODE: (m) => str(m, m.u8('SHORT_BINUNICODE'), 'SHORT_BINUNICODE'),
  BINUNICODE8: (m) => str(m, m.u64('BINUNICODE8'), 'BINUNICODE8'),
  // Python 2 str: bytes taken as Latin-1 text, as pickle.load(encoding='latin1') does.
  BINSTRING: (m) => m.push(latin1(m.take(m.u32('BINSTRING'), 'BINSTRING'))),
  SHORT_BINSTRING: (m) => m.push(latin1(m.take(m.u8('SHORT_BINSTRING'), 'SHORT_BINSTRING'))),
  BINBYTES: (m) => m.push(m.take(m.u32('BINBYTES'), 'BINBYTES').slice()),
  SHORT_BINBYTES: (m) => m.push(m.take(m.u8('SHORT_BINBYTES'), 'SHORT_BINBYTES').slice()),
  BINBYTES8: (m) => m.push(m.take(m.u64('BINBYTES8'), 'BINBYTES8').slice()),
  NEWTRUE: (m) => m.push(true),
  NEWFALSE: (m) => m.push(false),
  NONE: (m) => m.push(null),
  BINPUT: (m) => m.put(m.u8('BINPUT')),
  LONG_BINPUT: (m) => m.put(m.u32('LONG_BINPUT')),
  MEMOIZE: (m) => m.put(m.memo.size),
  BINGET: (m) => m.get(m.u8('BINGET')),
  LONG_BINGET: (m) => m.get(m.u32('LONG_BINGET')),
  POP: (m) => void m.pop('POP'),
  POP_MARK: (m) => void m.popMark('POP_MARK'),
  DUP: (m) => m.push(m.top('DUP')),
  GLOBAL: (m) => {
    const module = m.line('GLOBAL module');
    m.push(m.hooks.global(module, m.line('GLOBAL name')));
  },
  STACK_GLOBAL: (m) => {
    const name = m.pop('STACK_GLOBAL');
    const module = m.pop('STACK_GLOBAL');
    if (typeof module !== 'string' || typeof name !== 'string') {
      throw m.fail(
        `STACK_GLOBAL at byte ${m.pos - 1} needs two strings, got ${kind(module)} and ${kind(name)}`,
      );
    }
    m.push(m.hooks.global(module, name));
  },
  REDUCE: (m) => {
    const args = m.pop('REDUCE');
    const callable = m.pop('REDUCE');
    if (!Array.isArray(args) || !Object.isFrozen(args)) {
      throw m.fail(`REDUCE at byte ${m.pos - 1} needs an argument tuple, got ${kind(args)}`);
    }
    m.push(m.hooks.call(callable, args));
  },
  BUILD: (m) => {
    const state = m.pop('BUILD');
    m.hooks.build(m.top('BUILD'), state);
  },
  BINPERSID: (m) => m.push(m.hooks.persistentLoad(m.pop('BINPERSID'))),
};

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return s;
}

/** A short description of a value for messages. */
export function kind(v: PickleValue): string {
  if (v === null) return 'None';
  if (isArrayValue(v)) return Object.isFrozen(v) ? 'a tuple' : 'a list';
  if (v instanceof Map) return 'a dict';
  if (v instanceof Uint8Array) return 'bytes';
  if (typeof v === 'object') return v.pickleObject;
  if (typeof v === 'string')
    return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v)}`;
  return `${typeof v === 'bigint' ? 'int' : typeof v} ${String(v)}`;
}

const hex = (op: number) => `0x${op.toString(16).padStart(2, '0')}`;

/**
 * Runs the pickle that starts at `start` in `bytes` up to its STOP and returns the value left
 * on the stack and where the pickle ended.
 */
export function unpickle(
  bytes: Uint8Array,
  hooks: PickleHooks,
  failures: PickleFailures,
  options: { start?: number; limits?: PickleLimits } = {},
): UnpickleResult {
  const { fail, refuse } = failures;
  const m = new Machine(bytes, options.start ?? 0, hooks, fail, options.limits ?? {});
  while (!m.done) {
    if (m.pos >= bytes.length) throw fail(`the pickle ends at byte ${m.pos} without a STOP opcode`);
    const at = m.pos;
    const op = bytes[m.pos++]!;
    const name = NAME_OF.get(op);
    const handler = name && OPS[name];
    if (handler) {
      handler(m);
      continue;
    }
    if (name === undefined) throw fail(`unknown pickle opcode ${hex(op)} at byte ${at}`);
    if (INSTANTIATING.has(name)) {
      throw refuse(`refusing to instantiate a class (pickle opcode ${name} at byte ${at})`);
    }
    throw fail(`the pickle opcode ${name} at byte ${at} builds a value no state_dict holds`);
  }
  if (m.marks.length) throw fail('the pickle stops with an unclosed MARK');
  if (m.stack.length !== 1) throw fail(`the pickle stops with ${m.stack.length} values on the stack, not 1`);
  return { value: m.stack[0]!, end: m.pos };
}
