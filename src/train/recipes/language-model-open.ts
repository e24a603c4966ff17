import { type TokenizerJSON, tokenizerFromJSON } from '../../data/tokenizers.js';
import { Vocab, type VocabJSON } from '../../data/vocab.js';
import { loadWeightsInto } from '../../io/model-format.js';
import { LanguageModel, type LanguageModelConfig } from '../../nn/language-model.js';
import { ValueError } from '../../tensor/errors.js';
import type { Tensor } from '../../tensor/tensor.js';

/** A saved language model rebuilt: the network with its weights, its vocabulary and tokenizer. */
export interface OpenedLanguageModel {
  model: LanguageModel;
  vocab: Vocab;
  tokenizer: ReturnType<typeof tokenizerFromJSON>;
}

/**
 * Rebuilds the language model of a model directory's config.json and weights (as
 * `loadModelDir` returns them); `where` names the directory in errors. The model is in
 * evaluation mode.
 */
export function openLanguageModel(
  config: Record<string, unknown>,
  tensors: Record<string, Tensor>,
  where: string,
): OpenedLanguageModel {
  if (config?.task !== 'language-model') {
    throw new ValueError(
      `"${where}" holds a ${String(config?.task)} model; a language model (kioku train lm) is needed`,
    );
  }
  const arch = config.architecture as (LanguageModelConfig & { type?: string }) | undefined;
  if (!config.vocab || !config.tokenizer || arch?.type !== 'LanguageModel') {
    throw new ValueError(
      `"${where}": config.json lacks the architecture, vocab or tokenizer of a language model`,
    );
  }
  const model = LanguageModel.fromConfig(arch);
  loadWeightsInto(model, tensors, `${where}/model.safetensors`);
  model.eval();
  const vocab = Vocab.fromJSON(config.vocab as VocabJSON);
  if (vocab.size !== model.settings.vocabSize) {
    throw new ValueError(
      `"${where}": the vocabulary has ${vocab.size} tokens but the model predicts ${model.settings.vocabSize}`,
    );
  }
  return { model, vocab, tokenizer: tokenizerFromJSON(config.tokenizer as TokenizerJSON) };
}
