import { type Command, InvalidArgumentError, Option } from 'commander';
import type { RecurrentTrace } from '../../train/inspect/trace.js';
import {
  DIRECTION_CHOICES,
  type DirectionChoice,
  type LayerChoice,
} from '../../train/inspect/trace-select.js';
import { gradientFlowReport, inspectText, type TextInspection } from '../../train/recipes/inspect.js';
import { inspectSeries } from '../../train/recipes/inspect-series.js';
import { seriesReadOptions } from '../../train/recipes/series-model.js';
import { nodeRunStore } from '../../train/run-store-node.js';
import { loadSeriesModel, loadTextModel } from '../models.js';
import { examples, int } from '../options.js';
import { type Reporter, round } from '../reporter.js';
import { loadSeriesSource } from '../sources.js';

/** `kioku inspect`: gates, states and saliency of a text model on one text, or gradient flow on the adding problem. */

interface InspectFlags {
  model?: string;
  text?: string;
  data?: string;
  row?: number;
  out?: string;
  top: number;
  layer: LayerChoice;
  direction: DirectionChoice;
  saliencySteps: number;
  gradientFlow?: boolean;
  steps: number;
  length: number;
  hidden: number;
  seed: number;
}

/** Every layer and direction's named values as nested arrays [step][unit] (one text: batch of one). */
function traceJson(trace: RecurrentTrace) {
  const rows = (t: { f32: Float32Array; shape: readonly number[] }) => {
    const [K, , W] = t.shape as [number, number, number];
    return Array.from({ length: K }, (_, k) =>
      Array.from(t.f32.subarray(k * W, (k + 1) * W), (v) => round(v)),
    );
  };
  return trace.layers.flat().map((d) => ({
    layer: d.layer,
    direction: d.direction,
    gates: Object.fromEntries(Object.entries(d.gates).map(([g, t]) => [g, rows(t!)])),
    ...(d.cell ? { cell: rows(d.cell) } : {}),
    hidden: rows(d.hidden),
  }));
}

/** The ten steps with the largest |saliency|, in that order. */
function printRanked(labels: readonly string[], saliency: readonly number[], reporter: Reporter): void {
  const ranked = labels
    .map((label, t) => ({ label, t, s: saliency[t]! }))
    .sort((a, b) => Math.abs(b.s) - Math.abs(a.s))
    .slice(0, 10);
  for (const { label, t, s } of ranked) {
    reporter.print(`  ${String(t).padStart(4)}  ${label.padEnd(16)} ${s >= 0 ? '+' : ''}${s.toFixed(4)}`);
  }
}

/** `--layer`: top, all, or a layer index. */
function layerChoice(value: string): LayerChoice {
  if (value === 'top' || value === 'all') return value;
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n) || n < 0) {
    throw new InvalidArgumentError(`--layer must be top, all or a layer index ≥ 0, got "${value}"`);
  }
  return n;
}

/** One line per drawn layer and direction: its most active units. */
function printUnits(drawn: TextInspection['drawn'], reporter: Reporter): void {
  for (const d of drawn)
    reporter.print(`most active units (layer ${d.layer}, ${d.direction}): ${d.units.join(', ')}`);
}

function printText(r: TextInspection, reporter: Reporter): void {
  reporter.print(`${r.label}\t${r.probability.toFixed(4)}\t(${r.trace.kind}, ${r.tokens.length} tokens)`);
  reporter.print('tokens that moved the prediction most (integrated gradient × input; > 0 for the label):');
  printRanked(r.tokens, r.saliency, reporter);
  printUnits(r.drawn, reporter);
  for (const file of r.charts) reporter.note(`wrote ${file}`);
}

async function inspectSeriesCommand(o: InspectFlags, reporter: Reporter): Promise<void> {
  const opened = await loadSeriesModel(o.model!);
  const read = seriesReadOptions(opened);
  const series = await loadSeriesSource(o.data!, {
    dateCol: read.dateColumn ?? 'date',
    seriesCol: read.seriesColumn,
    columns: read.columns,
    missing: read.missing,
  });
  const store = o.out !== undefined ? nodeRunStore(o.out, { checkpoints: false }) : undefined;
  const r = await inspectSeries(opened, {
    series,
    row: o.row!,
    dataName: o.data!,
    top: o.top,
    layer: o.layer,
    direction: o.direction,
    saliencySteps: o.saliencySteps,
    ...(store ? { store } : {}),
  });
  if (reporter.json) {
    const { trace, saliency, prediction, ...rest } = r;
    const values = { prediction: round(prediction), saliency: saliency.map((v) => round(v)) };
    reporter.io.stdout.write(
      `${JSON.stringify({ ...rest, ...values, kind: trace.kind, layers: traceJson(trace) })}\n`,
    );
    return;
  }
  reporter.print(
    `${r.target}\t${r.prediction.toFixed(4)}\t(next step after ${r.steps[r.steps.length - 1]}, ${r.trace.kind})`,
  );
  reporter.print('steps of the window that moved the prediction most (integrated gradient × input):');
  printRanked(r.steps, r.saliency, reporter);
  printUnits(r.drawn, reporter);
  for (const file of r.charts) reporter.note(`wrote ${file}`);
}

async function inspectTextCommand(o: InspectFlags, reporter: Reporter): Promise<void> {
  const opened = await loadTextModel(o.model!);
  const store = o.out !== undefined ? nodeRunStore(o.out, { checkpoints: false }) : undefined;
  const r = await inspectText(opened, o.text!, {
    top: o.top,
    layer: o.layer,
    direction: o.direction,
    saliencySteps: o.saliencySteps,
    ...(store ? { store } : {}),
  });
  if (!reporter.json) return printText(r, reporter);
  const { trace, charts, ...rest } = r;
  const probabilities = Object.fromEntries(Object.entries(r.probabilities).map(([l, p]) => [l, round(p)]));
  const saliency = r.saliency.map((v) => round(v));
  reporter.io.stdout.write(
    `${JSON.stringify({ ...rest, probabilities, saliency, kind: trace.kind, layers: traceJson(trace), charts })}\n`,
  );
}

const DISTANCES = [0, 10, 25, 50, 75, 99];

async function gradientFlowCommand(o: InspectFlags, reporter: Reporter): Promise<void> {
  const T = o.length;
  const training = { T, steps: o.steps, hiddenSize: o.hidden, seed: o.seed };
  reporter.note(`training RNN, LSTM and GRU on the adding problem (T = ${T}, ${training.steps} steps each)…`);
  const store = o.out !== undefined ? nodeRunStore(o.out, { checkpoints: false }) : undefined;
  const r = await gradientFlowReport({ ...training, ...(store ? { store } : {}) });
  const at = DISTANCES.filter((k) => k < T);
  for (const f of r.flows) {
    if (reporter.json) {
      const norms = (a: Float64Array) => Array.from(a, (v) => Number(v.toPrecision(4)));
      reporter.io.stdout.write(
        `${JSON.stringify({ cell: f.cell, T, mse: round(f.mse), input: norms(f.input), hidden: norms(f.hidden) })}\n`,
      );
    }
  }
  reporter.print(`mean ‖∂ŷ/∂x_t‖ over 64 held-out sequences, by steps back in time (T = ${T}):`);
  reporter.print(`cell  test MSE  ${at.map((k) => String(k).padStart(9)).join(' ')}   last/first`);
  for (const f of r.flows) {
    const cols = at.map((k) => f.input[k]!.toExponential(2).padStart(9)).join(' ');
    const ratio = f.input[T - 1]! / f.input[0]!;
    reporter.print(
      `${f.cell.padEnd(4)}  ${f.mse.toFixed(4).padStart(8)}  ${cols}   ${ratio.toExponential(1)}`,
    );
  }
  for (const file of r.charts) reporter.note(`wrote ${file}`);
}

export function inspectCommand(program: Command, reporter: (cmd: Command) => Reporter): void {
  program
    .command('inspect')
    .description(
      'look inside a recurrent model: its gates, states and the tokens behind a prediction, or how far back gradients reach',
    )
    .option('--model <dir>', 'text model directory written by `kioku train text`')
    .option('--text <text>', 'the text to run the model on')
    .option('--data <file>', "a forecaster's series (CSV with its columns)")
    .option(
      '--row <n>',
      'with --data: the last row of the window the forecaster reads (0-based data row)',
      int('--row', 0),
    )
    .option('--out <dir>', 'write the charts here (SVG and PNG)')
    .option('--top <n>', 'units drawn per heatmap, most active first', int('--top'), 16)
    .option(
      '--layer <n>',
      'the layer whose gates and state are drawn: an index from 0, top or all',
      layerChoice,
      'top',
    )
    .addOption(
      new Option('--direction <d>', 'the direction drawn of a bidirectional layer')
        .choices(DIRECTION_CHOICES)
        .default('forward'),
    )
    .option(
      '--saliency-steps <n>',
      'integrated-gradients steps of the token saliency (1: plain gradient × input)',
      int('--saliency-steps'),
      32,
    )
    .option(
      '--gradient-flow',
      'train RNN, LSTM and GRU on the adding problem and measure ‖∂ŷ/∂x_t‖ back in time',
    )
    .option('--steps <n>', 'training steps per cell with --gradient-flow', int('--steps'), 1500)
    .option(
      '--length <n>',
      'sequence length of the adding problem with --gradient-flow',
      int('--length', 2),
      100,
    )
    .option('--hidden <n>', 'hidden units per cell with --gradient-flow', int('--hidden'), 16)
    .option('--seed <n>', 'seed of initialisation and data with --gradient-flow', int('--seed', 0), 1)
    .addHelpText(
      'after',
      examples([
        'kioku inspect --model runs/spam/model --text "WIN a FREE cruise, click now" --out runs/spam/inspect',
        'kioku inspect --model runs/spam/model --text "Meeting moved to 3pm" --json',
        'kioku inspect --model runs/spam/model --text "Meeting moved to 3pm" --layer all --direction both --out runs/spam/inspect',
        'kioku inspect --model runs/seattle/model --data weather.csv --row 400 --out runs/seattle/inspect',
        'kioku inspect --gradient-flow --out docs/figures',
      ]),
    )
    .action(async (opts: InspectFlags, cmd: Command) => {
      const series = opts.data !== undefined || opts.row !== undefined;
      const needs = series ? [opts.model, opts.data, opts.row] : [opts.model, opts.text];
      if (!opts.gradientFlow && needs.includes(undefined)) {
        cmd.error('give --model and --text, --model, --data and --row, or --gradient-flow', { exitCode: 2 });
      }
      const r = reporter(cmd);
      if (opts.gradientFlow) await gradientFlowCommand(opts, r);
      else await (series ? inspectSeriesCommand(opts, r) : inspectTextCommand(opts, r));
    });
}
