/**
 * StyleGAN2 residual discriminator with rosinality's structure:
 * `convs = [ConvLayer(3→C_R, 1×1), ResBlock × log2(R)−2]` ⇒ minibatch-stddev
 * (group 4) ⇒ `final_conv` (3×3) ⇒ `final_linear` (EqualLinear + lReLU, EqualLinear → 1).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../core/rng.ts';
import { assertShape } from '../../core/tensor.ts';
import type { Module } from '../../core/tensor.ts';
import { createEqualLinear, equalLinear, equalLinearVariables, type EqualLinear } from '../../nn/equalized.ts';
import { minibatchStddev } from '../../nn/minibatch-stddev.ts';
import { convLayer, convLayerVariables, createConvLayer, createResBlock, resBlock, resBlockVariables, type ConvLayer, type ResBlock } from '../../nn/resblock.ts';
import { channelsOf, type StyleGAN2Config } from './config.ts';

/** The discriminator's parameters, named as rosinality's modules. */
export interface StyleGAN2DiscriminatorParams {
  /** `convs.0`: 1×1 fromRGB ConvLayer. */
  readonly fromRgb: ConvLayer;
  /** `convs.1 …`: residual down blocks R → 4. */
  readonly blocks: readonly ResBlock[];
  /** `final_conv`: 3×3 ConvLayer (C₄+1 → C₄). */
  readonly finalConv: ConvLayer;
  /** `final_linear.0` (C₄·16 → C₄, lReLU; weight rows in our H,W,C flatten order) and `final_linear.1` (C₄ → 1). */
  readonly finalLinear: readonly [EqualLinear, EqualLinear];
}

/** Minibatch-stddev group size of StyleGAN2. */
export const STDDEV_GROUP = 4;

/**
 * rosinality's StyleGAN2 `Discriminator`: images [N,R,R,3] → logits [N,1].
 * The batch must be divisible by min(N, 4).
 *
 * @example
 * ```ts
 * const d = createStyleGAN2Discriminator(styleGAN2Preset('small-64'), new Rng(0));
 * const logits = d.apply(images); // [N,1]
 * ```
 */
export class StyleGAN2Discriminator implements Module {
  /** The configuration (resolution, channel table, blur taps; mapping fields unused). */
  readonly config: StyleGAN2Config;
  /** The parameters. */
  readonly params: StyleGAN2DiscriminatorParams;

  constructor(config: StyleGAN2Config, params: StyleGAN2DiscriminatorParams) {
    this.config = config;
    this.params = params;
  }

  /** Logits [N,1] of images [N,R,R,3]. */
  apply(images: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      const r = this.config.resolution;
      assertShape('StyleGAN2Discriminator.apply', images, [null, r, r, 3], 'images');
      const p = this.params;
      let x = convLayer(p.fromRgb, images);
      for (const b of p.blocks) x = resBlock(b, x);
      x = convLayer(p.finalConv, minibatchStddev(x, STDDEV_GROUP)); // [N,4,4,C4]
      const flat = x.reshape([x.shape[0], -1]) as tf.Tensor2D;
      return equalLinear(p.finalLinear[1], equalLinear(p.finalLinear[0], flat));
    });
  }

  /**
   * The GAN trainer's view (`TrainableDiscriminator`): logits [N,1]; `training` is unused.
   *
   * @example
   * ```ts
   * const logits = d.score(images, true);
   * ```
   */
  score(images: tf.Tensor4D, _training = false): tf.Tensor2D {
    return this.apply(images);
  }

  /** Trainable variables, in a stable order. */
  variables(): tf.Variable[] {
    const p = this.params;
    return [
      ...convLayerVariables(p.fromRgb),
      ...p.blocks.flatMap(resBlockVariables),
      ...convLayerVariables(p.finalConv),
      ...equalLinearVariables(p.finalLinear[0]),
      ...equalLinearVariables(p.finalLinear[1]),
    ];
  }

  /** Free every tensor. */
  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}

/**
 * Create a StyleGAN2 discriminator with seeded random weights.
 *
 * @example
 * ```ts
 * const d = createStyleGAN2Discriminator(styleGAN2Preset('rosinality-ffhq-256'), new Rng(0));
 * ```
 */
export const createStyleGAN2Discriminator = (cfg: StyleGAN2Config, rng: Rng): StyleGAN2Discriminator => {
  const ch = channelsOf(cfg); // ch[0] = 4×4 … ch[last] = R×R
  const bk = cfg.blurKernel;
  const last = ch.length - 1;
  const fromRgb = createConvLayer({ inChannels: 3, outChannels: ch[last] as number, kernelSize: 1 }, rng.fork('convs.0'));
  const blocks: ResBlock[] = [];
  for (let i = last; i >= 1; i--) blocks.push(createResBlock(ch[i] as number, ch[i - 1] as number, rng.fork(`convs.${last - i + 1}`), bk));
  const c4 = ch[0] as number;
  const finalConv = createConvLayer({ inChannels: c4 + 1, outChannels: c4, kernelSize: 3 }, rng.fork('final_conv'));
  const finalLinear: [EqualLinear, EqualLinear] = [
    createEqualLinear({ inDim: c4 * 16, outDim: c4, activation: true }, rng.fork('final_linear.0')),
    createEqualLinear({ inDim: c4, outDim: 1 }, rng.fork('final_linear.1')),
  ];
  return new StyleGAN2Discriminator(cfg, { fromRgb, blocks, finalConv, finalLinear });
};
