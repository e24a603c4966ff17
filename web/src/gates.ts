import {
  type DirectionTrace,
  inspectText,
  type Tensor,
  TextClassifier,
  type TextInspection,
} from '../../src/index.js';
import { spellOut } from './data-format.js';
import { $, messageOf, say } from './dom.js';
import { type CurrentModel, characterModel } from './try.js';

/*
 * Beside a text's prediction: a heatmap of each gate (and the cell and hidden state) over its
 * tokens for the most active units, from kioku's trace of the model's own kernels. Hovering or
 * focusing a token (arrow keys move between tokens) shows that step's values for those units.
 */

const TOP = 12;
/** σ gates lie in [0, 1]; the rest (g, n, states) are coloured on [−1, 1]. */
const SIGMOID = new Set(['i', 'f', 'o', 'r', 'z']);

interface View {
  inspection: TextInspection;
  dir: DirectionTrace;
  units: number[];
}

let view: View | null = null;

/** Name → (K, 1, W) tensor of every panel: the gates, then the cell state c and hidden state h. */
function panels(dir: DirectionTrace): Array<[string, Tensor]> {
  const list = Object.entries(dir.gates) as Array<[string, Tensor]>;
  if (dir.cell) list.push(['c', dir.cell]);
  if (!('h' in dir.gates)) list.push(['h', dir.hidden]);
  return list;
}

const valueAt = (t: Tensor, step: number, unit: number) => t.f32[step * t.shape[2]! + unit]!;

function colour(gate: string, v: number): string {
  if (SIGMOID.has(gate)) return `hsl(220 80% ${Math.round(97 - 62 * Math.min(1, Math.max(0, v)))}%)`;
  const a = Math.min(1, Math.abs(v));
  return `hsl(${v >= 0 ? 220 : 10} 80% ${Math.round(97 - 55 * a)}%)`;
}

const div = (className: string, text = '') =>
  Object.assign(document.createElement('div'), { className, textContent: text });

/** The token row, then per panel a title row and one row per unit, one column per token. */
function drawMap({ inspection, dir, units }: View): void {
  const map = $('gates-map');
  const T = inspection.tokens.length;
  map.style.gridTemplateColumns = `4.2em repeat(${T}, 1.5em)`;
  const nodes: HTMLElement[] = [div('corner')];
  inspection.tokens.forEach((token, t) => {
    const b = Object.assign(document.createElement('button'), {
      type: 'button',
      className: 'token',
      textContent: token,
    });
    b.dataset.step = String(t);
    b.setAttribute('aria-label', `token ${t + 1}: ${token}`);
    nodes.push(b);
  });
  for (const [name, tensor] of panels(dir)) {
    const title = div('panel', name);
    title.style.gridColumn = `1 / span ${T + 1}`;
    nodes.push(title);
    for (const u of units) {
      nodes.push(div('unit', `${name} ${u}`));
      for (let t = 0; t < T; t++) {
        const cell = div('cell');
        cell.dataset.step = String(t);
        cell.style.background = colour(name, valueAt(tensor, t, u));
        nodes.push(cell);
      }
    }
  }
  map.replaceChildren(...nodes);
}

/** The values of every panel at `step` for the view's units, as a table. */
function showStep(step: number): void {
  if (!view) return;
  const { inspection, dir, units } = view;
  const named = panels(dir);
  const details = $('gate-details');
  details.dataset.step = String(step);
  const table = document.createElement('table');
  const head = table.createTHead().insertRow();
  for (const h of ['unit', ...named.map(([n]) => n)])
    head.append(Object.assign(document.createElement('th'), { textContent: h }));
  const body = table.createTBody();
  for (const u of units) {
    const row = body.insertRow();
    row.insertCell().textContent = String(u);
    for (const [, t] of named) row.insertCell().textContent = valueAt(t, step, u).toFixed(3);
  }
  const heading = Object.assign(document.createElement('p'), {
    textContent: `Step ${step + 1}: “${inspection.tokens[step]}” (layer ${dir.layer}, ${dir.direction})`,
  });
  details.replaceChildren(heading, table);
  for (const node of $('gates-map').querySelectorAll<HTMLElement>('[data-step]'))
    node.classList.toggle('active', node.dataset.step === String(step));
}

function useDirection(inspection: TextInspection, k: number): void {
  const drawn = inspection.drawn[k]!;
  view = {
    inspection,
    dir: inspection.trace.layers[drawn.layer]![drawn.direction === 'reverse' ? 1 : 0]!,
    units: drawn.units,
  };
  drawMap(view);
  showStep(0);
}

/** Runs the model's trace on `text` and shows it; a bag-of-words model has no recurrent state to show. */
export async function showGates(m: CurrentModel, text: string): Promise<void> {
  const box = $('gates');
  box.hidden = !(m.opened.model instanceof TextClassifier);
  if (box.hidden) return;
  let inspection: TextInspection;
  try {
    const input = characterModel(m) ? spellOut(text) : text;
    inspection = await inspectText(m.opened, input, {
      saliencySteps: 1,
      top: TOP,
      layer: 'all',
      direction: 'both',
    });
  } catch (e) {
    $('gates-map').replaceChildren();
    say($('gate-details'), messageOf(e), true);
    return;
  }
  const select = $<HTMLSelectElement>('gates-view');
  select.replaceChildren(
    ...inspection.drawn.map((d, k) => new Option(`layer ${d.layer} · ${d.direction}`, String(k))),
  );
  // The top layer's forward direction first: the one the prediction reads last.
  const top = inspection.drawn.findIndex(
    (d) => d.layer === inspection.trace.layers.length - 1 && d.direction === 'forward',
  );
  select.value = String(top);
  select.onchange = () => useDirection(inspection, Number(select.value));
  $('gate-details').classList.remove('error');
  useDirection(inspection, top);
}

/** Hover and keyboard focus on a token (or any cell of its column) show its step. */
export function setUpGates(): void {
  const map = $('gates-map');
  const stepOf = (e: Event) => (e.target as HTMLElement).closest<HTMLElement>('[data-step]')?.dataset.step;
  map.addEventListener('mouseover', (e) => {
    const step = stepOf(e);
    if (step !== undefined) showStep(Number(step));
  });
  map.addEventListener('focusin', (e) => {
    const step = stepOf(e);
    if (step !== undefined) showStep(Number(step));
  });
  map.addEventListener('keydown', (e) => {
    const step = stepOf(e);
    const move = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (step === undefined || move === 0) return;
    map.querySelector<HTMLElement>(`.token[data-step="${Number(step) + move}"]`)?.focus();
    e.preventDefault();
  });
}
