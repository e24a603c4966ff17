// The playground's language-model worker: trains a tiny character LSTM on the text the page
// sends, then streams what it writes, one character per message, so the page never waits.
import { initBrowserBackend } from '../../src/browser/backend.js';
import {
  CharTokenizer,
  Generator,
  generateText,
  LanguageModel,
  manualSeed,
  prepareLmCorpus,
  trainLanguageModel,
} from '../../src/index.js';
import type { LmReply, LmRequest } from './lm-protocol.js';

const post = (reply: LmReply) => (globalThis as unknown as Worker).postMessage(reply);

async function trainAndGenerate(r: LmRequest): Promise<void> {
  const backend = await initBrowserBackend();
  const corpus = prepareLmCorpus(r.text, { tokenizer: new CharTokenizer() });
  post({ type: 'data', backend, train: corpus.train.length, vocabulary: corpus.vocab.size });
  manualSeed(r.seed);
  const model = new LanguageModel({ vocabSize: corpus.vocab.size, embedDim: 16, hiddenSize: r.hidden });
  const result = await trainLanguageModel(model, {
    train: corpus.train,
    val: corpus.val,
    batchSize: 16,
    bptt: 32,
    epochs: r.epochs,
    lr: 0.01,
    decayTo: 0.001,
    onEvent: (e) => {
      if (e.type === 'eval') post({ type: 'eval', epoch: e.epoch, nats: e.val.nats, seconds: e.seconds });
    },
  });
  post({ type: 'trained', nats: result.best!.nats });
  const pieces = generateText(model, corpus.vocab, corpus.tokenizer, {
    prompt: r.prompt,
    length: r.length,
    temperature: 0.8,
    topK: 20,
    generator: new Generator(r.seed),
  });
  for await (const piece of pieces) post({ type: 'token', text: piece });
  post({ type: 'done' });
}

globalThis.addEventListener('message', (m: MessageEvent<LmRequest>) => {
  trainAndGenerate(m.data).catch((e: unknown) =>
    post({ type: 'error', message: e instanceof Error ? e.message : String(e) }),
  );
});
