/**
 * Typed errors. Every message names the argument, what was expected and what came,
 * so a user can fix the call without reading kioku's source.
 */
export class KiokuError extends Error {
  override name = 'KiokuError';
}

/** Shapes that do not fit together (matmul, broadcasting, layer inputs). */
export class ShapeError extends KiokuError {
  override name = 'ShapeError';
}

/** A tensor of the wrong element type (float32 where int32 indices are needed, …). */
export class DTypeError extends KiokuError {
  override name = 'DTypeError';
}

/** An argument outside its allowed values (a negative size, an unknown reduction, a NaN rate). */
export class ValueError extends KiokuError {
  override name = 'ValueError';
}

/** An index outside the valid range (token id ≥ vocabulary size, gather index ≥ dim). */
export class IndexError extends KiokuError {
  override name = 'IndexError';
}

/** A state dict or saved model that does not match the module it is loaded into. */
export class StateDictError extends KiokuError {
  override name = 'StateDictError';
}
