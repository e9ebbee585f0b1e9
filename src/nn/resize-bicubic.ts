/**
 * Bicubic resize with PyTorch's exact semantics (`F.interpolate(x, size,
 * mode='bicubic', align_corners=…)`), which tfjs lacks. Labels4Free's alpha
 * network upsamples its feature maps this way (align_corners = true).
 *
 * The resize is separable and linear, so it is two constant interpolation
 * matrices, built once in JS: y = Ry · x · Rxᵀ per image and channel. The
 * gradient is tfjs autodiff through matMul, i.e. exactly the transposed matrices.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../core/errors.ts';
import { assertShape } from '../core/tensor.ts';

/** Cubic convolution coefficient A of PyTorch (and OpenCV): −0.75, not Keys' −0.5. */
export const BICUBIC_A = -0.75;

const f32 = Math.fround;

/** Keys' kernel for |x| ≤ 1: ((A+2)x − (A+3))x² + 1, in float32 like PyTorch's `cubic_convolution1<float>`. */
const cubic1 = (x: number, a: number): number => f32(f32(f32(f32(f32(f32(a + 2) * x) - f32(a + 3)) * x) * x) + 1);

/** Keys' kernel for 1 < |x| < 2: ((Ax − 5A)x + 8A)x − 4A, in float32 (`cubic_convolution2<float>`). */
const cubic2 = (x: number, a: number): number =>
  f32(f32(f32(f32(f32(f32(a * x) - f32(5 * a)) * x) + f32(8 * a)) * x) - f32(4 * a));

/**
 * The [outSize, inSize] matrix of PyTorch's 1-D bicubic resampling: row i holds
 * the four cubic weights of output sample i, at input taps clamped to [0, in−1]
 * (weights of clamped taps add up on the border sample).
 *
 * @example
 * ```ts
 * const r = bicubicMatrix(4, 7, true); // Float32Array, 7 rows of 4
 * ```
 */
export const bicubicMatrix = (inSize: number, outSize: number, alignCorners: boolean, a = BICUBIC_A): Float32Array => {
  // area_pixel_compute_scale<float>: align → (in−1)/(out−1), or 0 when out = 1; else in/out (also for out = 1).
  const scale = alignCorners ? (outSize > 1 ? f32((inSize - 1) / (outSize - 1)) : 0) : f32(inSize / outSize);
  const m = new Float32Array(outSize * inSize);
  for (let i = 0; i < outSize; i++) {
    // area_pixel_compute_source_index<float>(cubic = true): align → float scale·i; else (double) scale·(i+0.5) − 0.5, rounded to float; not clamped at 0.
    const src = alignCorners ? f32(scale * i) : f32(scale * (i + 0.5) - 0.5);
    const i0 = Math.floor(src);
    const t = f32(src - i0);
    const w = [cubic2(f32(t + 1), a), cubic1(t, a), cubic1(f32(1 - t), a), cubic2(f32(f32(1 - t) + 1), a)];
    for (let j = 0; j < 4; j++) {
      const k = Math.min(Math.max(i0 - 1 + j, 0), inSize - 1); // upsample_get_value_bounded
      m[i * inSize + k] = f32((m[i * inSize + k] as number) + (w[j] as number));
    }
  }
  return m;
};

const isIdentity = (m: Float32Array, n: number, rows: number): boolean =>
  n === rows && m.every((v, idx) => v === (idx % (n + 1) === 0 ? 1 : 0));

// PyTorch: https://github.com/pytorch/pytorch/blob/v1.13.1/aten/src/ATen/native/cpu/UpSampleKernel.cpp (HelperInterpCubic)
//          https://github.com/pytorch/pytorch/blob/v1.13.1/aten/src/ATen/native/UpSample.h (area_pixel_compute_*, cubic_convolution1/2)
/**
 * Resize NHWC `x` to `[h, w]` by bicubic interpolation exactly as PyTorch's
 * `F.interpolate(x, size=(h, w), mode='bicubic', align_corners=alignCorners)`:
 * cubic convolution with A = −0.75, taps clamped to the border, source
 * coordinate i·(in−1)/(out−1) (align corners) or (i+0.5)·in/out − 0.5 (not),
 * and PyTorch's out = 1 rule with align corners (source coordinate 0). Differentiable
 * in `x`. Output values may overshoot the input range, as in PyTorch.
 *
 * @param x - [N,H,W,C] float32.
 * @param size - Output [h, w], positive integers.
 * @param alignCorners - PyTorch's `align_corners`. Default true (Labels4Free's setting).
 * @returns [N,h,w,C].
 * @throws ShapeError when `x` is not a non-empty float32 rank-4 tensor or `size` is not two positive integers.
 *
 * @example
 * ```ts
 * const y = resizeBicubic(tf.randomNormal([1, 16, 16, 64]) as tf.Tensor4D, [64, 64]); // [1,64,64,64]
 * const z = resizeBicubic(y, [32, 32], false);                                         // half-pixel centres
 * ```
 */
export const resizeBicubic = (x: tf.Tensor4D, size: readonly [number, number], alignCorners = true): tf.Tensor4D =>
  tf.tidy(() => {
    const where = 'resizeBicubic';
    assertShape(where, x, [null, null, null, null]);
    const [n, h, w, c] = x.shape;
    if (x.dtype !== 'float32') throw new ShapeError(where, `x must be float32, got ${x.dtype}`);
    if (x.size === 0) throw new ShapeError(where, `x must be non-empty, got [${x.shape.join(',')}]`);
    const [oh, ow] = size;
    if (size.length !== 2 || !Number.isInteger(oh) || !Number.isInteger(ow) || oh < 1 || ow < 1) {
      throw new ShapeError(where, `size must be two positive integers [h, w], got [${size.join(',')}]`);
    }
    const ry = bicubicMatrix(h, oh, alignCorners); // [oh,h]
    const rx = bicubicMatrix(w, ow, alignCorners); // [ow,w]
    // Along W: [N,H,W,C] → [N·H·C, W] · Rxᵀ → [N,H,C,ow].
    const alongW = isIdentity(rx, w, ow)
      ? tf.transpose(x, [0, 1, 3, 2])
      : tf.matMul(tf.transpose(x, [0, 1, 3, 2]).reshape([n * h * c, w]), tf.tensor2d(rx, [ow, w]), false, true).reshape([n, h, c, ow]);
    if (isIdentity(ry, h, oh)) return tf.transpose(alongW, [0, 1, 3, 2]) as tf.Tensor4D;
    // Along H: Ry · [H, N·C·ow] → [oh,N,C,ow] → [N,oh,ow,C].
    const alongH = tf.matMul(tf.tensor2d(ry, [oh, h]), tf.transpose(alongW, [1, 0, 2, 3]).reshape([h, n * c * ow]));
    return tf.transpose(alongH.reshape([oh, n, c, ow]), [1, 0, 3, 2]) as tf.Tensor4D;
  });
