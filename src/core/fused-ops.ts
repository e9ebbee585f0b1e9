/**
 * Fused operations: one kernel where tfjs would run many. A backend that registers a
 * kernel under one of these names (the project's native CPU kernels do) runs the fused
 * form; on every other backend the callers compose the same maths from tfjs ops, so
 * these functions return `undefined` there and the caller falls back.
 *
 * - {@link fusedBatchNormTrain}: batch-norm with batch statistics (and an optional ReLU)
 *   in one kernel, its gradient in another (a composed BatchNorm is ~25 kernels, each a
 *   pass over the activation).
 * - {@link fusedAdamUpdate}: one Adam step of one variable in one pass.
 * - {@link fusedSumSquares}: Σ g² over many tensors in one kernel (a training step's finiteness check).
 * - {@link fusedAffineGridPlan} and {@link fusedSampleRows}: the bilinear resampling of ADA's geometric
 *   augmentations (plan and 4-tap gathers in native loops instead of JS ones, the same numbers).
 * - {@link registerFusedGradients}: `LeakyRelu`'s gradient as one kernel (tfjs runs
 *   greater, multiply and select) where the backend has it, tfjs's own form elsewhere.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';

/** Kernel name of the fused training-mode batch norm: inputs `x`, `gamma`, `beta`; attrs `eps`, `relu`; outputs `[y, mean, variance]`. */
export const BATCH_NORM_TRAIN = 'GanSegmenterBatchNormTrain';
/** Kernel name of its gradient: inputs `dy`, `x`, `y`, `gamma`, `mean`, `variance`, `dmean`, `dvariance`; attrs `eps`, `relu`; outputs `[dx, dgamma, dbeta]`. */
export const BATCH_NORM_TRAIN_GRAD = 'GanSegmenterBatchNormTrainGrad';
/** Kernel name of the leaky-ReLU gradient: inputs `dy`, `x`; attr `alpha`; output `x > 0 ? dy : alpha·dy`. */
export const LEAKY_RELU_GRAD = 'GanSegmenterLeakyReluGrad';
/** Kernel name of the fused Adam step: inputs `x`, `g`, `m`, `v`; attrs `lr`, `beta1`, `beta2`, `eps`, `c1`, `c2`; outputs `[x', m', v']`. */
export const ADAM_UPDATE = 'GanSegmenterAdamUpdate';
/** Kernel name of the affine sampling plan: no inputs; attrs `n`, `h`, `w`, `outH`, `outW`, `theta` (Float64Array, n × 6); outputs `[idx int32 [4, n·outH·outW], wt float32 [same]]`. */
export const AFFINE_GRID_PLAN = 'GanSegmenterAffineGridPlan';
/** Kernel name of the 4-tap row sampling: input `x` [rows, C]; attrs `idx` (Int32Array), `wt` (Float32Array), 4 × `outRows` each, `outRows`, `inRows`, `adjoint`; output [outRows or inRows, C]. */
export const SAMPLE_ROWS = 'GanSegmenterSampleRows';
/** Kernel name of the fused squared norm: inputs `x0 … x(k−1)` (float32); output a float32 scalar, Σ x² over all of them summed in float64 and rounded once. */
export const SUM_SQUARES = 'GanSegmenterSumSquares';

/**
 * Whether the active backend has the fused kernel `name`.
 *
 * @example
 * ```ts
 * if (hasFusedKernel(BATCH_NORM_TRAIN)) console.log('fused batch norm available');
 * ```
 */
export const hasFusedKernel = (name: string): boolean => tf.getKernel(name, tf.getBackend()) !== undefined;

interface EngineState {
  state: { gradientDepth: number };
}
const gradientDepth = (): number => (tf.engine() as unknown as EngineState).state.gradientDepth;

const registerBatchNormGradient = (): void => {
  if (tf.getGradient(BATCH_NORM_TRAIN)) return;
  tf.registerGradient({
    kernelName: BATCH_NORM_TRAIN,
    inputsToSave: ['x', 'gamma'],
    outputsToSave: [true, true, true],
    gradFunc: (dys, saved, attrs) => {
      const [dy, dmean, dvariance] = dys as tf.Tensor[];
      const [x, gamma, y, mean, variance] = saved as tf.Tensor[];
      const [dx, dgamma, dbeta] = tf.engine().runKernel(
        BATCH_NORM_TRAIN_GRAD,
        { dy: dy!, x: x!, y: y!, gamma: gamma!, mean: mean!, variance: variance!, dmean: dmean!, dvariance: dvariance! },
        attrs as unknown as tf.NamedAttrMap,
      ) as tf.Tensor[];
      return { x: () => dx!, gamma: () => dgamma!, beta: () => dbeta! };
    },
  });
};

/**
 * Register the gradients of the fused kernels, and a `LeakyRelu` gradient that runs the
 * fused {@link LEAKY_RELU_GRAD} kernel where the active backend has it and tfjs's own
 * composition (`where(x > 0, dy, α·dy)`) elsewhere; the fused gradient's own gradient
 * (second order, e.g. R1) is the same op in `dy` and zero in `x`. Idempotent. The native
 * kernels call it before enabling the lean tape, which keeps `LeakyRelu`'s output instead
 * of its input for this gradient as for tfjs's (same sign pattern for α ≥ 0).
 *
 * @example
 * ```ts
 * registerFusedGradients();
 * const g = tf.grad((x) => tf.sum(tf.leakyRelu(x, 0.2)))(tf.tensor1d([-1, 2])); // [0.2, 1]
 * ```
 */
export const registerFusedGradients = (): void => {
  registerBatchNormGradient();
  if (leakyReluRegistered) return;
  leakyReluRegistered = true;
  const leakyGrad = (dy: tf.Tensor, x: tf.Tensor, alpha: number): tf.Tensor =>
    dy.dtype === 'float32' && x.dtype === 'float32' && hasFusedKernel(LEAKY_RELU_GRAD)
      ? (tf.engine().runKernel(LEAKY_RELU_GRAD, { dy, x }, { alpha }) as tf.Tensor)
      : tf.where(tf.greater(x, 0), dy, tf.mul(dy, alpha));
  tf.registerGradient({
    kernelName: 'LeakyRelu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as tf.Tensor[];
      const alpha = Number(attrs['alpha']);
      return { x: () => leakyGrad(dy as tf.Tensor, x!, alpha) };
    },
  });
  tf.registerGradient({
    kernelName: LEAKY_RELU_GRAD,
    inputsToSave: ['x'],
    gradFunc: (ddx, saved, attrs) => {
      const [x] = saved as tf.Tensor[];
      const alpha = Number(attrs['alpha']);
      return { dy: () => leakyGrad(ddx as tf.Tensor, x!, alpha), x: () => tf.zerosLike(x!) };
    },
  });
};
let leakyReluRegistered = false;

/** What {@link fusedBatchNormTrain} returns. */
export interface FusedBatchNormResult {
  /** Normalised, scaled, shifted (and rectified) output, the shape of the input. */
  readonly y: tf.Tensor4D;
  /** Batch mean per channel [C]. */
  readonly mean: tf.Tensor1D;
  /** Biased batch variance per channel [C]. */
  readonly variance: tf.Tensor1D;
}

/**
 * `(x − mean)·γ/√(var + ε) + β` with the batch's per-channel mean and biased variance over
 * N, H, W of `x` [N,H,W,C] (then `max(·, 0)` when `relu`), differentiable, in one kernel.
 * Returns `undefined` where the backend has no such kernel, `x` is not float32, or a
 * higher-order gradient is being recorded (the fused gradient has no gradient of its own);
 * the caller then composes it from tfjs ops.
 *
 * @example
 * ```ts
 * const r = fusedBatchNormTrain(x, gamma, beta, 1e-5, true);
 * const y = r ? r.y : tf.relu(composedBatchNorm(x));
 * ```
 */
export const fusedBatchNormTrain = (x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number, relu: boolean): FusedBatchNormResult | undefined => {
  if (x.dtype !== 'float32' || !hasFusedKernel(BATCH_NORM_TRAIN) || !hasFusedKernel(BATCH_NORM_TRAIN_GRAD) || gradientDepth() > 1) return undefined;
  registerBatchNormGradient();
  const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAIN, { x, gamma, beta }, { eps, relu }) as tf.Tensor[];
  return { y: y as tf.Tensor4D, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
};

/**
 * One Adam step of one variable in one kernel: `m' = β1·m + (1 − β1)·g`,
 * `v' = β2·v + (1 − β2)·g²`, `x' = x − (m'/c1·lr)/(√(v'/c2) + ε)` (c1, c2: the bias
 * corrections `1 − β^t`), in the same float32 operation order as the composed update.
 * Returns `undefined` where the backend has no such kernel or a tensor is not float32.
 *
 * @example
 * ```ts
 * const r = fusedAdamUpdate(x, g, m, v, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, c1: 0.1, c2: 0.001 });
 * if (r) { x.assign(r.x); m.assign(r.m); v.assign(r.v); tf.dispose([r.x, r.m, r.v]); }
 * ```
 */
export const fusedAdamUpdate = (
  x: tf.Tensor,
  g: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  s: { readonly lr: number; readonly beta1: number; readonly beta2: number; readonly eps: number; readonly c1: number; readonly c2: number },
): { readonly x: tf.Tensor; readonly m: tf.Tensor; readonly v: tf.Tensor } | undefined => {
  if (![x, g, m, v].every((t) => t.dtype === 'float32') || !hasFusedKernel(ADAM_UPDATE)) return undefined;
  if (g.size !== x.size || m.size !== x.size || v.size !== x.size) return undefined;
  const [nx, nm, nv] = tf.engine().runKernel(ADAM_UPDATE, { x, g, m, v }, { ...s }) as tf.Tensor[];
  return { x: nx!, m: nm!, v: nv! };
};

/**
 * Σ x² over every element of `xs`, summed in float64 by one kernel and rounded once to float32
 * (so +∞ when the sum is beyond float32's range, NaN when an element is NaN), read back as a
 * number. Returns `undefined` where the backend has no such kernel, `xs` is empty or a tensor is
 * not float32; the caller then computes it another way.
 *
 * @example
 * ```ts
 * const norm2 = fusedSumSquares(Object.values(grads)) ?? slowSquaredNorm(grads);
 * if (!(norm2 <= 3.4028234663852886e38)) console.log('gradient not finite');
 * ```
 */
export const fusedSumSquares = (xs: readonly tf.Tensor[]): number | undefined => {
  if (xs.length === 0 || !xs.every((t) => t.dtype === 'float32') || !hasFusedKernel(SUM_SQUARES)) return undefined;
  const inputs: tf.NamedTensorMap = {};
  xs.forEach((t, i) => { inputs[`x${i}`] = t; });
  const r = tf.engine().runKernel(SUM_SQUARES, inputs) as tf.Tensor;
  const v = r.dataSync()[0]!;
  r.dispose();
  return v;
};

/**
 * The bilinear sampling plan of `grid_sample(x, affine_grid(θ), align_corners=False)` with zero
 * padding, computed by one kernel: for each of the n·outH·outW output pixels, the four input rows
 * (pixel indices into [n·h·w]; 0 outside) and weights (0 outside), tap k = 2·dy + dx at offset
 * k·n·outH·outW. The same numbers as the JS plan in `src/train/ada.ts`. `undefined` where the
 * backend has no such kernel.
 *
 * @example
 * ```ts
 * const plan = fusedAffineGridPlan(16, 152, 152, 140, 140, Float64Array.from(thetas.flat(2)));
 * if (plan) console.log(plan.idx.length); // 4 · 16 · 140 · 140
 * ```
 */
export const fusedAffineGridPlan = (n: number, h: number, w: number, outH: number, outW: number, theta: Float64Array): { readonly idx: Int32Array; readonly wt: Float32Array } | undefined => {
  if (!hasFusedKernel(AFFINE_GRID_PLAN)) return undefined;
  const [i, t] = tf.engine().runKernel(AFFINE_GRID_PLAN, {}, { n, h, w, outH, outW, theta } as unknown as tf.NamedAttrMap) as tf.Tensor[];
  const idx = i!.dataSync() as Int32Array, wt = t!.dataSync() as Float32Array;
  tf.dispose([i!, t!]);
  return { idx, wt };
};

/**
 * Σₖ wtₖ·x[idxₖ] row by row ([inRows, C] → [outRows, C]), or with `adjoint` its transpose (a
 * scatter-add, [outRows, C] → [inRows, C]), in one kernel: the sums rounded as the JS loop in
 * `src/train/ada.ts` rounds them, in its order. Not differentiable by itself (the caller wraps it
 * in a custom gradient). `undefined` where the backend has no such kernel or `x` is not float32.
 *
 * @example
 * ```ts
 * const y = fusedSampleRows(x2d, plan.idx, plan.wt, outRows, inRows, false) ?? slowSample(x2d);
 * ```
 */
export const fusedSampleRows = (x: tf.Tensor2D, idx: Int32Array, wt: Float32Array, outRows: number, inRows: number, adjoint: boolean): tf.Tensor2D | undefined => {
  if (x.dtype !== 'float32' || !hasFusedKernel(SAMPLE_ROWS)) return undefined;
  return tf.engine().runKernel(SAMPLE_ROWS, { x }, { idx, wt, outRows, inRows, adjoint } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
};
