/**
 * Applying a {@link StateDict} (reference names and layouts) to our named
 * variables, and the reverse. Every key is validated before anything is
 * assigned: missing, unexpected and wrongly-shaped keys are all listed in one
 * {@link WeightsError}.
 *
 * Pure compute (no file I/O): safe to import from Deno and browsers.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { WeightsError } from '../core/errors.ts';
import type { StateDict, StoredTensor } from './state-dict.ts';

// ---------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------

/** Where one reference key goes: a variable, and how to convert the stored tensor. */
export interface WeightTarget {
  /** The variable to assign. */
  readonly variable: tf.Variable;
  /** Stored tensor (reference layout) → tensor in our layout, shaped like `variable`. */
  readonly fromStored: (t: StoredTensor) => tf.Tensor;
  /** Our tensor → stored layout (for {@link toStateDict}). Default: identity. */
  readonly toStored?: (x: tf.Tensor) => tf.Tensor;
  /** The shape the stored tensor must have. Default: checked after conversion against the variable. */
  readonly storedShape?: readonly number[];
}

/** Reference key → target. */
export type WeightTargets = Map<string, WeightTarget>;

/** Options of {@link applyStateDict}. */
export interface ApplyStateDictOptions {
  /** Keys of the dict to ignore silently (e.g. optimizer state, `num_batches_tracked`). */
  readonly ignore?: (key: string) => boolean;
  /** Allow keys the model does not have. Default false. */
  readonly allowUnexpected?: boolean;
  /** Allow model variables the dict does not have (they keep their values). Default false. */
  readonly allowMissing?: boolean;
}

const shapeStr = (s: readonly number[]): string => `[${s.join(',')}]`;
const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Convert a stored tensor to a float32 tf tensor of the same (row-major) shape.
 *
 * @example
 * ```ts
 * const x = storedToTensor({ dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) });
 * ```
 */
export const storedToTensor = (t: StoredTensor): tf.Tensor => {
  const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>);
  return tf.tensor(data, [...t.shape], 'float32');
};

/**
 * Identity conversion (same layout), as a `fromStored`.
 *
 * @example
 * ```ts
 * targets.set('style.1.bias', { variable: v, fromStored: sameLayout });
 * ```
 */
export const sameLayout = (t: StoredTensor): tf.Tensor => storedToTensor(t);

/**
 * PyTorch conv weight OIHW → tfjs conv2d filter HWIO.
 *
 * @example
 * ```ts
 * targets.set('conv1.weight', { variable: w, fromStored: hwioFromOihw, toStored: oihwFromHwio });
 * ```
 */
export const hwioFromOihw = (t: StoredTensor): tf.Tensor => tf.tidy(() => tf.transpose(storedToTensor(t), [2, 3, 1, 0]));

/**
 * tfjs HWIO filter → PyTorch OIHW (reverse of {@link hwioFromOihw}).
 *
 * @example
 * ```ts
 * const oihw = oihwFromHwio(filter);
 * ```
 */
export const oihwFromHwio = (x: tf.Tensor): tf.Tensor => tf.transpose(x, [3, 2, 0, 1]);

/**
 * PyTorch OIHW → OHWI (rows = output channels).
 *
 * @example
 * ```ts
 * const ohwi = ohwiFromOihw(stored);
 * ```
 */
export const ohwiFromOihw = (t: StoredTensor): tf.Tensor => tf.tidy(() => tf.transpose(storedToTensor(t), [0, 2, 3, 1]));

/**
 * PyTorch linear weight [out,in] → our [in,out] (for `matMul(x, w)`).
 *
 * @example
 * ```ts
 * targets.set('fc.weight', { variable: w, fromStored: inOutFromOutIn, toStored: outInFromInOut });
 * ```
 */
export const inOutFromOutIn = (t: StoredTensor): tf.Tensor => tf.tidy(() => tf.transpose(storedToTensor(t)));

/**
 * Our [in,out] linear weight → PyTorch [out,in].
 *
 * @example
 * ```ts
 * const w = outInFromInOut(v);
 * ```
 */
export const outInFromInOut = (x: tf.Tensor): tf.Tensor => tf.transpose(x);

/**
 * Stored tensor reshaped to `shape` (same element order), e.g. a PyTorch
 * `[1,C,1,1]` bias to our `[C]`.
 *
 * @example
 * ```ts
 * targets.set('convs.0.activate.bias', { variable: b, fromStored: reshapedTo([64]) });
 * ```
 */
export const reshapedTo =
  (shape: readonly number[]) =>
  (t: StoredTensor): tf.Tensor =>
    tf.tidy(() => storedToTensor(t).reshape([...shape]));

/**
 * PyTorch NCHW tensor → NHWC.
 *
 * @example
 * ```ts
 * targets.set('input.input', { variable: c, fromStored: nhwcFromNchw, toStored: nchwFromNhwc });
 * ```
 */
export const nhwcFromNchw = (t: StoredTensor): tf.Tensor => tf.tidy(() => tf.transpose(storedToTensor(t), [0, 2, 3, 1]));

/**
 * NHWC → PyTorch NCHW.
 *
 * @example
 * ```ts
 * const nchw = nchwFromNhwc(x);
 * ```
 */
export const nchwFromNhwc = (x: tf.Tensor): tf.Tensor => tf.transpose(x, [0, 3, 1, 2]);

// ---------------------------------------------------------------------------
// Apply / save
// ---------------------------------------------------------------------------

/**
 * Assign every tensor of `dict` to its target variable. Validates ALL keys
 * first; on any problem throws one {@link WeightsError} listing every missing,
 * unexpected and wrongly-shaped key, before touching any variable.
 *
 * @example
 * ```ts
 * applyStateDict('loadStyleGAN2(g.pt)', dict, generator.weightTargets());
 * ```
 */
export const applyStateDict = (where: string, dict: StateDict, targets: WeightTargets, options: ApplyStateDictOptions = {}): void => {
  const ignore = options.ignore ?? (() => false);
  const missing: string[] = [];
  const unexpected: string[] = [];
  const wrong: string[] = [];
  const converted = new Map<string, tf.Tensor>();
  const disposeAll = (): void => converted.forEach((t) => t.dispose());
  try {
    for (const key of dict.keys()) if (!ignore(key) && !targets.has(key)) unexpected.push(key);
    for (const [key, target] of targets) {
      const stored = dict.get(key);
      if (stored === undefined) {
        missing.push(key);
        continue;
      }
      const count = stored.shape.reduce((a, b) => a * b, 1);
      if (count !== stored.data.length) {
        wrong.push(`${key}: data holds ${stored.data.length} values but shape ${shapeStr(stored.shape)} needs ${count}`);
        continue;
      }
      if (target.storedShape && !sameShape(target.storedShape, stored.shape)) {
        wrong.push(`${key}: expected ${shapeStr(target.storedShape)}, got ${shapeStr(stored.shape)}`);
        continue;
      }
      let x: tf.Tensor;
      try {
        x = target.fromStored(stored);
      } catch (e) {
        wrong.push(`${key}: shape ${shapeStr(stored.shape)} cannot be converted (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
        continue;
      }
      if (!sameShape(x.shape, target.variable.shape)) {
        wrong.push(`${key}: stored ${shapeStr(stored.shape)} converts to ${shapeStr(x.shape)}, but the variable needs ${shapeStr(target.variable.shape)}`);
        x.dispose();
        continue;
      }
      converted.set(key, x);
    }
    const problems: string[] = [];
    if (missing.length > 0 && !options.allowMissing) problems.push(`${missing.length} missing: ${missing.join(', ')}`);
    if (unexpected.length > 0 && !options.allowUnexpected) problems.push(`${unexpected.length} unexpected: ${unexpected.join(', ')}`);
    if (wrong.length > 0) problems.push(`${wrong.length} wrongly shaped:\n  - ${wrong.join('\n  - ')}`);
    if (problems.length > 0) throw new WeightsError(where, `state dict does not fit the model; ${problems.join('; ')}`);
    for (const [key, x] of converted) (targets.get(key) as WeightTarget).variable.assign(x);
  } finally {
    disposeAll();
  }
};

/**
 * Our variables → a {@link StateDict} with the reference names and layouts
 * (the reverse of {@link applyStateDict}; used to save).
 *
 * @example
 * ```ts
 * const dict = toStateDict(generator.weightTargets());
 * ```
 */
export const toStateDict = (targets: WeightTargets): StateDict => {
  const out: StateDict = new Map();
  for (const [key, target] of targets) {
    const x = tf.tidy(() => (target.toStored ? target.toStored(target.variable) : target.variable.clone()));
    const data = x.dataSync() as Float32Array;
    const shape = target.storedShape ? [...target.storedShape] : x.shape;
    out.set(key, { dtype: 'float32', shape, data: Float32Array.from(data) });
    x.dispose();
  }
  return out;
};
