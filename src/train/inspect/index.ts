// Looking inside recurrent layers: gate activations and states from the fused kernels, gradient
// flow back in time, the adding problem that shows it, and the chart specs that draw them.
export {
  ADDING_CELLS,
  ADDING_DEFAULTS,
  type AddingCell,
  type AddingFlow,
  type AddingModel,
  type AddingTraining,
  addingGradientFlow,
  addingModel,
  addingProblem,
  addingTrainer,
  measureAddingFlow,
  trainAdding,
} from './adding.js';
export { type AddingFlowEvent, type AddingWatchOptions, watchAddingFlow } from './adding-watch.js';
export {
  type FlowSeries,
  gateHeatmapSpec,
  gradientFlowSpec,
  type HeatmapPanel,
  saliencySpec,
  stateLinesSpec,
} from './charts.js';
export { type GradientFlow, type GradientFlowOptions, gradientFlow, meanNorms } from './gradient-flow.js';
export type { RecurrentLayer } from './layer-weights.js';
export { type DirectionTrace, type RecurrentTrace, type TraceOptions, traceRecurrent } from './trace.js';
export {
  DIRECTION_CHOICES,
  type DirectionChoice,
  type LayerChoice,
  selectDirections,
  type TraceSelection,
} from './trace-select.js';
