/**
 * GANSeg's discriminator (xingzhehe/GANSeg `models/discriminator.py`): residual blocks
 * `(conv3×3 ⇒ LeakyReLU ⇒ conv3×3 ⇒ LeakyReLU ⇒ conv3×3 stride 2 + conv1×1 stride 2) / √2`,
 * each halving the side, then `Linear(C·h·w → 512) ⇒ LeakyReLU ⇒ Linear(512 → 1)` on the
 * NCHW-flattened features. The official channels 64,128,256,512,512,512 take 128² to 2²; other
 * sides use as many blocks as reach 2² (64²: the first five). Official parameter names.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import * as t from 'io-ts';
import { PositiveInt } from '../../core/codec.ts';
import { ConfigError } from '../../core/errors.ts';
import type { Rng } from '../../core/rng.ts';
import { assertShape } from '../../core/tensor.ts';
import { withoutModulePrefix, type StateDict } from '../../io/state-dict.ts';
import { applyStateDict, hwioFromOihw, inOutFromOutIn, oihwFromHwio, outInFromInOut, sameLayout, toStateDict, type WeightTargets } from '../../io/weights.ts';
import { conv2d, layerVariables, linear, type Conv2dParams, type LinearParams } from '../../nn/conv.ts';
import type { TrainableDiscriminator } from '../../train/gan.ts';
import { createGanSegConv, createGanSegLinear, GANSEG_SLOPE } from './parts.ts';

/** The discriminator's shape. */
export const GanSegDiscriminatorConfig = t.type({
  /** Output channels of each `DiscriminatorBlock` (each halves the side). Official: 64,128,256,512,512,512 (128² → 2²). */
  channels: t.array(PositiveInt),
  /** Hidden features of `fc.0`. Official: 512. */
  fcHidden: PositiveInt,
}, 'GanSegDiscriminatorConfig');
/** See {@link GanSegDiscriminatorConfig}. */
export type GanSegDiscriminatorConfig = t.TypeOf<typeof GanSegDiscriminatorConfig>;

/** The official channel table (`models/discriminator.py`, for 128²). */
const OFFICIAL_CHANNELS = [64, 128, 256, 512, 512, 512];

/**
 * The official discriminator for an image side: as many of its blocks as take `resolution` to 2²
 * (128: all six; 64: five), `fcHidden` 512.
 *
 * @example
 * ```ts
 * ganSegDiscriminatorFor(64).channels; // [64, 128, 256, 512, 512]
 * ```
 */
export const ganSegDiscriminatorFor = (resolution: number): GanSegDiscriminatorConfig => {
  const blocks = Math.round(Math.log2(resolution / 2));
  if (!(blocks >= 1 && 2 * 2 ** blocks === resolution && blocks <= OFFICIAL_CHANNELS.length)) {
    throw new ConfigError('ganSegDiscriminatorFor', [{ path: 'resolution', expected: 'a power of two from 4 to 128', given: String(resolution) }]);
  }
  return { channels: OFFICIAL_CHANNELS.slice(0, blocks) as PositiveInt[], fcHidden: 512 as PositiveInt };
};

/** One `DiscriminatorBlock` (downsample=True, as every official block). */
interface Block {
  /** `conv_res`: 1×1, stride 2. */
  readonly convRes: Conv2dParams;
  /** `net.0`, `net.2`: 3×3. */
  readonly net: readonly [Conv2dParams, Conv2dParams];
  /** `downsample.0`: 3×3, stride 2, padding 1. */
  readonly down: Conv2dParams;
}

/**
 * GANSeg's discriminator as a {@link TrainableDiscriminator}: `score(images)` [N,S,S,3] → logits [N].
 *
 * @example
 * ```ts
 * const d = GanSegDiscriminator.create(ganSegDiscriminatorFor(64), 64, new Rng(0));
 * const logits = d.score(images, true); // [N]
 * ```
 */
export class GanSegDiscriminator implements TrainableDiscriminator {
  private constructor(
    /** The shape. */
    readonly config: GanSegDiscriminatorConfig,
    /** Image side it takes. */
    readonly resolution: number,
    private readonly blocks: readonly Block[],
    private readonly fc: readonly [LinearParams, LinearParams],
  ) {}

  /**
   * A discriminator with the official init (kaiming-normal a = 0.2, zero biases) for `resolution`² images.
   *
   * @example
   * ```ts
   * const d = GanSegDiscriminator.create({ channels: [4, 8], fcHidden: 16 }, 8, new Rng(0)); // 8² → 2²
   * ```
   */
  static create(config: GanSegDiscriminatorConfig, resolution: number, rng: Rng): GanSegDiscriminator {
    const side = resolution / 2 ** config.channels.length;
    if (config.channels.length === 0 || !Number.isInteger(side) || side < 1) {
      throw new ConfigError('GanSegDiscriminator.create', [{ path: 'channels', expected: `a number of blocks n with ${resolution} / 2^n a positive integer`, given: String(config.channels.length) }]);
    }
    const blocks = config.channels.map((cout, i) => {
      const cin = i === 0 ? 3 : (config.channels[i - 1] as number), r = rng.fork(`conv.${i}`);
      return {
        convRes: createGanSegConv(cin, cout, 1, r.fork('conv_res')),
        net: [createGanSegConv(cin, cout, 3, r.fork('net.0')), createGanSegConv(cout, cout, 3, r.fork('net.2'))] as const,
        down: createGanSegConv(cout, cout, 3, r.fork('downsample.0')),
      };
    });
    const last = config.channels[config.channels.length - 1] as number;
    const fc = [createGanSegLinear(last * side * side, config.fcHidden, rng.fork('fc.0')), createGanSegLinear(config.fcHidden, 1, rng.fork('fc.2'))] as const;
    return new GanSegDiscriminator(config, resolution, blocks, fc);
  }

  /**
   * Logits [N] of images [N,S,S,3] (the official `forward(...).squeeze()`; no norm layers, so `training` changes nothing).
   *
   * @example
   * ```ts
   * const loss = dLogisticLoss(d.score(reals, true), d.score(fakes, true));
   * ```
   */
  score(images: tf.Tensor4D, _training = true): tf.Tensor1D {
    return tf.tidy(() => {
      assertShape('GanSegDiscriminator.score', images, [null, this.resolution, this.resolution, 3], 'images');
      let x: tf.Tensor4D = images;
      for (const b of this.blocks) {
        const res = conv2d(b.convRes, x, { stride: 2 });
        let h = tf.leakyRelu(conv2d(b.net[0], x, { padding: 1 }), GANSEG_SLOPE) as tf.Tensor4D;
        h = tf.leakyRelu(conv2d(b.net[1], h, { padding: 1 }), GANSEG_SLOPE) as tf.Tensor4D;
        h = conv2d(b.down, h, { stride: 2, padding: 1 });
        x = tf.div(tf.add(h, res), Math.SQRT2) as tf.Tensor4D;
      }
      const flat = tf.transpose(x, [0, 3, 1, 2]).reshape([x.shape[0], -1]) as tf.Tensor2D; // NCHW order, as out.view(N, -1)
      const y = linear(this.fc[1], tf.leakyRelu(linear(this.fc[0], flat), GANSEG_SLOPE) as tf.Tensor2D);
      return y.reshape([-1]) as tf.Tensor1D;
    });
  }

  /**
   * Every variable (all trainable), in the state dict's order.
   *
   * @example
   * ```ts
   * const n = d.variables().length;
   * ```
   */
  variables(): tf.Variable[] {
    return [...this.blocks.flatMap((b) => [b.convRes, b.net[0], b.net[1], b.down].flatMap(layerVariables)), ...this.fc.flatMap(layerVariables)];
  }

  /**
   * Official key → variable: `conv.{i}.conv_res`, `conv.{i}.net.{0,2}`, `conv.{i}.downsample.0`, `fc.{0,2}` (`.weight`, `.bias`).
   *
   * @example
   * ```ts
   * [...d.weightTargets().keys()][0]; // 'conv.0.conv_res.weight'
   * ```
   */
  weightTargets(): WeightTargets {
    const m: WeightTargets = new Map();
    const conv = (key: string, c: Conv2dParams): void => {
      m.set(`${key}.weight`, { variable: c.weight, fromStored: hwioFromOihw, toStored: oihwFromHwio });
      if (c.bias) m.set(`${key}.bias`, { variable: c.bias, fromStored: sameLayout });
    };
    this.blocks.forEach((b, i) => {
      conv(`conv.${i}.conv_res`, b.convRes);
      conv(`conv.${i}.net.0`, b.net[0]);
      conv(`conv.${i}.net.2`, b.net[1]);
      conv(`conv.${i}.downsample.0`, b.down);
    });
    this.fc.forEach((l, i) => {
      m.set(`fc.${2 * i}.weight`, { variable: l.weight, fromStored: inOutFromOutIn, toStored: outInFromInOut });
      if (l.bias) m.set(`fc.${2 * i}.bias`, { variable: l.bias, fromStored: sameLayout });
    });
    return m;
  }

  /**
   * Load an official state dict (`epoch_N.model`'s `discriminator`; a `module.` prefix is stripped); every
   * missing, unexpected or misshaped key in one `WeightsError` before any variable changes.
   *
   * @example
   * ```ts
   * d.loadStateDict(checkpoint.get('discriminator'));
   * ```
   */
  loadStateDict(dict: StateDict, where = 'GanSegDiscriminator.loadStateDict'): void {
    applyStateDict(where, withoutModulePrefix(dict), this.weightTargets());
  }

  /**
   * The discriminator as an official state dict.
   *
   * @example
   * ```ts
   * const dict = d.stateDict(); // 'conv.0.conv_res.weight', …, 'fc.2.bias'
   * ```
   */
  stateDict(): StateDict {
    return toStateDict(this.weightTargets());
  }

  /**
   * Free every variable.
   *
   * @example
   * ```ts
   * d.dispose();
   * ```
   */
  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}
