/**
 * StyleGAN2 modulated convolution with weight demodulation
 * (Karras et al. 2020, https://arxiv.org/abs/1912.04958, Sec. 2.2), in the
 * non-fused form: scale the input by the style, convolve with the shared
 * weight, scale the output by the demodulation coefficients (tfjs has no
 * grouped conv). Upsampling = stride-2 transposed conv then blur, as rosinality.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../core/rng.ts';
import { assertShape } from '../core/tensor.ts';
import { createEqualLinear, equalLinear, equalLinearVariables, type EqualLinear } from './equalized.ts';
import { normalVariable } from './init.ts';
import { blur } from './upfirdn.ts';

/** Options of {@link modulatedConv2d}. */
export interface ModulatedConvOptions {
  /** Divide each output channel by its norm. StyleGAN2: true (false for toRGB). */
  readonly demodulate: boolean;
  /** 2× upsampling (transposed conv + blur). */
  readonly upsample: boolean;
  /** Blur FIR taps. StyleGAN2: [1, 3, 3, 1]. */
  readonly blurKernel: readonly number[];
}

/** Rows (axis 0) or columns (axis 1) `idx` of a weight, in that order, by slicing (no Reverse/Gather: slow or gradient-less on wasm). */
const pick = (w: tf.Tensor4D, axis: 0 | 1, idx: readonly number[]): tf.Tensor4D => {
  const parts = idx.map((i) => {
    const begin = [0, 0, 0, 0], size = [-1, -1, -1, -1];
    begin[axis] = i;
    size[axis] = 1;
    return tf.slice(w, begin, size);
  });
  return parts.length === 1 ? (parts[0] as tf.Tensor4D) : tf.concat(parts, axis);
};

/**
 * Stride-2 transposed conv with no padding, [N,H,W,I] → [N,2H+k−2,2W+k−2,O], in
 * sub-pixel form: output phase (py, px) is a small forward conv of the input with
 * the taps `w[py+2m, px+2m']` (for k = 3: 2×2, 2×1, 1×2, 1×1 — 9 taps in all, no
 * multiplications by inserted zeros), then the phases are interleaved. Uses only
 * slice, concat, pad, reshape, transpose and conv2d, whose gradients exist everywhere.
 */
const transposedConvStride2 = (x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D => {
  const [k, , , cOut] = w.shape;
  const [n, h, wd] = x.shape;
  const K = Math.ceil(k / 2);
  const xp = tf.pad(x, [[0, 0], [K - 1, K - 1], [K - 1, K - 1], [0, 0]]);
  const taps = (p: number): number[] => {
    const nT = Math.ceil((k - p) / 2);
    return Array.from({ length: nT }, (_, j) => p + 2 * (nT - 1 - j)); // reversed: tfjs conv2d correlates
  };
  const phases: tf.Tensor4D[] = [];
  for (let py = 0; py < 2; py++) {
    const ty = taps(py), rows = pick(w, 0, ty);
    for (let px = 0; px < 2; px++) {
      const tx = taps(px);
      const kernel = pick(rows, 1, tx); // [ty, tx, I, O]
      const xs = tf.slice(xp, [0, K - ty.length, K - tx.length, 0], [n, h + K - 2 + ty.length, wd + K - 2 + tx.length, -1]);
      phases.push(tf.conv2d(xs, kernel, 1, 'valid')); // [N,H+K−1,W+K−1,O]
    }
  }
  const h1 = h + K - 1, w1 = wd + K - 1;
  const y = tf.concat(phases, 3); // channels (py, px, o)
  const inter = tf.transpose(y.reshape([n, h1, w1, 2, 2 * cOut]), [0, 1, 3, 2, 4]).reshape([n, 2 * h1, 2 * w1, cOut]) as tf.Tensor4D;
  const ho = 2 * h + k - 2, wo = 2 * wd + k - 2;
  return ho === 2 * h1 && wo === 2 * w1 ? inter : tf.slice(inter, [0, 0, 0, 0], [n, ho, wo, cOut]);
};

/**
 * Modulated conv on NHWC. `w` is the already-scaled shared weight [k,k,I,O],
 * `s` the per-sample input-channel styles [N,I].
 *
 * @example
 * ```ts
 * const y = modulatedConv2d(x, w, s, { demodulate: true, upsample: false, blurKernel: [1, 3, 3, 1] });
 * ```
 */
export const modulatedConv2d = (x: tf.Tensor4D, w: tf.Tensor4D, s: tf.Tensor2D, o: ModulatedConvOptions): tf.Tensor4D =>
  tf.tidy(() => {
    const [k, , cIn, cOut] = w.shape;
    const n = x.shape[0];
    assertShape('modulatedConv2d', x, [null, null, null, cIn]);
    assertShape('modulatedConv2d', s, [n, cIn], 's');
    const xs: tf.Tensor4D = tf.mul(x, s.reshape([n, 1, 1, cIn])); // [N,H,W,I]
    let y: tf.Tensor4D;
    if (o.upsample) {
      const p = o.blurKernel.length - 2 - (k - 1);
      y = blur(transposedConvStride2(xs, w), o.blurKernel, [Math.floor((p + 1) / 2) + 1, Math.floor(p / 2) + 1], 2); // [N,2H,2W,O]
    } else {
      const q = Math.floor(k / 2);
      y = tf.conv2d(q > 0 ? tf.pad(xs, [[0, 0], [q, q], [q, q], [0, 0]]) : xs, w, 1, 'valid'); // [N,H,W,O]
    }
    if (!o.demodulate) return y;
    const d = tf.rsqrt(tf.add(tf.matMul(tf.square(s), tf.square(w).sum([0, 1]) as tf.Tensor2D), 1e-8)); // [N,O]
    return tf.mul(y, d.reshape([n, 1, 1, cOut]));
  });

/** Options of {@link createModulatedConv}. */
export interface ModulatedConvLayerOptions {
  /** Input channels. */
  readonly inChannels: number;
  /** Output channels. */
  readonly outChannels: number;
  /** Square kernel size (3; toRGB: 1). */
  readonly kernelSize: number;
  /** W dimensionality. */
  readonly styleDim: number;
  /** Demodulate. Default true. */
  readonly demodulate?: boolean;
  /** 2× upsampling. Default false. */
  readonly upsample?: boolean;
  /** Blur taps. Default [1, 3, 3, 1]. */
  readonly blurKernel?: readonly number[];
}

/** Parameters of rosinality's `ModulatedConv2d`. */
export interface ModulatedConv {
  /** Shared weight, HWIO [k,k,I,O], stored unscaled. */
  readonly weight: tf.Variable;
  /** W → styles [I] (bias initialised to 1). */
  readonly modulation: EqualLinear;
  /** Runtime weight scale `1/√(I·k²)`. */
  readonly scale: number;
  /** How to run. */
  readonly options: ModulatedConvOptions;
}

/**
 * Create a modulated conv layer.
 *
 * @example
 * ```ts
 * const mc = createModulatedConv({ inChannels: 512, outChannels: 512, kernelSize: 3, styleDim: 512 }, rng);
 * const y = modulatedConv(mc, x, w); // w: [N,512]
 * ```
 */
export const createModulatedConv = (o: ModulatedConvLayerOptions, rng: Rng): ModulatedConv => ({
  weight: normalVariable([o.kernelSize, o.kernelSize, o.inChannels, o.outChannels], rng, 1, 'modulated_conv.weight'),
  modulation: createEqualLinear({ inDim: o.styleDim, outDim: o.inChannels, biasInit: 1 }, rng),
  scale: 1 / Math.sqrt(o.inChannels * o.kernelSize * o.kernelSize),
  options: { demodulate: o.demodulate ?? true, upsample: o.upsample ?? false, blurKernel: o.blurKernel ?? [1, 3, 3, 1] },
});

/**
 * Apply a modulated conv layer to x [N,H,W,I] with latent w [N,styleDim].
 *
 * @example
 * ```ts
 * const y = modulatedConv(mc, x, w);
 * ```
 */
export const modulatedConv = (p: ModulatedConv, x: tf.Tensor4D, w: tf.Tensor2D): tf.Tensor4D =>
  tf.tidy(() => modulatedConv2d(x, tf.mul(p.weight, p.scale) as tf.Tensor4D, equalLinear(p.modulation, w), p.options));

/** Variables of a {@link ModulatedConv}. */
export const modulatedConvVariables = (p: ModulatedConv): tf.Variable[] => [p.weight, ...equalLinearVariables(p.modulation)];
