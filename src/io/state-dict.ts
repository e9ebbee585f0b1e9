/**
 * The in-memory form every weight file decodes to (safetensors, PyTorch
 * checkpoints, `.npy`), before names are mapped and layouts converted.
 *
 * @module
 */

/** Element types a stored tensor can have. */
export type StoredDType = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

/**
 * One stored tensor, in the layout of the framework that wrote it (row-major,
 * e.g. PyTorch's NCHW / OIHW). Floating-point data is widened to float32.
 */
export interface StoredTensor {
  /** The dtype in the file. */
  readonly dtype: StoredDType;
  /** The shape in the file. */
  readonly shape: readonly number[];
  /** Values, row-major: float32 for floats, Int32Array for integers that fit, Float64Array for int64 beyond ±2^31. */
  readonly data: Float32Array | Int32Array | Float64Array | Uint8Array;
}

/**
 * Name → tensor, in file order.
 *
 * @example
 * ```ts
 * const sd: StateDict = new Map([['conv.weight', { dtype: 'float32', shape: [4, 3, 3, 3], data: new Float32Array(108) }]]);
 * ```
 */
export type StateDict = Map<string, StoredTensor>;

/**
 * The dict with PyTorch DataParallel's `module.` prefix taken off every key that has it (other
 * keys as they are; values shared, not copied).
 *
 * @example
 * ```ts
 * applyStateDict(where, withoutModulePrefix(checkpoint.get('generator')), targets);
 * ```
 */
export const withoutModulePrefix = (dict: StateDict): StateDict => {
  const stripped: StateDict = new Map();
  for (const [key, v] of dict) stripped.set(key.startsWith('module.') ? key.slice('module.'.length) : key, v);
  return stripped;
};
