import { $, say } from './dom.js';
import type { LmReply, LmRequest } from './lm-protocol.js';

/**
 * The generate panel: a tiny character LSTM trained in a worker of its own on the opening
 * chapters of Moby Dick, then text streamed into the page character by character as the worker
 * draws it. The page only appends what arrives, so it stays responsive throughout.
 */

const status = (text: string, error = false) => say($('generate-status'), text, error);

async function builtinText(): Promise<string> {
  const response = await fetch('data/moby-dick-opening.txt');
  if (!response.ok) throw new Error(`data/moby-dick-opening.txt: HTTP ${response.status}`);
  return response.text();
}

/** What the status line says for a progress message from the worker. */
function progressText(reply: LmReply): string | null {
  if (reply.type === 'data') {
    return `Training on ${reply.train} characters (${reply.vocabulary} distinct), ${reply.backend} backend…`;
  }
  if (reply.type === 'eval') {
    return `epoch ${reply.epoch.toFixed(0)}: validation ${reply.nats.toFixed(3)} nats/char (${reply.seconds.toFixed(1)} s)`;
  }
  if (reply.type === 'trained') return `Trained (validation ${reply.nats.toFixed(3)} nats/char); writing…`;
  return null;
}

function onReply(reply: LmReply, out: HTMLElement, finish: () => void): void {
  const progress = progressText(reply);
  if (progress !== null) status(progress);
  if (reply.type === 'trained') out.dataset.nats = String(reply.nats);
  else if (reply.type === 'token') out.append(reply.text);
  else if (reply.type === 'done' || reply.type === 'error') {
    status(reply.type === 'done' ? 'Done.' : reply.message, reply.type === 'error');
    finish();
  }
}

async function generate(button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  const out = $('generated');
  const prompt = ($('generate-prompt') as HTMLInputElement).value || 'Call me';
  out.textContent = prompt;
  delete out.dataset.nats;
  status('Loading the text…');
  const worker = new Worker(new URL('./lm-worker.js', import.meta.url), { type: 'module' });
  const finish = () => {
    worker.terminate();
    button.disabled = false;
  };
  worker.onmessage = (m: MessageEvent<LmReply>) => onReply(m.data, out, finish);
  worker.onerror = (e) => {
    status(e.message || 'the worker failed', true);
    finish();
  };
  try {
    const request: LmRequest = {
      text: await builtinText(),
      prompt,
      length: 300,
      epochs: 3,
      hidden: 64,
      seed: 1,
    };
    worker.postMessage(request);
  } catch (e) {
    status(e instanceof Error ? e.message : String(e), true);
    finish();
  }
}

/** Wires the panel's button. */
export function setUpGenerate(): void {
  const button = $<HTMLButtonElement>('generate');
  button.addEventListener('click', () => void generate(button));
}
