import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMobyDick } from '../../src/io/datasets/moby-dick.js';
import { loadModelDir } from '../../src/io/model-dir-node.js';
import { parseSafetensors, toStateDict } from '../../src/io/safetensors.js';
import type { LmState } from '../../src/nn/language-model.js';
import { Generator } from '../../src/tensor/random.js';
import { Tensor, tensor } from '../../src/tensor/tensor.js';
import { openLanguageModel } from '../../src/train/recipes/language-model-open.js';
import { kioku } from '../helpers/cli.js';

const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

let root: string;
let book: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-lm-export-'));
  const moby = await loadMobyDick();
  const start = moby.indexOf('Call me Ishmael');
  book = join(root, 'book.txt');
  await writeFile(book, moby.slice(start, start + 6000));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A tiny language model trained by the CLI; returns its model directory. */
async function train(name: string, ...flags: string[]): Promise<string> {
  const out = join(root, name);
  const r = await kioku(
    'train',
    'lm',
    '--data',
    book,
    '--embed',
    '6',
    '--hidden',
    '6',
    '--batch',
    '4',
    '--bptt',
    '16',
    '--epochs',
    '1',
    '--ngram',
    '0',
    ...flags,
    '--out',
    out,
    '--quiet',
  );
  expect(r.code).toBe(0);
  return join(out, 'model');
}

async function open(dir: string) {
  const { config, tensors } = await loadModelDir(dir);
  return openLanguageModel(config as unknown as Record<string, unknown>, tensors, dir);
}

const randomState = (g: Generator, L: number, B: number, H: number) =>
  new Tensor(
    Float32Array.from({ length: L * B * H }, () => g.random() - 0.5),
    [L, B, H],
  );

function close(got: Float32Array, want: Float32Array): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-5);
}

describe('kioku export of a language model', () => {
  for (const [cell, flags] of [
    ['lstm', ['--layers', '2']],
    ['gru', ['--cell', 'gru', '--tie-weights']],
  ] as const) {
    it(`ONNX (${cell}): a call with state in and out gives kioku's logits and state, and steps chain`, async () => {
      const dir = await train(`onnx-${cell}`, ...flags);
      const out = join(root, `onnx-${cell}-out`);
      const r = await kioku('export', '--model', dir, '--format', 'onnx', '--out', out);
      expect(r.code).toBe(0);
      expect((await readdir(out)).sort()).toEqual(['config.json', 'model.onnx']);
      const ort = await import('onnxruntime-node');
      const session = await ort.InferenceSession.create(await readFile(join(out, 'model.onnx')), {
        logSeverityLevel: 3,
      });
      const { model } = await open(dir);
      const { numLayers: L, hiddenSize: H, vocabSize: V } = model.settings;
      const g = new Generator(3);
      const ids = Int32Array.from({ length: 2 * 3 }, (_, i) => (i * 7 + 2) % V);
      const h0 = randomState(g, L, 2, H);
      const c0 = randomState(g, L, 2, H);
      const lstm = cell === 'lstm';
      const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {
        input_ids: new ort.Tensor('int32', ids, [2, 3]),
        h0: new ort.Tensor('float32', h0.f32, [L, 2, H]),
      };
      if (lstm) feeds.c0 = new ort.Tensor('float32', c0.f32, [L, 2, H]);
      const got = await session.run(feeds);
      const state: LmState = lstm ? [h0, c0] : h0;
      const [logits, next] = model.forward(tensor(ids, { shape: [2, 3] }), state);
      close(got.logits!.data as Float32Array, logits.f32);
      close(got.h_n!.data as Float32Array, (next instanceof Tensor ? next : next[0]).f32);
      if (lstm) close(got.c_n!.data as Float32Array, (next as [Tensor, Tensor])[1].f32);
      // One token per call, the state fed back, is the streamer's generation step.
      const streamer = model.streamer();
      type OrtTensor = InstanceType<typeof ort.Tensor>;
      let hs: OrtTensor = new ort.Tensor('float32', new Float32Array(L * H), [L, 1, H]);
      let cs: OrtTensor = new ort.Tensor('float32', new Float32Array(L * H), [L, 1, H]);
      for (const id of [4, 1, 5, 9]) {
        const step = await session.run({
          input_ids: new ort.Tensor('int32', Int32Array.of(id), [1, 1]),
          h0: hs,
          ...(lstm ? { c0: cs } : {}),
        });
        close(step.logits!.data as Float32Array, streamer.step([id]));
        hs = step.h_n!;
        if (lstm) cs = step.c_n!;
      }
    }, 60_000);
  }

  it('PyTorch: the saved weights and a model.py with the model and a generate function', async () => {
    const dir = await train('pt', '--tie-weights');
    const out = join(root, 'pt-out');
    const r = await kioku('export', '--model', dir, '--format', 'pytorch', '--out', out, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).files.sort()).toEqual(['config.json', 'model.py', 'model.safetensors']);
    const exported = toStateDict(parseSafetensors(await readFile(join(out, 'model.safetensors'))));
    const saved = toStateDict(parseSafetensors(await readFile(join(dir, 'model.safetensors'))));
    expect(Object.keys(exported).sort()).toEqual([
      'embedding.weight',
      'fc.bias',
      'lstm.bias_hh_l0',
      'lstm.bias_ih_l0',
      'lstm.weight_hh_l0',
      'lstm.weight_ih_l0',
    ]);
    for (const k of Object.keys(saved))
      expect(Array.from(exported[k]!.data)).toEqual(Array.from(saved[k]!.data));
    const source = await readFile(join(out, 'model.py'), 'utf8');
    expect(source).toMatch(/load_state_dict\(.*strict=True/);
    expect(source).toContain('self.lstm = nn.LSTM(input_size=6, hidden_size=6, num_layers=1');
    expect(source).toContain('self.fc = _TiedOutput(self.embedding, ');
    expect(source).toMatch(/def generate\(model, prompt, length=200, temperature=1\.0, top_k=0, seed=None\)/);
    if (!hasTorch) return;
    // Greedy drawing leaves nothing to chance: model.py's generate writes what kioku generate does.
    const greedy = await kioku(
      'generate',
      '--model',
      dir,
      '--prompt',
      'Call me',
      '--length',
      '40',
      '--temperature',
      '0',
      '--json',
    );
    const ours = greedy.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((e) => e.event === 'generated');
    const python = `import sys; sys.path.insert(0, sys.argv[1]); import model as m
print(m.generate(m.load_model(), 'Call me', length=40, temperature=0), end='')`;
    const theirs = spawnSync('/usr/bin/python3', ['-c', python, out], { encoding: 'utf8' });
    expect(ours.tokens).toBe(40);
    expect(theirs.stderr).toBe('');
    expect(theirs.stdout).toBe(ours.text);
  }, 60_000);

  it('refuses TF.js for a language model with one line', async () => {
    const dir = await train('tfjs');
    const r = await kioku('export', '--model', dir, '--format', 'tfjs', '--out', join(root, 'tfjs-out'));
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim()).toMatch(/^kioku: .*a language model exports to onnx or pytorch, not tfjs$/);
  }, 60_000);
});
