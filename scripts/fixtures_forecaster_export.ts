/**
 * Writes fixtures/forecast/export/<case>/: small forecasters trained by kioku (model/), their
 * exported model.py, and torch.json, what PyTorch computes when that model.py's `Forecaster`
 * turns raw values into forecasts. test/forecast/pytorch-export.test.ts checks that kioku
 * forecasts the same values and still generates the same model.py, without Python.
 *
 * Run by hand with Debian's python3-torch (never needed by `npm test`):
 *     npx tsx scripts/fixtures_forecaster_export.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { saveModelDir } from '../src/io/model-dir-node.js';
import { PYTORCH_SCRIPT_FILE, pytorchFiles } from '../src/io/pytorch.js';
import type { SequenceForecaster } from '../src/nn/heads.js';
import { trainForecaster } from '../src/train/recipes/forecaster.js';
import { MemoryStore } from '../src/train/recipes/store.js';
import { EXPORT_CASES, type ExportCase } from '../test/forecast/export-cases.js';

const OUT = join(import.meta.dirname, '..', 'fixtures', 'forecast', 'export');

/** Forecasts model.py's Forecaster makes: from the training data's end, then from each input. */
const RUNNER = `
import importlib.util, json, sys
root, name = sys.argv[1], sys.argv[2]
spec = importlib.util.spec_from_file_location('exported', f'{root}/model/model.py')
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
f = mod.load_forecaster()
case = json.load(open(f'{root}/inputs.json'))
out = []
for q in case['queries']:
    out.append(f.forecast(target=q.get('target'), covariates=q.get('covariates'), dates=q.get('dates'),
                          steps=q['steps'], series=q.get('series')))
print(json.dumps(out))
`;

async function writeCase(c: ExportCase): Promise<void> {
  const dir = join(OUT, c.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const store = new MemoryStore({ charts: false });
  const result = await trainForecaster({ ...c.options, store });
  const saved = store.models.get('model')!;
  await saveModelDir(join(dir, 'model'), { config: saved.config, stateDict: saved.stateDict });
  const config = result.config as unknown as { series: unknown };
  const files = pytorchFiles(result.model as SequenceForecaster, { series: config.series });
  writeFileSync(join(dir, 'model', PYTORCH_SCRIPT_FILE), files[PYTORCH_SCRIPT_FILE] as string);
  writeFileSync(join(dir, 'inputs.json'), `${JSON.stringify({ queries: c.queries }, null, 1)}\n`);
  const stdout = execFileSync('/usr/bin/python3', ['-c', RUNNER, dir, c.name], { encoding: 'utf8' });
  writeFileSync(join(dir, 'torch.json'), `${JSON.stringify(JSON.parse(stdout), null, 1)}\n`);
  process.stdout.write(`${c.name}: ${c.queries.length} forecasts\n`);
}

for (const c of EXPORT_CASES) await writeCase(c);
