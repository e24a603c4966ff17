/**
 * End-to-end check of `kioku export --format pytorch-project` with Debian's python3-torch:
 *
 *   npx tsx scripts/verify_pytorch_project.ts [work dir] [--procs 2]
 *
 * Text: trains a classifier with kioku on the built-in spam data (one epoch), exports the
 * project, checks that data.py reproduces kioku's split, token ids and vocabulary for every
 * e-mail, trains the same architecture with `torchrun --nproc_per_node 2` on CPU (gloo) for one
 * epoch, opens the result with kioku and scores both models on kioku's test split. Prints the
 * figures; exits 1
 * when a reproduction check fails or the accuracies differ by more than the sampling noise.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../src/cli/program.js';
import {
  encoderOf,
  loadTextClassifier,
  PY_TEXT_PIPELINE,
  scoreText,
  textSplit,
} from '../test/interop/project-check.js';

const args = process.argv.slice(2);
const procsAt = args.indexOf('--procs');
const procs = procsAt >= 0 ? args.splice(procsAt, 2)[1]! : '2';
const work = args[0] ?? mkdtempSync(join(tmpdir(), 'kioku-verify-'));
const failures: string[] = [];
const check = (ok: boolean, what: string) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
};

async function kioku(...argv: string[]): Promise<string> {
  let stdout = '';
  const code = await run(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => process.stderr.write(s), isTTY: false },
  });
  if (code !== 0) throw new Error(`kioku ${argv.join(' ')} exited with ${code}`);
  return stdout;
}

/** torchrun on CPU; --redirects/--tee work around torch 1.13's launcher under Python 3.11. */
function torchrun(project: string, out: string): void {
  const started = performance.now();
  execFileSync(
    'torchrun',
    [
      '--redirects',
      '1',
      '--tee',
      '1',
      '--standalone',
      '--nproc_per_node',
      procs,
      'train.py',
      '--epochs',
      '1',
      '--out',
      out,
    ],
    { cwd: project, stdio: 'inherit' },
  );
  console.log(`torchrun --nproc_per_node ${procs}: ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

const events = (stdout: string, event: string) =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((e) => e.event === event);

async function verifyText(): Promise<void> {
  const out = join(work, 'spam-kioku');
  const flags = ['--epochs', '1', '--embed', '64', '--hidden', '32', '--max-len', '200', '--seed', '0'];
  let started = performance.now();
  const log = await kioku(
    '--json',
    'train',
    'text',
    '--data',
    'spam-assassin',
    ...flags,
    '--no-baselines',
    '--out',
    out,
  );
  console.log(`kioku train text: ${((performance.now() - started) / 1000).toFixed(0)} s`);
  const kiokuReported = events(log, 'test').find((e) => e.model !== 'majority')!.accuracy as number;
  const project = join(work, 'spam-project');
  await kioku('export', '--model', join(out, 'model'), '--format', 'pytorch-project', '--out', project);
  const jsonl = join(project, 'spam-assassin.jsonl');

  started = performance.now();
  const py = JSON.parse(
    execFileSync('/usr/bin/python3', ['-c', PY_TEXT_PIPELINE, project, jsonl, '', '0', '20000', '1'], {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    }),
  ) as { labels: number[]; ids: number[][]; split: number[][]; vocab: string[] };
  console.log(`data.py over the corpus: ${((performance.now() - started) / 1000).toFixed(0)} s`);
  const kiokuModel = await loadTextClassifier(join(out, 'model'));
  const encode = encoderOf(kiokuModel.config);
  const split = await textSplit(jsonl, { seed: 0 });
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  check(
    same(py.split, split.indices),
    `data.py's train/val/test split equals kioku's (${split.indices.map((s) => s.length).join('/')})`,
  );
  const ids = split.items.map((e) => Array.from(encode(e.text)));
  const differing = ids.filter((x, i) => !same(x, py.ids[i])).length;
  check(
    differing === 0,
    `data.py's token ids equal kioku's for all ${ids.length} e-mails (${differing} differ)`,
  );
  check(
    same(py.vocab, kiokuModel.config.vocab.tokens),
    `data.py builds kioku's vocabulary (${py.vocab.length} tokens)`,
  );

  torchrun(project, 'run');
  const torchReported = JSON.parse(readFileSync(join(project, 'run', 'metrics.json'), 'utf8')).test;
  const torchModel = await loadTextClassifier(join(project, 'run', 'model'));
  const testIds = split.test.map((e) => encode(e.text));
  const labels = split.test.map((e) => e.label);
  const torchScore = scoreText(torchModel.model, testIds, labels);
  const kiokuScore = scoreText(kiokuModel.model, testIds, labels);
  check(
    torchScore.accuracy === torchReported.accuracy,
    `kioku scores the PyTorch model as train.py did (accuracy ${torchScore.accuracy.toFixed(4)}, loss ${torchScore.loss.toFixed(4)} vs ${torchReported.loss.toFixed(4)})`,
  );
  const n = testIds.length;
  const p = (torchScore.accuracy + kiokuScore.accuracy) / 2;
  const noise = 2 * Math.sqrt((2 * p * (1 - p)) / n);
  const diff = torchScore.accuracy - kiokuScore.accuracy;
  console.log(
    `test accuracy on ${n} e-mails: kioku-trained ${kiokuScore.accuracy.toFixed(4)} (kioku reported ${kiokuReported}), PyTorch-trained (${procs} processes) ${torchScore.accuracy.toFixed(4)}; difference ${diff.toFixed(4)}, noise ±${noise.toFixed(4)}`,
  );
  check(Math.abs(diff) <= noise, 'the accuracies agree within sampling noise (2 standard errors)');
}

console.log(`work directory: ${work}`);
await verifyText();
console.log(failures.length ? `${failures.length} check(s) failed` : 'all checks passed');
process.exit(failures.length ? 1 : 0);
