import { initBrowserBackend, openModel } from '../../src/index.js';
import { BUILTIN, type PlaygroundData } from './data-format.js';
import { $, messageOf, say } from './dom.js';
import { setUpForget } from './forget.js';
import { setUpGates, showGates } from './gates.js';
import { setUpGenerate } from './generate.js';
import { enableModelButtons, openDrop, setUpModels } from './models.js';
import { parseDropped } from './parse.js';
import { showResults } from './results.js';
import { type Settings, train } from './training.js';
import { type CurrentModel, showForecast, showModel, showPrediction } from './try.js';

/** The playground: pick data, train in a worker, compare with baselines, try the model, keep it. */

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
let data: PlaygroundData | null = null;
let current: CurrentModel | null = null;
let running: AbortController | null = null;
/** The data set loaded from a file, which the menu's file entry selects again. */
let fileData: PlaygroundData | null = null;
/** Whether the user set Epochs: a new data set then keeps it instead of its own default. */
let epochsSet = false;
const FILE_OPTION = 'file:';

const trainStatus = (text: string, error = false) => say($('train-status'), text, error);
const value = (id: string) => ($(id) as HTMLInputElement).value;

function useData(d: PlaygroundData): void {
  data = d;
  const size =
    d.kind === 'series'
      ? `${d.rows.length} rows × ${d.columns.length} columns (${d.columns.join(', ')})`
      : `${d.texts.length} texts, classes ${d.classes.join(', ')}`;
  say($('data-summary'), `${d.title}: ${size}`);
  const target = $<HTMLSelectElement>('target');
  target.replaceChildren(
    ...(d.kind === 'series' ? d.columns : []).map(
      (c) => new Option(c, c, false, d.kind === 'series' && c === d.target),
    ),
  );
  $('target-label').hidden = d.kind !== 'series';
  // Epochs that let the model beat its baselines on the built-in sets, unless the user chose.
  if (!epochsSet) ($('epochs') as HTMLInputElement).value = d.kind === 'text' && d.characters ? '10' : '8';
}

/** A data set from a file: used, and named in the menu as the entry that selects it. */
function useFileData(d: PlaygroundData, fileName: string): void {
  fileData = d;
  const menu = $<HTMLSelectElement>('dataset');
  const entry = [...menu.options].find((o) => o.value === FILE_OPTION) ?? new Option('', FILE_OPTION);
  entry.textContent = `${fileName} — your file`;
  if (!entry.parentElement) menu.prepend(entry);
  menu.value = FILE_OPTION;
  useData(d);
}

/** Loads a dropped or chosen data file, or says why it cannot be used. */
function loadFile(file: File): void {
  parseDropped(file).then(
    (d) => useFileData(d, file.name),
    (e) => say($('data-summary'), `${file.name}: ${messageOf(e)}`, true),
  );
}

/** A new run starts from a clean page: no scores, curves or status of the previous one. */
function clearPreviousRun(): void {
  $('results-table').innerHTML =
    '<tbody><tr><td class="muted">Training… the scores appear when it finishes.</td></tr></tbody>';
  $('loss-chart').replaceChildren();
  $('metric-chart').replaceChildren();
  ($('progress') as HTMLProgressElement).value = 0;
}

async function loadBuiltin(file: string): Promise<void> {
  say($('data-summary'), 'Loading…');
  const response = await fetch(`data/${file}`);
  useData((await response.json()) as PlaygroundData);
}

function useModel(m: CurrentModel): void {
  current = m;
  $('gates').hidden = true;
  showModel(m);
  enableModelButtons();
}

function settings(): Settings {
  return {
    cell: value('cell') as Settings['cell'],
    hidden: Number(value('hidden')),
    epochs: Number(value('epochs')),
    target: value('target'),
  };
}

const epochCount = (n: number): string => `${n} epoch${n === 1 ? '' : 's'}`;

async function onTrain(): Promise<void> {
  if (!data || running) return;
  running = new AbortController();
  ($('train') as HTMLButtonElement).disabled = true;
  ($('stop') as HTMLButtonElement).disabled = false;
  clearPreviousRun();
  trainStatus('Starting the worker…');
  try {
    const result = await train(worker, data, settings(), running.signal);
    showResults(result);
    const best = 'baselineFiles' in result ? 'accuracy' : 'MAE';
    trainStatus(
      `Done: ${epochCount(result.fit.epochs)} (${result.fit.stopReason}); best ${best} row highlighted below.`,
    );
    useModel({
      opened: openModel(result.files, { source: 'trained here' }),
      files: result.files,
      label: 'trained here',
    });
  } catch (e) {
    trainStatus(messageOf(e), true);
  } finally {
    running = null;
    ($('train') as HTMLButtonElement).disabled = false;
    ($('stop') as HTMLButtonElement).disabled = true;
  }
}

function onDrop(event: DragEvent): void {
  event.preventDefault();
  $('drop-overlay').hidden = true;
  const transfer = event.dataTransfer;
  if (!transfer) return;
  const file = transfer.files[0];
  // A single .json is data, unless it is named as a model's files are (config.json, TF.js's model.json).
  const data = (name: string) =>
    /\.(csv|tsv|txt)$/i.test(name) || (/\.json$/i.test(name) && !/^(config|model)\.json$/i.test(name));
  if (transfer.files.length === 1 && file && data(file.name)) loadFile(file);
  else void openDrop(transfer, useModel);
}

function wire(): void {
  $('dataset').onchange = () => {
    if (value('dataset') === FILE_OPTION && fileData) useData(fileData);
    else loadBuiltin(value('dataset')).catch((e) => say($('data-summary'), messageOf(e), true));
  };
  const dataFile = $<HTMLInputElement>('data-file');
  dataFile.onchange = () => {
    const file = dataFile.files?.[0];
    if (file) loadFile(file);
  };
  $('epochs').addEventListener('input', () => {
    epochsSet = true;
  });
  $('train').onclick = () => void onTrain();
  $('stop').onclick = () => running?.abort();
  $<HTMLFormElement>('text-form').onsubmit = (e) => {
    e.preventDefault();
    if (!current) return;
    showPrediction(current, value('text-input'));
    void showGates(current, value('text-input'));
  };
  $<HTMLFormElement>('forecast-form').onsubmit = (e) => {
    e.preventDefault();
    if (current) void showForecast(current);
  };
  window.addEventListener('dragover', (e) => {
    e.preventDefault();
    $('drop-overlay').hidden = false;
  });
  window.addEventListener('dragleave', (e) => {
    if (!e.relatedTarget) $('drop-overlay').hidden = true;
  });
  window.addEventListener('drop', onDrop);
  setUpModels(useModel, () => current);
  setUpGates();
  setUpForget(() => new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }));
  setUpGenerate();
}

wire();
initBrowserBackend().then((name) => ($('backend').textContent = `backend: ${name}`));
loadBuiltin(BUILTIN[0].file).catch((e) => say($('data-summary'), messageOf(e), true));
