/*
 * Writes native/src/generated/contract.h from the kernel contract (src/backend/contract.ts): for
 * every kernel marked `native`, a struct of its arguments in positional order, the visitor that
 * fills it (`read`, with the N-API reader in the addon or a linear-memory reader in WebAssembly),
 * the length checks, and the kernel's declaration; and from the recurrent-kinds table
 * (src/backend/recurrent-kinds.ts) each cell's gate blocks and saved blocks. Run `npm run gen:native` after editing the
 * table; test/native/contract.test.ts fails while the committed header differs from this output.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CONTRACT } from '../src/backend/contract.js';
import type { ArgSpec, ArrayArg, KernelSpec } from '../src/backend/contract-spec.js';
import { RECURRENT_KINDS, type RecurrentKind } from '../src/backend/recurrent-kinds.js';

export const HEADER_PATH = fileURLToPath(new URL('../native/src/generated/contract.h', import.meta.url));
export const KINDS_HEADER_PATH = fileURLToPath(
  new URL('../native/src/generated/recurrent_kinds.h', import.meta.url),
);

const WIDTH = 110;
const capital = (s: string) => s[0]!.toUpperCase() + s.slice(1);

/** Joins pieces into lines of at most WIDTH columns, each starting with `indent`. */
function wrap(pieces: string[], indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const p of pieces) {
    if (line && indent.length + line.length + 1 + p.length > WIDTH) {
      lines.push(indent + line);
      line = p;
    } else line = line ? `${line} ${p}` : p;
  }
  if (line) lines.push(indent + line);
  return lines;
}

/** A `// ` comment of `text` wrapped to WIDTH. */
function comment(text: string, indent = ''): string[] {
  return wrap(text.split(/\s+/), `${indent}// `);
}

/** Enum types by their value list, so kernels that share one (unary, unaryBackward) share the type. */
class Enums {
  readonly byValues = new Map<string, string>();
  readonly lines: string[] = [];

  typeOf(kernelName: string, arg: Extract<ArgSpec, { kind: 'enum' }>): string {
    const key = arg.values.join(',');
    const known = this.byValues.get(key);
    if (known) return known;
    const type = capital(kernelName) + capital(arg.name);
    this.byValues.set(key, type);
    this.lines.push(
      `enum class ${type} : int32_t { ${arg.values.map(capital).join(', ')} };`,
      `inline constexpr const char* k${type}Names[] = {${arg.values.map((v) => `"${v}"`).join(', ')}};`,
    );
    return type;
  }
}

function arrayType(a: ArrayArg): string {
  if (a.kind === 'typed') return 'Typed';
  const base = a.kind === 'f32' ? 'F32' : 'I32';
  return a.role === 'in' ? `In${base}` : `Out${base}`;
}

function fieldType(name: string, arg: ArgSpec, enums: Enums): string {
  switch (arg.kind) {
    case 'int':
      return 'int64_t';
    case 'num':
      return 'double';
    case 'flag':
      return 'bool';
    case 'enum':
      return enums.typeOf(name, arg);
    case 'dims':
      return 'Dims';
    case 'packed':
      throw new Error(`${name}: a packed argument cannot cross to native code`);
    default:
      return arrayType(arg);
  }
}

function readCall(arg: ArgSpec, enumType: string): string {
  switch (arg.kind) {
    case 'int':
      return `r.dim(${arg.name}, "${arg.name}");`;
    case 'num':
      return `r.number(${arg.name}, "${arg.name}");`;
    case 'flag':
      return `r.flag(${arg.name}, "${arg.name}");`;
    case 'enum':
      return `r.choice(${arg.name}, "${arg.name}", k${enumType}Names);`;
    case 'dims':
      return `r.dims(${arg.name}, "${arg.name}");`;
    case 'packed':
      throw new Error('unreachable');
    default:
      return `r.array(${arg.name}, "${arg.name}", ${arg.nullable});`;
  }
}

/** Translates a length expression to C++ over the check's locals; throws on an unknown name. */
function cpp(
  expr: string,
  known: Set<string>,
  arrays: Set<string>,
  shapes: Set<string>,
  where: string,
): string {
  return expr.replace(/numel\((\w+)\)|(\w+)\.length|[A-Za-z_]\w*/g, (m, shape?: string, arr?: string) => {
    if (shape !== undefined) {
      if (!shapes.has(shape)) throw new Error(`${where}: numel(${shape}) needs a dims argument`);
      return `numel(a.${shape})`;
    }
    if (arr !== undefined) {
      if (!arrays.has(arr)) throw new Error(`${where}: ${arr}.length needs an array argument`);
      return `static_cast<double>(a.${arr}.length)`;
    }
    if (!known.has(m)) throw new Error(`${where}: unknown name '${m}' in '${expr}'`);
    return m;
  });
}

/** The C++ check function of one kernel. */
function checkFunction(name: string, spec: KernelSpec, structName: string): string[] {
  const scalars = spec.args.filter((a) => a.kind === 'int' || a.kind === 'num' || a.kind === 'flag');
  const arrays = new Set(spec.args.filter((a) => 'role' in a).map((a) => a.name));
  const shapes = new Set(spec.args.filter((a) => a.kind === 'dims').map((a) => a.name));
  const known = new Set([...scalars.map((a) => a.name), ...Object.keys(spec.sizes)]);
  const x = (e: string, what: string) => cpp(e, known, arrays, shapes, `${name}.${what}`);
  const checks: string[] = [];
  for (const a of spec.args) {
    if (a.kind === 'int' && a.min > 0) checks.push(`c.atLeast("${a.name}", a.${a.name}, ${a.min});`);
    if (!('role' in a)) continue;
    if (a.max) checks.push(`c.eachIn("${a.name}", a.${a.name}, ${x(a.len, a.name)}, ${x(a.max, a.name)});`);
    else if (a.matrix) {
      const m = a.matrix;
      const call = `c.matrix("${a.name}", a.${a.name}, ${[m.offset, m.rows, m.cols, m.ld].map((e) => x(e, a.name)).join(', ')});`;
      checks.push(m.when ? `if (${x(m.when, a.name)}) ${call}` : call);
    } else if (a.len) {
      checks.push(
        `c.${a.nullable ? 'lengthIfGiven' : 'length'}("${a.name}", a.${a.name}, ${x(a.len, a.name)});`,
      );
    }
  }
  const used = checks.join(' ');
  const sizes = Object.entries(spec.sizes).filter(([size]) => new RegExp(`\\b${size}\\b`).test(used));
  const scope = ` ${used} ${sizes.map(([, e]) => e).join(' ')}`;
  const locals = scalars
    .filter((a) => new RegExp(`[^."\\w]${a.name}\\b`).test(scope))
    .map((a) => `const ${a.kind === 'flag' ? 'bool' : 'double'} ${a.name} = a.${a.name};`);
  const sizeLocals = sizes.map(([size, e]) => `const double ${size} = ${x(e, size)};`);
  return [
    `inline void check(const ${structName}& a) {`,
    `  const Checker c{${structName}::kName};`,
    ...wrap([...locals, ...sizeLocals], '  '),
    ...wrap(checks, '  '),
    '}',
  ];
}

function kernelBlock(name: string, spec: KernelSpec, enums: Enums): string[] {
  const structName = `${capital(name)}Args`;
  const types = spec.args.map((a) => fieldType(name, a, enums));
  const fields = spec.args.map(
    (a, i) => `${types[i]} ${a.name}${'role' in a || a.kind === 'dims' ? '' : '{}'};`,
  );
  const reads = spec.args.map((a, i) => readCall(a, types[i]!));
  return [
    ...comment(`${name}(${spec.args.map((a) => a.name).join(', ')}): ${spec.doc}`),
    `struct ${structName} {`,
    `  static constexpr const char* kName = "${name}";`,
    `  static constexpr int kCount = ${spec.args.length};`,
    ...wrap(fields, '  '),
    '  template <class Reader>',
    '  void read(Reader& r) {',
    ...wrap(reads, '    '),
    '  }',
    '};',
    ...checkFunction(name, spec, structName),
    `void ${name}(const ${structName}& a);`,
    '',
  ];
}

/**
 * The text of native/src/generated/recurrent_kinds.h: each cell's gate blocks in PyTorch's packing
 * order and its saved blocks, from the recurrent-kinds table. Only <stdint.h>, so the SIMD kernels
 * include it in every build, WebAssembly's included.
 */
export function renderRecurrentKinds(): string {
  const cells: [string, RecurrentKind][] = [
    ['RnnKind', 'RNN_TANH'],
    ['LstmKind', 'LSTM'],
    ['GruKind', 'GRU'],
  ];
  return [
    '// Generated by scripts/gen-native-contract.ts from src/backend/recurrent-kinds.ts: do not edit. Run',
    '// `npm run gen:native` after changing the table; test/native/contract.test.ts fails while this is stale.',
    '//',
    "// Each gate block's index in PyTorch's packing order (a weight has kGates·H rows), and the H-wide",
    '// blocks the fused kernels save per step for BPTT.',
    '#pragma once',
    '',
    '#include <stdint.h>',
    '',
    'namespace kioku {',
    '',
    ...cells.map(([struct, kind]) => {
      const { gates, savedBlocks } = RECURRENT_KINDS[kind];
      const index = gates.map((g, i) => `${g} = ${i}`).join(', ');
      return `struct ${struct} {\n  static constexpr int64_t kGates = ${gates.length}, kSavedBlocks = ${savedBlocks}, ${index};\n};`;
    }),
    '',
    '}  // namespace kioku',
    '',
  ].join('\n');
}

/** The text of native/src/generated/contract.h. */
export function renderNativeContract(): string {
  const enums = new Enums();
  const native = Object.entries(CONTRACT).filter(([, spec]) => spec.native) as [string, KernelSpec][];
  const blocks = native.flatMap(([name, spec]) => kernelBlock(name, spec, enums));
  const list = native.map(([name]) => `X(${name}, ${capital(name)}Args)`);
  return [
    '// Generated by scripts/gen-native-contract.ts from src/backend/contract.ts: do not edit. Run',
    '// `npm run gen:native` after changing the table; test/native/contract.test.ts fails while this is stale.',
    '//',
    '// One struct per native kernel: its arguments by name in positional order, `read` (fills it from',
    '// any reader: N-API in addon.cc, linear memory in WebAssembly, plain values in tests), `check` (every',
    '// length the table states) and the kernel, which receives the checked struct.',
    '#pragma once',
    '',
    '#include <cstdint>',
    '',
    '#include "../contract_types.h"',
    '',
    'namespace kioku {',
    '',
    ...enums.lines,
    '',
    ...blocks,
    '// X(name, Args) for every native kernel.',
    '#define KIOKU_NATIVE_KERNELS(X) \\',
    ...wrap(list, '  ').map((l, i, all) => (i < all.length - 1 ? `${l} \\` : l)),
    '',
    '}  // namespace kioku',
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(HEADER_PATH, renderNativeContract());
  writeFileSync(KINDS_HEADER_PATH, renderRecurrentKinds());
  console.log(`wrote ${HEADER_PATH} and ${KINDS_HEADER_PATH}`);
}
