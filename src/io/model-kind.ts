import { BagOfWordsClassifier, SequenceForecaster, TextClassifier } from '../nn/heads.js';
import { LanguageModel } from '../nn/language-model.js';
import { GRU, LSTM, RNN } from '../nn/rnn.js';

/**
 * The class name of a model, as exported files record it (model.py's docstring, model.json's
 * name). Not `constructor.name` for kioku's own classes: bundlers shorten class names when they
 * minify, so a page would export a model called `t`.
 */
export function modelKind(model: unknown): string {
  if (model instanceof TextClassifier) return 'TextClassifier';
  if (model instanceof SequenceForecaster) return 'SequenceForecaster';
  if (model instanceof BagOfWordsClassifier) return 'BagOfWordsClassifier';
  if (model instanceof LanguageModel) return 'LanguageModel';
  if (model instanceof LSTM) return 'LSTM';
  if (model instanceof GRU) return 'GRU';
  if (model instanceof RNN) return 'RNN';
  return typeof model === 'object' && model !== null ? (model as object).constructor.name : String(model);
}
