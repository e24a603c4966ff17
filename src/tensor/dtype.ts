/** Element types of a tensor: float32 values, or int32 indices. */
export type DType = 'float32' | 'int32';

/** The storage of a tensor of each dtype. */
export type TypedArray = Float32Array | Int32Array;
