import { describe, expect, it } from 'vitest';
import { Vocab } from '../../src/data/vocab.js';
import { TextClassifier } from '../../src/nn/heads.js';
import { freezeRecurrentLayers } from '../../src/nn/rnn.js';
import { type OpenedModel, predictText } from '../../src/train/recipes/index.js';
import { textServing } from '../../src/train/recipes/serving-text.js';

/**
 * A served text classifier: which models keep sessions, and a batch classified in one forward,
 * longest first (the native driver then skips the steps of finished rows), answering what
 * predictText answers for the same texts.
 */

const opened = (settings: Partial<ConstructorParameters<typeof TextClassifier>[0]>, maxLen = 8) => {
  const vocab = Vocab.build([['spam', 'ham', 'eggs']]);
  const model = new TextClassifier({ vocabSize: vocab.size, embedDim: 4, hiddenSize: 3, ...settings });
  model.eval();
  const config = { task: 'classification', labels: ['a', 'b'], vocab: vocab.toJSON(), maxLen };
  return { model, config, where: 'm' } as unknown as OpenedModel;
};

describe('textServing', () => {
  it('keeps sessions only for a model whose last state is all it reads', () => {
    expect(textServing(opened({})).sessionless).toBeNull();
    expect(textServing(opened({ bagOfWords: true })).sessionless).toMatch(/bag of words over the whole text/);
    expect(textServing(opened({ bidirectional: true })).sessionless).toMatch(/from its end/);
  });

  // Seven texts (more than the four rows a product streams unpacked), their lengths in no order.
  const texts = [
    'eggs ham',
    'spam ham eggs spam eggs ham spam',
    'eggs',
    'ham ham spam eggs',
    'spam spam spam spam spam spam spam spam spam',
    'ham ham',
    'eggs spam ham',
  ];
  const shapes = {
    'last state': {},
    'a bag of words': { bagOfWords: true },
    'bidirectional, max pooling': { bidirectional: true, pooling: 'max' },
    'two GRU layers': { cell: 'gru', numLayers: 2 },
    wide: { embedDim: 384, hiddenSize: 128 },
  } as const;

  for (const [name, settings] of Object.entries(shapes)) {
    for (const frozen of [false, true]) {
      it(`classifies a batch bit for bit as predictText does (${name}${frozen ? ', frozen' : ''})`, () => {
        const m = opened(settings);
        const want = predictText(m, texts);
        if (frozen) freezeRecurrentLayers(m.model);
        const serving = textServing(m);
        const together = serving.classify(texts.map((t) => serving.encode(t)));
        expect(together).toEqual(want);
      });
    }
  }

  it('steps sessions longest first and answers each as predictText answers its text so far', () => {
    const m = opened({ cell: 'gru' }, 64);
    freezeRecurrentLayers(m.model);
    const serving = textServing(m);
    const second = [...texts].reverse();
    const first = serving.step(
      texts.map((t) => serving.tokens(t)),
      texts.map(() => null),
    );
    expect(first.predictions).toEqual(predictText(m, texts));
    const then = serving.step(
      second.map((t) => serving.tokens(t)),
      first.states,
    );
    expect(then.predictions).toEqual(
      predictText(
        m,
        texts.map((t, i) => `${t} ${second[i]}`),
      ),
    );
  });

  it('answers a label named __proto__ as a key of the probabilities, not a prototype', () => {
    const m = opened({});
    (m.config as unknown as { labels: string[] }).labels = ['__proto__', 'b'];
    const serving = textServing(m);
    const [p] = serving.classify([serving.encode('spam ham')]);
    expect(Object.keys(p!.probabilities)).toEqual(['__proto__', 'b']);
    expect(Object.getPrototypeOf(p!.probabilities)).toBe(Object.prototype);
  });
});
