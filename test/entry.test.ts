import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// Modules and packages that only exist in Node: the platform-neutral entry must not reach them.
const NODE_ONLY = /^(node:|@resvg\/|onnxruntime-node|csv-parse|commander|cli-progress|node-addon-api)/;

/**
 * Every import specifier reachable from `entry` through static relative imports, with the file it
 * appears in. Dynamic `import()` is a lazy, Node-only path (the trainer's `checkpointDir` shorthand).
 */
function reachableImports(entry: string): Array<[string, string]> {
  const seen = new Set<string>();
  const found: Array<[string, string]> = [];
  const stack = [entry];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(
      /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|^import '([^']+)'/gm,
    )) {
      const spec = m[1] ?? m[2]!;
      if (spec.startsWith('.')) stack.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else found.push([spec, file]);
    }
  }
  return found;
}

describe('package entries', () => {
  it('the platform-neutral entry imports nothing Node-only, so it bundles for a browser', () => {
    const offenders = reachableImports(resolve('src/index.ts')).filter(([spec]) => NODE_ONLY.test(spec));
    expect(offenders.map(([spec, file]) => `${spec} in ${file}`)).toEqual([]);
  });

  it('the Node entry selects a backend and re-exports the library', async () => {
    const kioku = await import('../src/node.js');
    expect(['js', 'native']).toContain(kioku.backend());
    expect(typeof kioku.LSTM).toBe('function');
    expect(typeof kioku.loadModelDir).toBe('function');
  });
});
