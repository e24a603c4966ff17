/**
 * Fixture for the exported project's round trip without Python in npm test: kioku trains a small
 * text classifier, the exported project trains it again with PyTorch (train.py, Debian's
 * python3-torch), and what PyTorch computes with the result is recorded.
 *
 *   npx tsx scripts/fixtures_pytorch_roundtrip.ts
 *
 * Writes fixtures/pytorch-project/roundtrip/: reviews.csv (the data), model/ (the model
 * directory train.py wrote: config.json + model.safetensors) and expected.json (train.py's
 * metrics.json test scores, and for each test text the ids data.py encodes and the logits
 * model.py computes).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../src/cli/program.js';
import { writePytorchProject } from '../src/io/pytorch-project/project-node.js';
import { Generator } from '../src/tensor/random.js';

const OUT = new URL('../fixtures/pytorch-project/roundtrip/', import.meta.url).pathname;

/** 200 short reviews whose label follows a cue word, among neutral words in several scripts. */
function reviewsCsv(): string {
  const gen = new Generator(11);
  const pick = (xs: string[], n: number) => Array.from({ length: n }, () => xs[gen.randint(xs.length)]!);
  const neutral = ['the', 'film', 'plot', 'Scène', '東京', '🎉', "don't", 'state-of-the-art', 'it', 'was'];
  const rows = Array.from({ length: 200 }, (_, i) => {
    const label = i % 3 === 0 ? 'neg' : 'pos';
    const cue = label === 'pos' ? ['great', 'superb', 'fun'] : ['awful', 'dull', 'poor'];
    return `"${[...pick(neutral, 2 + gen.randint(8)), ...pick(cue, 1)].join(' ')}!",${label}`;
  });
  return `text,label\n${rows.join('\n')}\n`;
}

/** In the project: the test split's texts, data.py's ids and model.py's logits (argv: project, data, model dir). */
const PY_LOGITS = `
import json, sys
sys.path.insert(0, sys.argv[1])
import torch, data, model
config = json.load(open(sys.argv[3] + '/config.json'))
texts, labels, classes = data.load_texts(sys.argv[2])
_, _, test = data.train_val_test_split(labels, 0.1, 0.1, 0)
tokenizer = data.tokenizer_from_config(config['tokenizer'])
encode = data.TextEncoder(tokenizer, data.Vocab.from_config(config['vocab']), config['maxLen'], config['truncation'])
net = model.load_model(sys.argv[3] + '/model.safetensors')
rows = []
with torch.no_grad():
    for i in test:
        ids = encode(texts[i])
        logits = net(torch.tensor([ids]), torch.tensor([len(ids)]))[0]
        rows.append({'text': texts[i], 'label': classes[labels[i]], 'ids': ids, 'logits': logits.tolist()})
print(json.dumps(rows))
`;

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'kioku-roundtrip-'));
  try {
    mkdirSync(join(OUT, 'model'), { recursive: true });
    const csv = join(OUT, 'reviews.csv');
    writeFileSync(csv, reviewsCsv());
    const flags = ['--epochs', '1', '--embed', '8', '--hidden', '8', '--max-len', '8', '--no-baselines'];
    const io = { stdout: process.stdout, stderr: process.stderr };
    // Relative data paths, so the configs record "reviews.csv" and no path of this machine.
    process.chdir(OUT);
    const code = await run(
      ['train', 'text', '--data', 'reviews.csv', ...flags, '--quiet', '--out', join(work, 'kioku')],
      io,
    );
    if (code !== 0) throw new Error(`kioku train exited ${code}`);
    const project = join(work, 'project');
    await writePytorchProject(join(work, 'kioku', 'model'), project);
    copyFileSync(csv, join(project, 'reviews.csv'));
    const python = (args: string[]) =>
      execFileSync('/usr/bin/python3', args, { cwd: project, encoding: 'utf8', maxBuffer: 1 << 26 });
    python(['train.py', '--epochs', '30', '--lr', '0.02', '--out', 'run']);
    const trained = join(project, 'run', 'model');
    for (const f of ['config.json', 'model.safetensors'])
      copyFileSync(join(trained, f), join(OUT, 'model', f));
    const metrics = JSON.parse(readFileSync(join(project, 'run', 'metrics.json'), 'utf8'));
    const test = JSON.parse(python(['-c', PY_LOGITS, project, 'reviews.csv', trained]));
    writeFileSync(
      join(OUT, 'expected.json'),
      `${JSON.stringify({ metrics: metrics.test, test }, null, 1)}\n`,
    );
    console.log(`wrote ${OUT}: ${test.length} test texts, PyTorch test accuracy ${metrics.test.accuracy}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
