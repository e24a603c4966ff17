import { type ChildProcess, spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMobyDick } from '../../src/io/datasets/moby-dick.js';
import { loadSpamAssassin } from '../../src/io/datasets/spam.js';
import {
  predictText,
  type TextClassifierResult,
  trainTextClassifier,
} from '../../src/train/recipes/index.js';
import { trainTextLanguageModel } from '../../src/train/recipes/language-model.js';
import { nodeRunStore } from '../../src/train/run-store-node.js';
import { kioku } from '../helpers/cli.js';
import { get, metric, post } from './helpers.js';

/**
 * `kioku serve` as a command: models are checked before it listens (a bad one is the usual
 * one-line error and exit 1), and a real child process stopped by SIGTERM with a request in
 * flight answers that request, stops accepting connections and exits 0.
 */

let root: string;
let cli: string;
let trained: TextClassifierResult;

/** The CLI bundled once by esbuild beside package.json and node_modules: a fast start-up. */
async function bundleCli(): Promise<string> {
  const outfile = join(root, 'dist', 'cli', 'main.mjs');
  await mkdir(join(root, 'dist', 'cli'), { recursive: true });
  await copyFile('package.json', join(root, 'package.json'));
  await symlink(join(process.cwd(), 'node_modules'), join(root, 'node_modules'), 'dir');
  await build({
    entryPoints: ['src/cli/main.ts'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile,
    logLevel: 'silent',
  });
  return outfile;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-serve-'));
  cli = await bundleCli();
  const corpus = await loadSpamAssassin({ headers: 'from-subject' });
  trained = await trainTextClassifier({
    corpus,
    limit: 150,
    epochs: 1,
    embed: 8,
    hidden: 8,
    vocabSize: 500,
    maxLen: 32,
    baselines: false,
    store: nodeRunStore(join(root, 'spam'), { checkpoints: false }),
  });
}, 180_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('kioku serve checks its models before listening', () => {
  it('a missing directory, a directory that holds no model, or two models of one name: one line, exit 1', async () => {
    const missing = await kioku('serve', '--model', join(root, 'nowhere'), '--port', '0');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^kioku: .*nowhere.*\n$/);
    const junk = join(root, 'junk');
    await mkdir(junk);
    await writeFile(join(junk, 'config.json'), '{"task": "classification"}');
    const notModel = await kioku('serve', '--model', junk, '--port', '0');
    expect(notModel.code).toBe(1);
    expect(notModel.stderr).toMatch(/^kioku: .*junk.*\n$/);
    const model = join(root, 'spam', 'model');
    const twice = await kioku('serve', '--model', model, '--model', `spam=${model}`, '--port', '0');
    expect(twice).toMatchObject({
      code: 1,
      stderr: 'kioku: createServer: two models are named "spam"; give each its own name\n',
    });
  });
});

interface Child {
  child: ChildProcess;
  url: Promise<string>;
  exit: Promise<number | null>;
  stdout: () => string;
}

function start(argv: string[]): Child {
  // The bundle finds no native addon beside it: the JS backend, without the note saying so.
  const child = spawn(process.execPath, [cli, ...argv], { env: { ...process.env, KIOKU_BACKEND: 'js' } });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const url = new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = / at (http:\/\/\S+) /.exec(err);
      if (m) resolve(m[1]!);
    });
    child.on('exit', () => reject(new Error(`kioku serve exited before listening: ${err}`)));
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, url, exit, stdout: () => out };
}

describe('kioku serve stops gracefully on SIGTERM', () => {
  it('answers the request in flight, refuses new connections and exits 0', async () => {
    // The request waits in its batch for up to 10 s: SIGTERM comes while it does.
    const served = start([
      'serve',
      '--model',
      join(root, 'spam', 'model'),
      '--port',
      '0',
      '--max-batch-wait',
      '10000',
    ]);
    const url = await served.url;
    const text = 'Your account has been selected for a free upgrade, click the link';
    const inFlight = post(`${url}/v1/models/spam:predict`, { instances: [text] });
    let waiting = 0;
    while (waiting === 0) {
      waiting = metric((await get(`${url}/metrics`)).body, 'kioku_waiting_requests', { model: 'spam' }) ?? 0;
    }
    expect(waiting).toBe(1);
    served.child.kill('SIGTERM');
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    const want = predictText({ model: trained.model, config: trained.config }, [text]);
    expect(answer.body.predictions[0].label).toBe(want[0]!.label);
    expect(answer.body.predictions[0].probability).toBeCloseTo(want[0]!.probability, 5);
    expect(await served.exit).toBe(0);
    await expect(fetch(`${url}/v2/health/live`)).rejects.toThrow();
    // the access log has a JSON line for the answered request
    const lines = served
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toContainEqual(
      expect.objectContaining({ method: 'POST', url: '/v1/models/spam:predict', status: 200, model: 'spam' }),
    );
  }, 60_000);
});

describe('kioku serve serves a language model directory', () => {
  it('opens what kioku train lm saved and streams text from it', async () => {
    const moby = await loadMobyDick();
    const start0 = moby.indexOf('Call me Ishmael');
    const lm = await trainTextLanguageModel({
      text: moby.slice(start0, start0 + 3000),
      embed: 4,
      hidden: 8,
      bptt: 16,
      ngram: 1,
      epochs: 1,
      store: nodeRunStore(join(root, 'moby'), { checkpoints: false }),
    });
    const served = start(['serve', '--model', `moby=${join(root, 'moby', 'model')}`, '--port', '0']);
    try {
      const url = await served.url;
      const meta = await get(`${url}/v2/models/moby`);
      expect(meta.body.parameters).toEqual({
        task: 'language-model',
        vocab_size: lm.model.settings.vocabSize,
        tokenizer: 'char',
        max_length: 4096,
      });
      const res = await fetch(`${url}/v1/models/moby:predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'Call me', length: 12, seed: 1 }),
      });
      expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      const vocab = new Set((lm.config.vocab as { tokens: string[] }).tokens);
      const text = await res.text();
      expect([res.status, [...text].length, [...text].every((c) => vocab.has(c))]).toEqual([200, 12, true]);
    } finally {
      served.child.kill('SIGTERM');
      expect(await served.exit).toBe(0);
    }
  }, 120_000);
});
