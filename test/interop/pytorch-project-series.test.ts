import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seattleWeather } from '../../src/io/datasets/builtin.js';
import { loadSeriesCsv } from '../../src/io/datasets/series.js';
import { seriesCsv } from '../../src/io/pytorch-project/builtin-data-node.js';
import { exportPytorchProject } from '../../src/io/pytorch-project/project.js';
import { writePytorchProject } from '../../src/io/pytorch-project/project-node.js';
import { kioku } from '../helpers/cli.js';
import { kiokuSeriesWindows, PY_SERIES_PIPELINE } from './project-check.js';

/** A small forecaster trained by `kioku train series` on a daily CSV with a gap (ffill). */
async function trainSmallForecaster(dir: string): Promise<{ model: string; csv: string }> {
  const lines = ['day,load,temp'];
  for (let d = 0; d < 150; d++) {
    const date = new Date(Date.UTC(2021, 0, 1 + d)).toISOString().slice(0, 10);
    const load = 10 + 3 * Math.sin((2 * Math.PI * d) / 7) + ((d * 37) % 11) / 11;
    lines.push(`${date},${load.toFixed(3)},${d === 40 ? '' : (5 + d / 30).toFixed(2)}`);
  }
  const csv = join(dir, 'load.csv');
  writeFileSync(csv, `${lines.join('\n')}\n`);
  const out = join(dir, 'kioku-series');
  const flags = ['--date-col', 'day', '--target', 'load', '--missing', 'ffill', '--lookback', '7'];
  const r = await kioku(
    'train',
    'series',
    '--data',
    csv,
    ...flags,
    '--epochs',
    '1',
    '--hidden',
    '8',
    '--out',
    out,
  );
  expect(r.code, r.stderr).toBe(0);
  return { model: join(out, 'model'), csv };
}

function modelFiles(dir: string) {
  return {
    'config.json': new Uint8Array(readFileSync(join(dir, 'config.json'))),
    'model.safetensors': new Uint8Array(readFileSync(join(dir, 'model.safetensors'))),
  };
}

describe('exportPytorchProject: a forecaster', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kioku-series-project-'));
  let trained: { model: string; csv: string };
  beforeAll(async () => {
    trained = await trainSmallForecaster(dir);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes the forecasting project: model.py with the encoding, the series data.py, kioku's settings", async () => {
    const files = modelFiles(trained.model);
    const out = exportPytorchProject(files, { epochs: 12, patience: 3, lrSchedule: 'cosine', batch: 16 });
    expect(Object.keys(out).sort()).toEqual([
      'README.md',
      'config.json',
      'data.py',
      'model.py',
      'model.safetensors',
      'project.json',
      'train.py',
    ]);
    expect(JSON.parse(out['project.json'] as string)).toEqual({
      task: 'forecasting',
      data: trained.csv,
      epochs: 12,
      batch: 16,
      lr: 0.003,
      seed: 0,
      weightDecay: 0,
      patience: 3,
      lrSchedule: 'cosine',
    });
    // kioku's defaults for what config.json does not record: 50 epochs at most, patience 8, plateau.
    expect(JSON.parse(exportPytorchProject(files)['project.json'] as string)).toMatchObject({
      epochs: 50,
      patience: 8,
      lrSchedule: 'plateau',
    });
    expect(out['model.py']).toContain('class Forecaster:');
    const columns = JSON.parse(new TextDecoder().decode(files['config.json'])).series.columns as string[];
    expect(columns.slice(0, 2)).toEqual(['load', 'temp']);
    expect(out['model.py']).toContain(`self.lstm = nn.LSTM(input_size=${columns.length}, hidden_size=8`);
    expect(out['data.py']).toContain('class SeriesData:');
    expect(out['data.py']).not.toContain('char_classes');
    expect(out['train.py']).toContain(
      "task = (SeriesTask if settings['task'] == 'forecasting' else TextTask)",
    );
    expect(out['README.md']).toContain('patience 3, the best epoch by the validation MAE');
    expect(out['config.json']).toBe(files['config.json']);
  });

  it('refuses the options of a text project, naming them', async () => {
    const files = modelFiles(trained.model);
    expect(() => exportPytorchProject(files, { limit: 10 })).toThrow(
      "exportPytorchProject: options.limit applies to text classifiers; a forecaster's project reads the columns and rows its config.json records",
    );
    expect(() => exportPytorchProject(files, { patience: -1 })).toThrow(
      'options.patience must be a non-negative integer, got -1',
    );
    expect(() => exportPytorchProject(files, { lrSchedule: 'step' as never })).toThrow(
      'options.lrSchedule must be one of plateau, cosine, constant, got "step"',
    );
    const config = JSON.parse(new TextDecoder().decode(files['config.json']));
    delete config.series.split;
    expect(() => exportPytorchProject({ ...files, 'config.json': JSON.stringify(config) })).toThrow(
      /config.json lacks the series settings of a forecaster/,
    );
  });

  it('kioku export bundles a built-in series as CSV that reads back to the same float32 values', async () => {
    const r = await kioku(
      'train',
      'series',
      '--data',
      'seattle-weather',
      '--target',
      'temp_max',
      '--epochs',
      '1',
      '--hidden',
      '4',
      '--out',
      join(dir, 'seattle'),
    );
    expect(r.code, r.stderr).toBe(0);
    const out = join(dir, 'seattle-project');
    const e = await kioku(
      'export',
      '--model',
      join(dir, 'seattle', 'model'),
      '--format',
      'pytorch-project',
      '--out',
      out,
    );
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'project.json'), 'utf8')).data).toBe('seattle-weather.csv');
    const back = await loadSeriesCsv(join(out, 'seattle-weather.csv'), { dateColumn: 'date' });
    const original = await seattleWeather();
    expect(back.columns).toEqual(original.columns);
    expect(back.index).toEqual(original.index);
    expect(back.values).toEqual(original.values);
  }, 120_000);

  it('writes a panel in long format, one row per id and date', () => {
    const member = (v: number) => ({
      columns: ['y'],
      values: Float32Array.of(v, v + 0.1),
      length: 2,
      index: ['2020-01', '2020-02'],
    });
    const panel = { column: 'shop', ids: ['a', 'b,c'], members: [member(1), member(2)] };
    expect(seriesCsv(panel, 'month', 'shop')).toBe(
      'shop,month,y\na,2020-01,1\na,2020-02,1.100000023841858\n"b,c",2020-01,2\n"b,c",2020-02,2.0999999046325684\n',
    );
  });
});

// Runs data.py and train.py of an exported forecaster; needs /usr/bin/python3 with torch (skipped otherwise).
const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const python = (args: string[], cwd?: string) =>
  execFileSync('/usr/bin/python3', args, { encoding: 'utf8', maxBuffer: 1 << 28, ...(cwd ? { cwd } : {}) });

describe.skipIf(!hasTorch)(
  'an exported forecaster trains in PyTorch and kioku forecasts with the result',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'kioku-series-torch-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("seattle-weather: data.py's windows are kioku's; torchrun trains; kioku and model.py forecast alike", async () => {
      const k = join(dir, 'kioku');
      const flags = ['--target', 'temp_max', '--lookback', '14', '--epochs', '1', '--hidden', '8'];
      const r = await kioku('train', 'series', '--data', 'seattle-weather', ...flags, '--out', k);
      expect(r.code, r.stderr).toBe(0);
      const proj = join(dir, 'project');
      await writePytorchProject(join(k, 'model'), proj);
      const csv = join(proj, 'seattle-weather.csv');

      // (a) The scaling, windows and loss weights of data.py are kioku's.
      const py = JSON.parse(python(['-c', PY_SERIES_PIPELINE, proj, csv]));
      const ours = await kiokuSeriesWindows(join(k, 'model'), 'seattle-weather');
      expect(py.scalings).toEqual(ours.scalings);
      for (const part of ['train', 'val'] as const) {
        const w = ours[part];
        expect(py[part].at).toEqual(Array.from(w.at.origins, (o, i) => [w.at.members[i], o]));
        expect(py[part].targets).toEqual(Array.from(w.targets));
        const inputs = Float32Array.from(py[part].inputs as number[]);
        expect(inputs.length).toBe(w.inputs.length);
        // The calendar's sin and cos come from Python's libm and V8's: equal within float32's last bit.
        const worst = inputs.reduce((m, v, i) => Math.max(m, Math.abs(v - w.inputs[i]!)), 0);
        expect(worst).toBeLessThanOrEqual(1.2e-7);
      }
      expect(py.stepWeights).toEqual(Array.from(ours.train.stepWeights()));

      // (b) One epoch on two processes (DistributedDataParallel over gloo).
      const rendezvous = ['--nnodes=1', '--rdzv_backend=c10d', '--rdzv_endpoint=localhost:0'];
      const torchrun = ['-m', 'torch.distributed.run', '--redirects', '1', '--tee', '1', ...rendezvous];
      python([...torchrun, '--nproc_per_node', '2', 'train.py', '--epochs', '1', '--out', 'two'], proj);
      const metrics = JSON.parse(readFileSync(join(proj, 'two', 'metrics.json'), 'utf8'));
      const model = join(proj, 'two', 'model');

      // (c) kioku opens the result: its test MAE is train.py's, its forecast is model.py's.
      const info = await kioku('info', '--model', model);
      expect(info.code, info.stderr).toBe(0);
      expect(info.stdout).toMatch(/"engine":"pytorch [^"]+","processes":2,"backend":"gloo"/);
      const ev = await kioku('eval', '--model', model, '--data', csv, '--json');
      expect(ev.code, ev.stderr).toBe(0);
      const lstm = ev.stdout
        .split('\n')
        .filter((l) => l.includes('"model":"lstm"'))
        .map((l) => JSON.parse(l));
      expect(lstm[0].mae).toBeCloseTo(metrics.test.mae, 5);
      const fc = await kioku('forecast', '--model', model, '--steps', '7');
      expect(fc.code, fc.stderr).toBe(0);
      const rows = fc.stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(','));
      const pyForecast = JSON.parse(
        python(
          [
            '-c',
            `import json, sys; sys.path.insert(0, '.'); import model
c = json.load(open('two/model/config.json'))
f = model.Forecaster(model.load_model('two/model/model.safetensors'), c['series']).forecast(steps=7)
print(json.dumps(f))`,
          ],
          proj,
        ),
      );
      expect(rows.map((r) => r[1])).toEqual(pyForecast.dates);
      rows.forEach((r, i) => {
        expect(Number(r[2])).toBeCloseTo(pyForecast.forecast[i], 3);
      });
    }, 300_000);

    it("stocks, a panel of five series: data.py's windows are kioku's; kioku scores train.py's model as it did", async () => {
      const k = join(dir, 'kioku-stocks');
      const flags = ['--target', 'price', '--epochs', '1', '--hidden', '8'];
      const r = await kioku('train', 'series', '--data', 'stocks', ...flags, '--out', k);
      expect(r.code, r.stderr).toBe(0);
      const proj = join(dir, 'stocks-project');
      await writePytorchProject(join(k, 'model'), proj);
      const csv = join(proj, 'stocks.csv');
      const py = JSON.parse(python(['-c', PY_SERIES_PIPELINE, proj, csv]));
      const ours = await kiokuSeriesWindows(join(k, 'model'), 'stocks');
      // Log differences: Python's log and V8's may differ in a double's last bit, not in float32's.
      py.scalings.forEach((s: { target: { mean: number; std: number } }, i: number) => {
        expect(s.target.mean).toBe(ours.scalings[i]!.target.mean);
        expect(s.target.std).toBeCloseTo(ours.scalings[i]!.target.std, 14);
      });
      for (const part of ['train', 'val'] as const) {
        const w = ours[part];
        expect(py[part].at).toEqual(Array.from(w.at.origins, (o, i) => [w.at.members[i], o]));
        expect(Float32Array.from(py[part].inputs)).toEqual(w.inputs);
        expect(Float32Array.from(py[part].targets)).toEqual(w.targets);
      }
      python(['train.py', '--epochs', '1', '--out', 'one'], proj);
      const metrics = JSON.parse(readFileSync(join(proj, 'one', 'metrics.json'), 'utf8'));
      const evalFlags = ['--data', csv, '--series-col', 'symbol', '--json'];
      const ev = await kioku('eval', '--model', join(proj, 'one', 'model'), ...evalFlags);
      expect(ev.code, ev.stderr).toBe(0);
      const lstm = JSON.parse(ev.stdout.split('\n').find((l) => l.includes('"model":"lstm"'))!);
      expect(lstm.mase).toBeCloseTo(metrics.test.mase, 5);
    }, 300_000);
  },
);
