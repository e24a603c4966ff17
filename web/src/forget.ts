import { type AddingFlowEvent, trainInWorker } from '../../src/index.js';
import { drawChart } from './chart.js';
import { $, fillTable, messageOf, say, svg } from './dom.js';

/*
 * "Why did it forget?": a tanh RNN and an LSTM train side by side on the adding problem in a
 * worker of their own, and every few steps the chart shows each one's ‖∂ŷ/∂x_t‖ against the
 * distance back in time. The RNN's falls by many orders of magnitude over the sequence, so the
 * first marked value cannot reach its weights; the LSTM's stays up once it learns to keep.
 */

const COLORS: Record<string, string> = { rnn: '#dc2626', lstm: '#2563eb', gru: '#16a34a' };
const DISTANCES = [0, 10, 25, 50, 75, 99];

let running: AbortController | null = null;
let worker: Worker | null = null;

const input = (id: string) => Number(($(id) as HTMLInputElement).value);
const status = (text: string, error = false) => say($('forget-status'), text, error);

/** The latest measurement of each cell: chart (log scale), numbers at a few distances, status. */
function draw(latest: Map<string, AddingFlowEvent>): void {
  const flows = [...latest.values()];
  const first = flows[0]!;
  drawChart(
    svg('forget-chart'),
    flows.map((f) => ({
      name: f.cell.toUpperCase(),
      color: COLORS[f.cell] ?? '#6b7280',
      points: Array.from(f.input, (v, k) => [k, Math.log10(Math.max(v, 1e-30))] as [number, number]),
    })),
    { title: `log₁₀ ‖∂ŷ/∂x_t‖ by steps back in time, after ${first.step} training steps` },
  );
  const T = first.input.length;
  const at = DISTANCES.filter((k) => k < T - 1).concat(T - 1);
  fillTable(
    $<HTMLTableElement>('forget-table'),
    ['cell', 'test MSE', ...at.map((k) => `${k} back`)],
    flows.map((f) => [
      f.cell.toUpperCase(),
      f.mse.toFixed(4),
      ...at.map((k) => f.input[k]!.toExponential(2)),
    ]),
  );
  const data = Object.fromEntries(
    flows.map((f) => [f.cell, { step: f.step, mse: f.mse, input: Array.from(f.input) }]),
  );
  svg('forget-chart').dataset.flows = JSON.stringify(data);
  ($('forget-progress') as HTMLProgressElement).value = first.step / first.steps;
  status(
    `Step ${first.step} of ${first.steps}: ${flows.map((f) => `${f.cell.toUpperCase()} MSE ${f.mse.toFixed(3)}`).join(', ')}`,
  );
}

async function run(newWorker: () => Worker): Promise<void> {
  if (running) return;
  running = new AbortController();
  worker ??= newWorker();
  ($('forget-train') as HTMLButtonElement).disabled = true;
  ($('forget-stop') as HTMLButtonElement).disabled = false;
  status('Starting the worker…');
  const latest = new Map<string, AddingFlowEvent>();
  let frame = 0;
  try {
    const options = {
      cells: ['rnn', 'lstm'] as const,
      steps: input('forget-steps'),
      T: input('forget-length'),
      every: 50,
    };
    await trainInWorker(worker, 'adding-flow', options, {
      signal: running.signal,
      onEvent: (e) => {
        latest.set(e.cell, e);
        frame ||= requestAnimationFrame(() => {
          frame = 0;
          draw(latest);
        });
      },
    });
    cancelAnimationFrame(frame);
    draw(latest);
    $('forget-status').textContent += running.signal.aborted ? ' (stopped)' : ' (done)';
  } catch (e) {
    status(messageOf(e), true);
  } finally {
    running = null;
    ($('forget-train') as HTMLButtonElement).disabled = false;
    ($('forget-stop') as HTMLButtonElement).disabled = true;
  }
}

/** Wires the view's buttons; `newWorker` starts a kioku/worker (on first use). */
export function setUpForget(newWorker: () => Worker): void {
  $('forget-train').onclick = () => void run(newWorker);
  $('forget-stop').onclick = () => running?.abort();
}
