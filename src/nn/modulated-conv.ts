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

/**
 * Stride-2 transposed conv with no padding, [N,H,W,I] → [N,2H+k−2,2W+k−2,O] (PyTorch's
 * `conv_transpose2d(x, w, stride=2)` with our HWIO conv weight): one `Conv2DBackpropInput`,
 * native on the cpu backend; its gradients are a strided conv2d and a filter gradient.
 */
const transposedConvStride2 = (x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D => {
  const [k, , , cOut] = w.shape;
  const [n, h, wd] = x.shape;
  return tf.conv2dTranspose(x, tf.transpose(w, [0, 1, 3, 2]) as tf.Tensor4D, [n, 2 * h + k - 2, 2 * wd + k - 2, cOut], 2, 'valid');
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
      // Odd k: padding k/2 on every side is 'same' (no separate pad, nor its gradient's slice).
      const q = Math.floor(k / 2);
      y = k % 2 === 1 ? tf.conv2d(xs, w, 1, 'same') : tf.conv2d(q > 0 ? tf.pad(xs, [[0, 0], [q, q], [q, q], [0, 0]]) : xs, w, 1, 'valid'); // [N,H,W,O]
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
