/**
 * One entry point for `kioku export`: writes a model in another framework's format into a
 * directory (created if needed, updated atomically; other files in it are kept).
 *
 *   onnx     model.onnx
 *   pytorch  model.safetensors + model.py
 *   tfjs     model.json + weights.bin
 */

import type { SequenceForecaster, TextClassifier } from '../../nn/heads.js';
import { LanguageModel } from '../../nn/language-model.js';
import type { GRU, LSTM, RNN } from '../../nn/rnn.js';
import { ValueError } from '../../tensor/errors.js';
import { writeDirAtomic } from '../atomic-node.js';
import { pytorchFiles } from '../pytorch.js';
import { tfjsFiles } from '../tfjs.js';
import { kiokuVersion } from '../version.js';
import { exportOnnx, type OnnxExportOptions } from './export.js';

export const EXPORT_FORMATS = ['onnx', 'pytorch', 'tfjs'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export type ExportableModel = RNN | LSTM | GRU | TextClassifier | SequenceForecaster | LanguageModel;

export const ONNX_FILE = 'model.onnx';

export interface ExportModelOptions {
  /** ONNX only: the operator set (see exportOnnx). */
  opset?: OnnxExportOptions['opset'];
  /** PyTorch only: a forecaster's config.json `series`, so model.py forecasts from raw values. */
  series?: unknown;
}

/**
 * The files of `model` in `format` (name → bytes or text), written nowhere. Models a format
 * cannot express (an LSTM with projSize in ONNX, a GRU in TF.js …) throw ValueError.
 */
export function exportFiles(
  format: ExportFormat,
  model: ExportableModel,
  options: ExportModelOptions = {},
): Record<string, Uint8Array | string> {
  if (!EXPORT_FORMATS.includes(format)) {
    throw new ValueError(
      `exportModel: format must be one of ${EXPORT_FORMATS.join(', ')}, got ${String(format)}`,
    );
  }
  if (options.opset !== undefined && format !== 'onnx') {
    throw new ValueError(`exportModel: opset applies to the onnx format only, got format ${format}`);
  }
  if (format === 'onnx') {
    const onnxOptions: OnnxExportOptions = { producerVersion: kiokuVersion() };
    if (options.opset !== undefined) onnxOptions.opset = options.opset;
    return { [ONNX_FILE]: exportOnnx(model, onnxOptions) };
  }
  if (format === 'pytorch')
    return pytorchFiles(model, options.series === undefined ? {} : { series: options.series });
  if (model instanceof LanguageModel) {
    throw new ValueError('exportModel: a language model exports to onnx or pytorch, not tfjs');
  }
  // exportTfjs checks the model (GRU and non-'last' pooling are refused there).
  return tfjsFiles(model);
}

/**
 * Writes `model` as `format` into `outDir` and returns the names of the files written. Models a
 * format cannot express throw ValueError before anything is written.
 */
export async function exportModel(
  format: ExportFormat,
  model: ExportableModel,
  outDir: string,
  options: ExportModelOptions = {},
): Promise<string[]> {
  if (typeof outDir !== 'string' || outDir === '') {
    throw new ValueError(`exportModel: outDir must be a non-empty string, got ${String(outDir)}`);
  }
  const files = exportFiles(format, model, options);
  await writeDirAtomic(outDir, files);
  return Object.keys(files);
}
