/**
 * upfirdn2d: upsample (zero insertion), pad, FIR filter, downsample — the
 * resampling primitive of StyleGAN2 (blur, Upsample, Downsample), in NHWC.
 * Follows the native-free formulation of rosinality's `upfirdn2d_native`:
 * the filter is applied as a true convolution (kernel flipped).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../core/errors.ts';
import { assertShape } from '../core/tensor.ts';

/** Options of {@link upfirdn2d}. */
export interface UpFirDnOptions {
  /** Upsampling factor (zeros inserted after each sample). Default 1. */
  readonly up?: number;
  /** Downsampling factor (keep every `down`-th sample). Default 1. */
  readonly down?: number;
  /** Padding [before, after] on both spatial axes, applied after upsampling; negative crops. Default [0, 0]. */
  readonly pad?: readonly [number, number];
}

/**
 * A normalized 2-D FIR kernel from 1-D taps (outer product) or 2-D taps,
 * scaled by `gain` (rosinality's `make_kernel(k) * gain`).
 *
 * @example
 * ```ts
 * const k = makeKernel([1, 3, 3, 1]);       // 4×4, sums to 1
 * const kUp = makeKernel([1, 3, 3, 1], 4);  // for 2× upsampling: sums to 4
 * ```
 */
export const makeKernel = (taps: readonly number[] | readonly (readonly number[])[], gain = 1): tf.Tensor2D =>
  tf.tidy(() => {
    const k2 = Array.isArray(taps[0])
      ? tf.tensor2d(taps as number[][])
      : tf.outerProduct(tf.tensor1d(taps as number[]), tf.tensor1d(taps as number[]));
    return tf.mul(tf.div(k2, tf.sum(k2)), gain) as tf.Tensor2D;
  });

/**
 * Insert `up − 1` zeros after every sample along H and W: [N,H,W,C] → [N,H·up,W·up,C].
 *
 * @example
 * ```ts
 * const u = zeroInsert(x, 2); // x[n,i,j,c] lands at u[n,2i,2j,c]
 * ```
 */
export const zeroInsert = (x: tf.Tensor4D, up: number): tf.Tensor4D =>
  tf.tidy(() => {
    if (up === 1) return x.clone();
    const [n, h, w, c] = x.shape;
    const alongW = tf.pad(x.reshape([n, h, w, 1, c]), [[0, 0], [0, 0], [0, 0], [0, up - 1], [0, 0]]).reshape([n, h, 1, w * up, c]);
    return tf.pad(alongW, [[0, 0], [0, 0], [0, up - 1], [0, 0], [0, 0]]).reshape([n, h * up, w * up, c]);
  });

/**
 * Depthwise FIR correlation (valid, stride `down`) with a constant kernel
 * [kh,kw,C,1] of `x` padded (positive) or cropped (negative) by `pads` = [top,
 * bottom, left, right]; the padding is the depthwise conv's own (no padded copy).
 * Wrapped in a custom gradient whose backward pass is again this op (zero-insert
 * by `down`, pad, correlate with the flipped kernel) — so gradients of any order
 * exist on every backend (R1 needs the second order; tfjs has no gradient for
 * DepthwiseConv2dNativeBackpropInput).
 */
const firCorrelate = (x: tf.Tensor4D, taps: Float32Array, kh: number, kw: number, down: number, pads: readonly [number, number, number, number]): tf.Tensor4D => {
  const c = x.shape[3];
  const [a0, a1, b0, b1] = pads;
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const v = args[0] as tf.Tensor4D;
    const k = tf.tile(tf.tensor4d(taps, [kh, kw, 1, 1]), [1, 1, c, 1]) as tf.Tensor4D;
    const cropped = padOrCrop2(v, [Math.min(a0, 0), Math.min(a1, 0)], [Math.min(b0, 0), Math.min(b1, 0)]);
    const explicit: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [Math.max(a0, 0), Math.max(a1, 0)], [Math.max(b0, 0), Math.max(b1, 0)], [0, 0]];
    const value = tf.depthwiseConv2d(cropped, k, down, explicit);
    const gradFunc = (dy: tf.Tensor4D): tf.Tensor => {
      const [, h, w] = v.shape;
      const [, ho, wo] = dy.shape;
      // The gradient of the padded input is the flipped correlation of the zero-inserted dy padded by
      // [kh − 1, H' − ho·down] (H' = h + a0 + a1); cropping it back to x by [a0, a1] folds into that padding.
      return firCorrelate(zeroInsert(dy, down), taps.slice().reverse(), kh, kw, 1, [kh - 1 - a0, h + a0 - ho * down, kw - 1 - b0, w + b0 - wo * down]);
    };
    return { value, gradFunc };
  });
  return f(x) as tf.Tensor4D;
};

/** Pad (positive) or crop (negative) H by [a0, a1] and W by [b0, b1]. */
const padOrCrop2 = (x: tf.Tensor4D, [a0, a1]: readonly [number, number], [b0, b1]: readonly [number, number]): tf.Tensor4D => {
  let y = x;
  if (a0 > 0 || a1 > 0 || b0 > 0 || b1 > 0) {
    y = tf.pad(y, [[0, 0], [Math.max(a0, 0), Math.max(a1, 0)], [Math.max(b0, 0), Math.max(b1, 0)], [0, 0]]);
  }
  if (a0 < 0 || a1 < 0 || b0 < 0 || b1 < 0) {
    const [, h, w] = y.shape;
    const ca0 = Math.max(-a0, 0), ca1 = Math.max(-a1, 0), cb0 = Math.max(-b0, 0), cb1 = Math.max(-b1, 0);
    y = tf.slice(y, [0, ca0, cb0, 0], [-1, h - ca0 - ca1, w - cb0 - cb1, -1]);
  }
  return y;
};

/**
 * upfirdn2d on NHWC: zero-insert by `up`, pad/crop by `pad`, convolve every
 * channel with `kernel` (true convolution), keep every `down`-th sample.
 * Output side: `⌊(H·up + p0 + p1 − kh) / down⌋ + 1`.
 *
 * @example
 * ```ts
 * const blurred = upfirdn2d(x, makeKernel([1, 3, 3, 1]), { pad: [2, 1] });        // same size
 * const up2 = upfirdn2d(x, makeKernel([1, 3, 3, 1], 4), { up: 2, pad: [2, 1] });   // 2× upsampled
 * ```
 */
export const upfirdn2d = (x: tf.Tensor4D, kernel: tf.Tensor2D, options: UpFirDnOptions = {}): tf.Tensor4D =>
  tf.tidy(() => {
    assertShape('upfirdn2d', x, [null, null, null, null]);
    const up = options.up ?? 1, down = options.down ?? 1;
    const [p0, p1] = options.pad ?? [0, 0];
    const [kh, kw] = kernel.shape;
    const hu = x.shape[1] * up + p0 + p1, wu = x.shape[2] * up + p0 + p1; // after zero insertion and padding
    if (hu < kh || wu < kw) {
      throw new ShapeError('upfirdn2d', `padded input ${hu}×${wu} is smaller than the ${kh}×${kw} kernel`);
    }
    const flipped = (kernel.dataSync() as Float32Array).slice().reverse(); // true convolution: correlate with the flipped kernel
    return firCorrelate(up > 1 ? zeroInsert(x, up) : x, flipped, kh, kw, down, [p0, p1, p0, p1]);
  });

/**
 * rosinality's `Blur`: upfirdn2d with `pad`, kernel scaled by `upFactor²`.
 *
 * @example
 * ```ts
 * const y = blur(x, [1, 3, 3, 1], [1, 1]); // H+2-4+1 = H-1
 * ```
 */
export const blur = (x: tf.Tensor4D, taps: readonly number[], pad: readonly [number, number], upFactor = 1): tf.Tensor4D =>
  tf.tidy(() => upfirdn2d(x, makeKernel(taps, upFactor * upFactor), { pad }));

/**
 * rosinality's `Upsample`: 2× (or `factor`×) FIR upsampling.
 *
 * @example
 * ```ts
 * const y = upsample2d(x, [1, 3, 3, 1]); // [N,2H,2W,C]
 * ```
 */
export const upsample2d = (x: tf.Tensor4D, taps: readonly number[] = [1, 3, 3, 1], factor = 2): tf.Tensor4D =>
  tf.tidy(() => {
    const p = taps.length - factor;
    return upfirdn2d(x, makeKernel(taps, factor * factor), { up: factor, pad: [Math.floor((p + 1) / 2) + factor - 1, Math.floor(p / 2)] });
  });

/**
 * rosinality's `Downsample`: FIR filter then keep every `factor`-th sample.
 *
 * @example
 * ```ts
 * const y = downsample2d(x, [1, 3, 3, 1]); // [N,H/2,W/2,C]
 * ```
 */
export const downsample2d = (x: tf.Tensor4D, taps: readonly number[] = [1, 3, 3, 1], factor = 2): tf.Tensor4D =>
  tf.tidy(() => {
    const p = taps.length - factor;
    return upfirdn2d(x, makeKernel(taps), { down: factor, pad: [Math.floor((p + 1) / 2), Math.floor(p / 2)] });
  });
