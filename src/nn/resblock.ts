/**
 * StyleGAN2 discriminator blocks: rosinality's `ConvLayer` ((blur ⇒) equalized
 * conv ⇒ fused leaky-ReLU) and the residual down block
 * `(conv3×3 ⇒ blur ⇒ conv3×3/2) + (blur ⇒ conv1×1/2)`, divided by √2.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../core/rng.ts';
import { createEqualConv2d, equalConv2d, equalConv2dVariables, type EqualConv2d } from './equalized.ts';
import { fusedLeakyRelu } from './fused-act.ts';
import { constantVariable } from './init.ts';
import { blur } from './upfirdn.ts';

/** Options of {@link createConvLayer}. */
export interface ConvLayerOptions {
  /** Input channels. */
  readonly inChannels: number;
  /** Output channels. */
  readonly outChannels: number;
  /** Square kernel size. */
  readonly kernelSize: number;
  /** Blur then stride-2 conv. Default false. */
  readonly downsample?: boolean;
  /** Has a bias (in the activation when activated). Default true. */
  readonly bias?: boolean;
  /** Fused leaky-ReLU. Default true. */
  readonly activate?: boolean;
  /** Blur taps. Default [1, 3, 3, 1]. */
  readonly blurKernel?: readonly number[];
}

/** Parameters of rosinality's `ConvLayer`. */
export interface ConvLayer {
  /** The equalized conv (bias only when not activated). */
  readonly conv: EqualConv2d;
  /** Bias of the fused activation, when activated with bias. */
  readonly activateBias: tf.Variable | undefined;
  /** Fused leaky-ReLU. */
  readonly activate: boolean;
  /** Blur taps, when downsampling. */
  readonly blurKernel: readonly number[] | undefined;
}

/**
 * Create a ConvLayer.
 *
 * @example
 * ```ts
 * const c = createConvLayer({ inChannels: 3, outChannels: 64, kernelSize: 1 }, rng);
 * ```
 */
export const createConvLayer = (o: ConvLayerOptions, rng: Rng): ConvLayer => {
  const down = o.downsample ?? false, bias = o.bias ?? true, activate = o.activate ?? true;
  const k = o.kernelSize;
  return {
    conv: createEqualConv2d(
      { inChannels: o.inChannels, outChannels: o.outChannels, kernelSize: k, stride: down ? 2 : 1, padding: down ? 0 : Math.floor(k / 2), bias: bias && !activate },
      rng,
    ),
    activateBias: activate && bias ? constantVariable([o.outChannels], 0, 'conv_layer.bias') : undefined,
    activate,
    blurKernel: down ? (o.blurKernel ?? [1, 3, 3, 1]) : undefined,
  };
};

/**
 * Apply a ConvLayer on NHWC.
 *
 * @example
 * ```ts
 * const y = convLayer(c, x);
 * ```
 */
export const convLayer = (p: ConvLayer, x: tf.Tensor4D): tf.Tensor4D =>
  tf.tidy(() => {
    let y = x;
    if (p.blurKernel) {
      const pp = p.blurKernel.length - 2 + (p.conv.weight.shape[0] as number) - 1;
      y = blur(y, p.blurKernel, [Math.floor((pp + 1) / 2), Math.floor(pp / 2)]);
    }
    y = equalConv2d(p.conv, y);
    return p.activate ? fusedLeakyRelu(y, p.activateBias as tf.Tensor1D | undefined) : y;
  });

/** Variables of a {@link ConvLayer}. */
export const convLayerVariables = (p: ConvLayer): tf.Variable[] => [...equalConv2dVariables(p.conv), ...(p.activateBias ? [p.activateBias] : [])];

/** Parameters of rosinality's discriminator `ResBlock`. */
export interface ResBlock {
  /** 3×3, in → in. */
  readonly conv1: ConvLayer;
  /** blur ⇒ 3×3 stride 2, in → out. */
  readonly conv2: ConvLayer;
  /** blur ⇒ 1×1 stride 2, no bias, no activation. */
  readonly skip: ConvLayer;
}

/**
 * Create a residual down block.
 *
 * @example
 * ```ts
 * const rb = createResBlock(128, 256, rng);
 * ```
 */
export const createResBlock = (inChannels: number, outChannels: number, rng: Rng, blurKernel: readonly number[] = [1, 3, 3, 1]): ResBlock => ({
  conv1: createConvLayer({ inChannels, outChannels: inChannels, kernelSize: 3 }, rng),
  conv2: createConvLayer({ inChannels, outChannels, kernelSize: 3, downsample: true, blurKernel }, rng),
  skip: createConvLayer({ inChannels, outChannels, kernelSize: 1, downsample: true, activate: false, bias: false, blurKernel }, rng),
});

/**
 * Apply a residual down block: [N,H,W,in] → [N,H/2,W/2,out].
 *
 * @example
 * ```ts
 * const y = resBlock(rb, x);
 * ```
 */
export const resBlock = (p: ResBlock, x: tf.Tensor4D): tf.Tensor4D =>
  tf.tidy(() => tf.mul(tf.add(convLayer(p.conv2, convLayer(p.conv1, x)), convLayer(p.skip, x)), Math.SQRT1_2));

/** Variables of a {@link ResBlock}. */
export const resBlockVariables = (p: ResBlock): tf.Variable[] => [...convLayerVariables(p.conv1), ...convLayerVariables(p.conv2), ...convLayerVariables(p.skip)];
