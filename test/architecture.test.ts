import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cruise, type ICruiseResult, type IDependency } from 'dependency-cruiser';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/*
 * kioku's layering (.dependency-cruiser.cjs: no cycles, each layer imports only the layers below
 * it, layers call ops rather than kernels), and a platform-neutral entry that bundles for a
 * browser: nothing src/index.ts reaches at run time — static or dynamic imports — is Node-only
 * or uses Node's globals, and esbuild bundles it with platform 'browser'.
 */

const config = createRequire(import.meta.url)('../.dependency-cruiser.cjs');

/** The import graph of `dir` under the repository's rules (its `exclude` skips test/, so pass one for a fixture). */
async function cruised(dir: string, exclude = config.options.exclude): Promise<ICruiseResult> {
  const options = { ...config.options, exclude, ruleSet: { forbidden: config.forbidden }, validate: true };
  return (await cruise([dir], options)).output as ICruiseResult;
}

const result = await cruised('src');
const FIXTURE = 'test/architecture-fixture';

/** Node-only npm packages (native addons, or modules built on Node's APIs). */
const NODE_PACKAGES =
  /^(@resvg\/|onnxruntime-node|csv-parse|commander|cli-progress|node-addon-api|fastify|prom-client)/;
/** kioku's Node-only modules: the CLI, the server, the native backend's loader, and files named *-node.ts. */
const NODE_MODULES = /^src\/(cli\/|serve\/|backend\/native\/)|-node\.ts$/;

function nodeOnly(d: IDependency): boolean {
  return d.coreModule || NODE_MODULES.test(d.resolved) || NODE_PACKAGES.test(d.module);
}

/**
 * Every Node-only import reachable from `entry` over runtime edges (static and dynamic imports;
 * type-only imports vanish at run time), as "specifier in file", skipping the `skip` edges.
 */
function nodeOnlyReachable(entry: string, graph = result): string[] {
  return walk(entry, graph).found;
}

/** The src/ files `entry` reaches at run time, and the Node-only imports among their imports. */
function walk(entry: string, graph = result): { seen: Set<string>; found: string[] } {
  const modules = new Map(graph.modules.map((m) => [m.source, m]));
  const seen = new Set<string>([entry]);
  const stack = [entry];
  const found: string[] = [];
  while (stack.length > 0) {
    const file = stack.pop()!;
    for (const d of modules.get(file)?.dependencies ?? []) {
      if (d.dependencyTypes.includes('type-only')) continue;
      if (nodeOnly(d)) found.push(`${d.module} in ${file}${d.dynamic ? ' (dynamic import)' : ''}`);
      else if (!d.resolved.startsWith('node_modules/') && !d.couldNotResolve && !seen.has(d.resolved)) {
        seen.add(d.resolved);
        stack.push(d.resolved);
      }
    }
  }
  return { seen, found };
}

/** Uses of Node's globals (process, Buffer, __dirname) in `file`. */
function nodeGlobals(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const uses = source.match(
    /\b(process\.(env|stdout|stderr|argv|exit|platform|versions|cwd|on)|Buffer\.(from|alloc|isBuffer|concat)|__dirname)\b/g,
  );
  return (uses ?? []).map((u) => `${u} in ${file}`);
}

describe('import graph', () => {
  it('follows the layer and cycle rules of .dependency-cruiser.cjs', () => {
    const violations = result.summary.violations.map(
      (v) =>
        `${v.rule.name}: ${v.from} → ${v.to}${v.cycle ? ` (${v.cycle.map((c) => c.name).join(' → ')})` : ''}`,
    );
    expect(violations).toEqual([]);
    expect(result.summary.totalCruised).toBeGreaterThan(100);
  });

  it('the platform-neutral entry reaches nothing Node-only, statically or dynamically', () => {
    expect(nodeOnlyReachable('src/index.ts')).toEqual([]);
  });

  it("the modules the platform-neutral entry reaches use none of Node's globals", () => {
    const { seen } = walk('src/index.ts');
    expect([...seen].flatMap(nodeGlobals)).toEqual([]);
    // the scan finds them where they are
    expect(nodeGlobals('src/backend/native/init.ts')).toContain('process.env in src/backend/native/init.ts');
  });

  it('the check sees dynamic imports and Node modules where they are', async () => {
    // The fixture reaches node:path only behind a dynamic import() (dependency-cruiser names
    // Node's built-ins without the node: prefix).
    const fixture = await cruised(FIXTURE, { path: '^node_modules/' });
    expect(nodeOnlyReachable(`${FIXTURE}/entry.ts`, fixture)).toEqual([`path in ${FIXTURE}/path-user.ts`]);
    expect(nodeOnlyReachable('src/node.ts')).toEqual(
      expect.arrayContaining([
        './io/model-dir-node.js in src/node.ts',
        'csv-parse in src/io/datasets/files.ts',
      ]),
    );
    // the server is Node-only, and so is what it imports
    expect(nodeOnlyReachable('src/cli/commands/serve.ts')).toContain(
      '../../serve/server.js in src/cli/commands/serve.ts (dynamic import)',
    );
    expect(nodeOnlyReachable('src/serve/metrics.ts').sort()).toEqual([
      './counted-histogram.js in src/serve/metrics.ts',
      'prom-client in src/serve/metrics.ts',
    ]);
  });
});

/** Bundles `entry` for a browser as a page's bundler would, with the names it exports. */
async function browserBundle(entry: string): Promise<{ bytes: number; exports: string[] }> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    outfile: 'bundle.js',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  return {
    bytes: result.outputFiles[0]!.contents.length,
    exports: result.metafile.outputs['bundle.js']!.exports,
  };
}

describe('browser bundle', () => {
  it('esbuild bundles the platform-neutral entry, recipes and trainer included, for a browser', async () => {
    const { bytes, exports } = await browserBundle('src/index.ts');
    expect(bytes).toBeGreaterThan(100_000);
    for (const name of ['fit', 'trainTextClassifier', 'trainForecaster', 'predictText', 'MemoryStore']) {
      expect(exports).toContain(name);
    }
  }, 60_000);

  it('and fails on a Node import, even behind a dynamic import()', async () => {
    await expect(browserBundle(`${FIXTURE}/entry.ts`)).rejects.toThrow(/node:path/);
  }, 60_000);
});

describe('package entries', () => {
  it('the Node entry selects a backend and re-exports the library', async () => {
    const kioku = await import('../src/node.js');
    expect(['js', 'native', 'wasm']).toContain(kioku.backend());
    expect(typeof kioku.LSTM).toBe('function');
    expect(typeof kioku.loadModelDir).toBe('function');
  });
});
