import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONTRACT, KERNEL_NAMES } from '../../src/backend/contract.js';

// The committed modules (native/wasm/) against the sources: scripts/build-wasm.sh records the
// SHA-256 of what it compiled in each module's `kioku-source` section; this recomputes it the same
// way, so a kernel source changed without `npm run build:wasm` fails here, on any machine.

const root = fileURLToPath(new URL('../..', import.meta.url));
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** sourceHash of scripts/build-wasm.sh: `sha256sum` of each file, in C-locale order, hashed. */
function sourceHash(): string {
  const excluded = new Set(['native/src/addon.cc', 'native/src/napi_reader.h', 'native/src/pool.cc']);
  const files = walk(join(root, 'native/src'))
    .map((p) => relative(root, p))
    .filter((p) => /\.(cc|h)$/.test(p) && !excluded.has(p))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  files.push('scripts/build-wasm.sh');
  const listing = files.map((f) => `${sha256(readFileSync(join(root, f)))}  ${f}\n`).join('');
  return sha256(listing);
}

const NATIVE = KERNEL_NAMES.filter((name) => CONTRACT[name].native);

interface Described {
  source: string;
  exports: string[];
  imports: string[];
}

// Compiles a module and lists what it holds; in a child Node with relaxed SIMD enabled, since
// Node 20 compiles the relaxed build only behind that flag.
const DESCRIBE = `
  const m = new WebAssembly.Module(require('node:fs').readFileSync(process.argv[1]));
  console.log(JSON.stringify({
    source: new TextDecoder().decode(WebAssembly.Module.customSections(m, 'kioku-source')[0]),
    exports: WebAssembly.Module.exports(m).map((e) => e.name),
    imports: WebAssembly.Module.imports(m).map((i) => i.module + '.' + i.name),
  }));`;

function describeModule(flavor: string): Described {
  const file = join(root, `native/wasm/kioku-${flavor}.wasm`);
  const out = execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', '-e', DESCRIBE, file], {
    encoding: 'utf8',
  });
  return JSON.parse(out) as Described;
}

describe.each(['simd128', 'relaxed', 'simd128-threads', 'relaxed-threads'])(
  'native/wasm/kioku-%s.wasm',
  (flavor) => {
    const module = describeModule(flavor);

    it('was built from the sources as they are (else run npm run build:wasm)', () => {
      expect(module.source).toBe(sourceHash());
    });

    it('exports every native kernel of the contract and imports only the error hook and three WASI stubs (and its memory and a clock, when threaded)', () => {
      const exported = module.exports;
      expect(exported.filter((n) => (NATIVE as string[]).includes(n)).sort()).toEqual([...NATIVE].sort());
      const threaded = flavor.endsWith('-threads');
      expect(exported.includes('thread_run')).toBe(threaded);
      const imported = module.imports;
      expect(imported.sort()).toEqual([
        ...(threaded ? ['env.memory'] : []),
        'kioku.fail',
        ...(threaded ? ['kioku.now'] : []),
        'wasi_snapshot_preview1.fd_close',
        'wasi_snapshot_preview1.fd_seek',
        'wasi_snapshot_preview1.fd_write',
      ]);
    });
  },
);
