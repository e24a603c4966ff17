export {
  DEFAULT_OPSET,
  exportOnnx,
  MAX_OPSET,
  MIN_OPSET,
  type OnnxExportable,
  type OnnxExportOptions,
  type OnnxRecurrent,
} from './export.js';
