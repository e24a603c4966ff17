import { describe, expect, it } from 'vitest';
import { ModelDirError, parseModelConfig } from '../../src/io/model-config.js';
import { Generator } from '../../src/tensor/random.js';

const valid = JSON.stringify({
  format: 'kioku-model',
  formatVersion: 1,
  kiokuVersion: '0.1.0',
  architecture: { type: 'TextClassifier', vocabSize: 3, embedDim: 128, hiddenSize: 64 },
  task: 'classification',
  labels: ['neg', 'pos'],
  vocab: { tokens: ['<pad>', '<unk>', 'good'] },
});
const PIECES = [
  '{',
  '}',
  '[',
  ']',
  '"',
  ':',
  ',',
  '\\',
  'null',
  '2',
  '"format"',
  '"task"',
  '\u00ff',
  '\ud800',
  ' ',
];

/** Breaks the valid config one way: byte flips, truncation, splices, or raw invalid UTF-8. */
function mutate(gen: Generator, i: number): Uint8Array {
  const bytes = new TextEncoder().encode(valid);
  switch (i % 4) {
    case 0: {
      const out = bytes.slice();
      for (let k = 0; k <= gen.randint(3); k++) out[gen.randint(out.length)] ^= 1 << gen.randint(8);
      return out;
    }
    case 1:
      return bytes.slice(0, gen.randint(bytes.length));
    case 2: {
      const at = gen.randint(valid.length);
      const cut = gen.randint(6);
      return new TextEncoder().encode(
        valid.slice(0, at) + PIECES[gen.randint(PIECES.length)] + valid.slice(at + cut),
      );
    }
    default:
      return new Uint8Array([...bytes.subarray(0, 10), 0xc0 + gen.randint(64), ...bytes.subarray(10)]);
  }
}

describe('config.json loader under fuzzing', () => {
  it('loads 400 seeded broken configs or throws ModelDirError naming the file', () => {
    const gen = new Generator(77);
    let rejected = 0;
    for (let i = 0; i < 400; i++) {
      try {
        const c = parseModelConfig(mutate(gen, i), 'm/config.json');
        expect(c.format).toBe('kioku-model');
        expect(typeof c.architecture.type).toBe('string');
      } catch (e) {
        expect(e).toBeInstanceOf(ModelDirError);
        expect((e as Error).message).toMatch(/^m\/config\.json: /);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(300);
    expect(parseModelConfig(new TextEncoder().encode(valid), 'x').task).toBe('classification');
  });
});
