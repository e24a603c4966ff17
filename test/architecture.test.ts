import { createRequire } from 'node:module';
import { cruise, type ICruiseResult, type IDependency } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';

/*
 * kioku's layering (.dependency-cruiser.cjs: no cycles, each layer imports only the layers below
 * it, layers call ops rather than kernels), and a platform-neutral entry that bundles for a
 * browser: nothing src/index.ts reaches at run time — static or dynamic imports — is Node-only.
 */

const config = createRequire(import.meta.url)('../.dependency-cruiser.cjs');

const result = (
  await cruise(['src'], { ...config.options, ruleSet: { forbidden: config.forbidden }, validate: true })
).output as ICruiseResult;

/** Node-only npm packages (native addons, or modules built on Node's APIs). */
const NODE_PACKAGES = /^(@resvg\/|onnxruntime-node|csv-parse|commander|cli-progress|node-addon-api)/;
/** kioku's Node-only modules: the CLI, the native backend's loader, and files named *-node.ts. */
const NODE_MODULES = /^src\/(cli\/|backend\/native\/)|-node\.ts$/;

// Known exception, for the change that moves checkpoints out of the trainer: trainer.ts imports
// checkpoint.ts (model directories, node:fs) dynamically. Remove once it lands.
const KNOWN: ReadonlyArray<readonly [string, string]> = [['src/train/trainer.ts', 'src/train/checkpoint.ts']];

function nodeOnly(d: IDependency): boolean {
  return d.coreModule || NODE_MODULES.test(d.resolved) || NODE_PACKAGES.test(d.module);
}

/**
 * Every Node-only import reachable from `entry` over runtime edges (static and dynamic imports;
 * type-only imports vanish at run time), as "specifier in file", skipping the `skip` edges.
 */
function nodeOnlyReachable(entry: string, skip: ReadonlyArray<readonly [string, string]> = KNOWN): string[] {
  const modules = new Map(result.modules.map((m) => [m.source, m]));
  const seen = new Set<string>([entry]);
  const stack = [entry];
  const found: string[] = [];
  while (stack.length > 0) {
    const file = stack.pop()!;
    for (const d of modules.get(file)?.dependencies ?? []) {
      if (d.dependencyTypes.includes('type-only')) continue;
      if (skip.some(([from, to]) => from === file && to === d.resolved)) continue;
      if (nodeOnly(d)) found.push(`${d.module} in ${file}${d.dynamic ? ' (dynamic import)' : ''}`);
      else if (d.resolved.startsWith('src/') && !seen.has(d.resolved)) {
        seen.add(d.resolved);
        stack.push(d.resolved);
      }
    }
  }
  return found;
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

  it('the check sees dynamic imports and Node modules where they are', () => {
    // Without the known exception, the trainer's dynamic import of checkpoints reaches node:path
    // (dependency-cruiser names Node's built-ins without the node: prefix).
    expect(nodeOnlyReachable('src/train/trainer.ts', [])).toContain('path in src/train/checkpoint.ts');
    expect(nodeOnlyReachable('src/node.ts')).toEqual(
      expect.arrayContaining(['fs/promises in src/io/model-dir.ts', 'csv-parse in src/io/datasets/files.ts']),
    );
  });
});

describe('package entries', () => {
  it('the Node entry selects a backend and re-exports the library', async () => {
    const kioku = await import('../src/node.js');
    expect(['js', 'native']).toContain(kioku.backend());
    expect(typeof kioku.LSTM).toBe('function');
    expect(typeof kioku.loadModelDir).toBe('function');
  });
});
