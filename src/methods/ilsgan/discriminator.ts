/**
 * ILSGAN's discriminator: NVlabs stylegan2-ada-pytorch's `Discriminator` (qrzou/ILSGAN
 * `training/networks.py: DiscriminatorOpen` with `c_dim = 0`, `architecture = 'resnet'`), built on
 * our nn/ layers, with NVlabs' state-dict names (`b64.fromrgb.weight`, `b32.conv0.bias`,
 * `b8.skip.weight`, `b4.conv.weight`, `b4.fc.weight`, `b4.out.bias`).
 *
 * Per block R → R/2: `fromrgb` (1×1, first block only), `conv0` (3×3), `conv1` (FIR [1,3,3,1] then
 * 3×3 stride 2), `skip` (FIR, 1×1 stride 2, no bias, linear); out = (skip + conv1)·√½, conv outputs
 * clamped to ±`conv_clamp`. Epilogue at 4×4: minibatch-stddev (group 4, 1 channel), `conv` (3×3),
 * `fc` (C·16 → C, flattened in PyTorch's C,H,W order), `out` (C → 1).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../core/rng.ts';
import type { Module } from '../../core/tensor.ts';
import { assertShape } from '../../core/tensor.ts';
import type { StateDict } from '../../io/state-dict.ts';
import { applyStateDict, hwioFromOihw, inOutFromOutIn, oihwFromHwio, outInFromInOut, storedToTensor, toStateDict, type WeightTargets } from '../../io/weights.ts';
import { createEqualLinear, equalLinear, equalLinearVariables, type EqualLinear } from '../../nn/equalized.ts';
import { minibatchStddev } from '../../nn/minibatch-stddev.ts';
import { convLayer, convLayerVariables, createConvLayer, type ConvLayer } from '../../nn/resblock.ts';
import { clampSymmetric, leakyReluClamp } from './ops.ts';

/** Settings of the NVlabs discriminator. */
export interface LayeredDiscriminatorConfig {
  /** Input side R. */
  readonly resolution: number;
  /** Channels = min(channelBase / res, channelMax). ILS: 16384. */
  readonly channelBase: number;
  /** ILS: 256. */
  readonly channelMax: number;
  /** Clamp of conv outputs (NVlabs `conv_clamp`). ILS: 256. */
  readonly convClamp: number;
  /** Minibatch-stddev group size (`mbstd`). ILS: 4. */
  readonly mbstdGroup: number;
}

/** One `DiscriminatorBlock` (resnet). */
export interface DiscriminatorBlockParams {
  /** Block resolution. */
  readonly resolution: number;
  /** `fromrgb` (first block only). */
  readonly fromrgb?: ConvLayer;
  /** `conv0`. */
  readonly conv0: ConvLayer;
  /** `conv1` (down). */
  readonly conv1: ConvLayer;
  /** `skip` (down, no bias). */
  readonly skip: ConvLayer;
}

/** Parameters of the discriminator. */
export interface LayeredDiscriminatorParams {
  /** `b{R}` … `b8`. */
  readonly blocks: readonly DiscriminatorBlockParams[];
  /** `b4.conv`. */
  readonly conv: ConvLayer;
  /** `b4.fc` (rows in C,H,W order). */
  readonly fc: EqualLinear;
  /** `b4.out`. */
  readonly out: EqualLinear;
}

/**
 * The ILS discriminator settings for side `resolution` (`train_ILS_64.py`: fmaps 0.5, channel_max 256, conv_clamp 256, mbstd 4).
 *
 * @example
 * ```ts
 * const cfg = ilsDiscriminatorConfig(64); // { resolution: 64, channelBase: 16384, channelMax: 256, convClamp: 256, mbstdGroup: 4 }
 * ```
 */
export const ilsDiscriminatorConfig = (resolution: number): LayeredDiscriminatorConfig =>
  ({ resolution, channelBase: 16384, channelMax: 256, convClamp: 256, mbstdGroup: 4 });

const clamp = (x: tf.Tensor4D, c: number): tf.Tensor4D => clampSymmetric(x, c);

/** `clamp(convLayer(p, x), c)`, with an activated layer's bias, leaky ReLU, gain and clamp as {@link leakyReluClamp}. */
const convClamped = (p: ConvLayer, x: tf.Tensor4D, c: number): tf.Tensor4D =>
  tf.tidy(() => (p.activate ? leakyReluClamp(convLayer({ ...p, activate: false }, x), p.activateBias as tf.Tensor1D | undefined, c) : clamp(convLayer(p, x), c)));

/**
 * NVlabs' resnet `Discriminator` (unconditional): images [N,R,R,3] → logits [N,1].
 *
 * @example
 * ```ts
 * const d = LayeredDiscriminator.create(ilsDiscriminatorConfig(64), new Rng(1));
 * const logits = d.score(images, true); // [N,1]
 * ```
 */
export class LayeredDiscriminator implements Module {
  /** The settings. */
  readonly config: LayeredDiscriminatorConfig;
  /** The parameters. */
  readonly params: LayeredDiscriminatorParams;

  private constructor(config: LayeredDiscriminatorConfig, params: LayeredDiscriminatorParams) {
    this.config = config;
    this.params = params;
  }

  /**
   * A discriminator with NVlabs' initialisation (weights N(0,1), biases 0), seeded by `rng`.
   *
   * @example
   * ```ts
   * const d = LayeredDiscriminator.create(ilsDiscriminatorConfig(32), new Rng(0));
   * ```
   */
  static create(config: LayeredDiscriminatorConfig, rng: Rng): LayeredDiscriminator {
    const ch = (r: number): number => Math.min(Math.floor(config.channelBase / r), config.channelMax);
    const blocks: DiscriminatorBlockParams[] = [];
    for (let r = config.resolution; r > 4; r /= 2) {
      const tmp = ch(r), out = ch(r / 2), b = rng.fork(`b${r}`);
      blocks.push({
        resolution: r,
        ...(r === config.resolution ? { fromrgb: createConvLayer({ inChannels: 3, outChannels: tmp, kernelSize: 1 }, b.fork('fromrgb')) } : {}),
        conv0: createConvLayer({ inChannels: tmp, outChannels: tmp, kernelSize: 3 }, b.fork('conv0')),
        conv1: createConvLayer({ inChannels: tmp, outChannels: out, kernelSize: 3, downsample: true }, b.fork('conv1')),
        skip: createConvLayer({ inChannels: tmp, outChannels: out, kernelSize: 1, downsample: true, activate: false, bias: false }, b.fork('skip')),
      });
    }
    const c4 = ch(4);
    return new LayeredDiscriminator(config, {
      blocks,
      conv: createConvLayer({ inChannels: c4 + 1, outChannels: c4, kernelSize: 3 }, rng.fork('b4.conv')),
      fc: createEqualLinear({ inDim: c4 * 16, outDim: c4, activation: true }, rng.fork('b4.fc')),
      out: createEqualLinear({ inDim: c4, outDim: 1 }, rng.fork('b4.out')),
    });
  }

  /**
   * Logits [N,1] of images [N,R,R,3]; N must be divisible by min(N, mbstd group).
   *
   * @example
   * ```ts
   * const logits = d.apply(images);
   * ```
   */
  apply(images: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      const r = this.config.resolution, cc = this.config.convClamp;
      assertShape('LayeredDiscriminator.apply', images, [null, r, r, 3], 'images');
      let x = images;
      for (const b of this.params.blocks) {
        if (b.fromrgb) x = convClamped(b.fromrgb, x, cc);
        const y = convLayer(b.skip, x);
        const h = convClamped(b.conv1, convClamped(b.conv0, x, cc), cc);
        x = tf.mul(tf.add(y, h), Math.SQRT1_2);
      }
      const p = this.params;
      x = convClamped(p.conv, minibatchStddev(x, this.config.mbstdGroup), cc); // [N,4,4,C]
      const flat = tf.transpose(x, [0, 3, 1, 2]).reshape([x.shape[0], -1]) as tf.Tensor2D; // PyTorch's flatten(1) of NCHW
      return equalLinear(p.out, equalLinear(p.fc, flat));
    });
  }

  /**
   * The GAN trainer's view (`TrainableDiscriminator`); `training` is unused.
   *
   * @example
   * ```ts
   * const logits = d.score(images, true);
   * ```
   */
  score(images: tf.Tensor4D, _training = false): tf.Tensor2D {
    return this.apply(images);
  }

  private targets(): WeightTargets {
    const t: WeightTargets = new Map();
    const conv = { fromStored: hwioFromOihw, toStored: oihwFromHwio };
    const fc = { fromStored: inOutFromOutIn, toStored: outInFromInOut };
    const layer = (key: string, l: ConvLayer): void => {
      t.set(`${key}.weight`, { variable: l.conv.weight, ...conv });
      if (l.activateBias) t.set(`${key}.bias`, { variable: l.activateBias, fromStored: storedToTensor });
    };
    for (const b of this.params.blocks) {
      if (b.fromrgb) layer(`b${b.resolution}.fromrgb`, b.fromrgb);
      layer(`b${b.resolution}.conv0`, b.conv0);
      layer(`b${b.resolution}.conv1`, b.conv1);
      layer(`b${b.resolution}.skip`, b.skip);
    }
    layer('b4.conv', this.params.conv);
    for (const [k, l] of [['b4.fc', this.params.fc], ['b4.out', this.params.out]] as const) {
      t.set(`${k}.weight`, { variable: l.weight, ...fc });
      t.set(`${k}.bias`, { variable: l.bias as tf.Variable, fromStored: storedToTensor });
    }
    return t;
  }

  /**
   * Load an official `Discriminator` state dict (the `resample_filter` buffers are ignored: always [1,3,3,1]).
   *
   * @example
   * ```ts
   * d.loadStateDict(dict, 'network-snapshot.pkl:D');
   * ```
   */
  loadStateDict(dict: StateDict, where = 'LayeredDiscriminator.loadStateDict'): void {
    const kept: StateDict = new Map([...dict].filter(([k]) => !k.endsWith('resample_filter')));
    applyStateDict(where, kept, this.targets());
  }

  /**
   * The discriminator as an official state dict (without the fixed `resample_filter` buffers).
   *
   * @example
   * ```ts
   * const dict = d.stateDict(); // dict.get('b4.fc.weight').shape = [C, C·16]
   * ```
   */
  stateDict(): StateDict {
    return toStateDict(this.targets());
  }

  /**
   * Every variable (all trainable).
   *
   * @example
   * ```ts
   * d.variables().length;
   * ```
   */
  variables(): tf.Variable[] {
    const p = this.params;
    return [
      ...p.blocks.flatMap((b) => [...(b.fromrgb ? convLayerVariables(b.fromrgb) : []), ...convLayerVariables(b.conv0), ...convLayerVariables(b.conv1), ...convLayerVariables(b.skip)]),
      ...convLayerVariables(p.conv), ...equalLinearVariables(p.fc), ...equalLinearVariables(p.out),
    ];
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
