/**
 * One optimizer step with non-finite detection, and the per-step randomness
 * that makes data order a function of (seed, step) only.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { fusedSumSquares } from '../core/fused-ops.ts';
import { Rng } from '../core/rng.ts';
import type { Adam } from './adam.ts';
import { NonFiniteError } from './errors.ts';

/** What to do when a loss or gradient is not finite: stop with {@link NonFiniteError}, or skip the step and count it. */
export type NonFinitePolicy = 'stop' | 'skip';

/** Outcome of {@link minimize}. */
export interface MinimizeResult {
  /** The loss value. */
  readonly loss: number;
  /** True when the step was skipped because something was not finite. */
  readonly skipped: boolean;
}

/** Where {@link minimize} is, for error messages. */
export interface StepContext {
  /** Global step. */
  readonly step: number;
  /** Phase name. */
  readonly phase: string;
  /** Non-finite policy. */
  readonly onNonFinite: NonFinitePolicy;
  /** Learning rate for this step (schedules); default the optimizer's. */
  readonly lr?: number;
}

/** The largest finite float32: a squared norm above it is what overflows to ∞ in float32 arithmetic. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Σ g² over every element of `grads`, for the finiteness check. With the native kernels, one kernel
 * sums them all in float64 ({@link fusedSumSquares}; the gradients' arrays are not read out to JS, so the
 * array pool can recycle them). On the plain cpu backend the arrays are read in place and summed in
 * float64 by one JS loop — one pass
 * instead of two kernels per variable plus an `addN`, which for a small model's step (the demo's UNet:
 * 50 variables) was ~100 kernel dispatches. Elsewhere (GPU, wasm, libtensorflow) it stays on the device
 * and only the scalar is read back. NaN when any element is NaN, and > {@link FLOAT32_MAX} exactly when
 * the float32 sum would have overflowed to ∞ (up to rounding at that boundary).
 */
const squaredNorm = (grads: readonly tf.Tensor[]): number => {
  const fused = fusedSumSquares(grads);
  if (fused !== undefined) return fused;
  if (tf.getBackend() !== 'cpu') return tf.tidy(() => tf.addN(grads.map((g) => tf.sum(tf.square(g)))).dataSync()[0]!);
  let s = 0;
  for (const g of grads) {
    const a = g.dataSync() as Float32Array;
    for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  }
  return s;
};

/**
 * Compute `loss()` and its gradients w.r.t. the optimizer's variables; if the
 * loss and the gradient norm are finite, apply one Adam step. Otherwise stop or
 * skip (per `ctx.onNonFinite`), leaving the weights untouched.
 *
 * @example
 * ```ts
 * const { loss } = minimize(dOpt, () => dLogisticLoss(d(reals), d(fakes)), { step, phase: 'Dmain', onNonFinite: 'stop' });
 * ```
 */
export const minimize = (opt: Adam, loss: () => tf.Scalar, ctx: StepContext): MinimizeResult => {
  const { value, grads } = tf.variableGrads(loss, [...opt.variables]);
  try {
    const lossValue = value.dataSync()[0]!;
    const norm2 = squaredNorm(Object.values(grads));
    if (!Number.isFinite(lossValue) || !(norm2 <= FLOAT32_MAX)) {
      if (ctx.onNonFinite === 'stop') {
        throw new NonFiniteError('minimize', ctx.step, ctx.phase, `${Number.isFinite(lossValue) ? 'gradient' : 'loss'} (loss ${lossValue}, ‖grad‖² ${norm2})`);
      }
      return { loss: lossValue, skipped: true };
    }
    opt.apply(grads, ctx.lr);
    return { loss: lossValue, skipped: false };
  } finally {
    value.dispose();
    tf.dispose(grads);
  }
};

/**
 * The random stream for `label` at `step`, derived from the run seed only — so a
 * resumed run draws exactly what an uninterrupted one would.
 *
 * @example
 * ```ts
 * const z = stepRng(seed, step, 'Gmain/z').normalArray(batch * latentDim);
 * ```
 */
export const stepRng = (seed: number | string, step: number, label: string): Rng => new Rng(`${seed}/${label}/${step}`);
