import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/**
 * The platform-neutral entry bundled for a browser, as a page's bundler would: it must build
 * (esbuild fails on any `node:` module it cannot resolve, dynamic imports included) and carry the
 * training loop and the recipes, without the Node-only checkpoint and store modules.
 */
describe('the platform-neutral entry in a browser bundle', () => {
  it('builds with the recipes and the trainer, and imports no node: module', async () => {
    const result = await build({
      entryPoints: ['src/index.ts'],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      outfile: 'kioku-browser.js',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    const code = result.outputFiles[0]!.text;
    expect(code.match(/(?:from\s*|import\s*\(\s*|require\s*\(\s*)["']node:[^"']*["']/g)).toBeNull();

    const inputs = Object.keys(result.metafile.inputs);
    for (const file of [
      'src/train/trainer.ts',
      'src/train/checkpoint.ts',
      'src/train/recipes/text-classifier.ts',
      'src/train/recipes/forecaster.ts',
      'src/train/recipes/text-model.ts',
      'src/train/recipes/series-model.ts',
    ]) {
      expect(inputs).toContain(file);
    }
    expect(inputs.filter((f) => f.startsWith('src/') && f.endsWith('-node.ts'))).toEqual([]);
    const imported = Object.values(result.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path));
    expect(imported.filter((p) => p.startsWith('node:'))).toEqual([]);

    const exported = result.metafile.outputs['kioku-browser.js']!.exports;
    for (const name of [
      'trainTextClassifier',
      'trainForecaster',
      'predictText',
      'forecastSeries',
      'evaluateTextClassifier',
      'evaluateForecaster',
      'MemoryStore',
      'fit',
      'restoreTrainingState',
    ]) {
      expect(exported).toContain(name);
    }
  }, 60_000);
});
