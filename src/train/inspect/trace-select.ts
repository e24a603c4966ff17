import { ValueError } from '../../tensor/errors.js';
import type { DirectionTrace, RecurrentTrace } from './trace.js';

/*
 * Which layers and directions of a trace to draw: the top layer's forward direction by default,
 * any layer by index or every one, and the forward direction, the reverse one or both.
 */

export type LayerChoice = 'top' | 'all' | number;
export type DirectionChoice = 'forward' | 'reverse' | 'both';
export const DIRECTION_CHOICES: readonly DirectionChoice[] = ['forward', 'reverse', 'both'];

export interface TraceSelection {
  /** 'top' (default), 'all', or a layer index from 0. */
  layer?: LayerChoice;
  /** 'forward' (default), 'reverse' (bidirectional layers only) or 'both'. */
  direction?: DirectionChoice;
}

/** The chosen layers and directions, lowest layer first, forward before reverse. */
export function selectDirections(
  where: string,
  trace: RecurrentTrace,
  selection: TraceSelection = {},
): DirectionTrace[] {
  const L = trace.layers.length;
  const D = trace.layers[0]!.length;
  const layer = selection.layer ?? 'top';
  const direction = selection.direction ?? 'forward';
  if (layer !== 'top' && layer !== 'all' && !(Number.isInteger(layer) && layer >= 0 && layer < L)) {
    throw new ValueError(
      `${where}: layer must be 'top', 'all' or an integer in [0, ${L - 1}] (the model has ${L} layer${L === 1 ? '' : 's'}), got ${String(layer)}`,
    );
  }
  if (!DIRECTION_CHOICES.includes(direction)) {
    throw new ValueError(
      `${where}: direction must be one of ${DIRECTION_CHOICES.join(', ')}, got ${String(direction)}`,
    );
  }
  if (direction === 'reverse' && D === 1) {
    throw new ValueError(
      `${where}: direction 'reverse' needs a bidirectional model; this one runs forward only`,
    );
  }
  const layers = layer === 'all' ? trace.layers : [trace.layers[layer === 'top' ? L - 1 : layer]!];
  return layers.flatMap((dirs) => dirs.filter((d) => direction === 'both' || d.direction === direction));
}
