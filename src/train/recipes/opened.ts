import type { Module } from '../../nn/module.js';

/**
 * A saved model opened for use: its head rebuilt with `modelFromConfig(config.architecture)`
 * and its weights loaded, beside its config.json. A recipe's result is one too
 * (`{ model: result.model, config: result.config }`).
 */
export interface OpenedModel {
  model: Module;
  config: { task: string; [key: string]: unknown };
  /** Where it came from (a directory, a URL); messages name it. Default 'model'. */
  where?: string;
}
