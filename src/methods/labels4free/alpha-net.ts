/**
 * Labels4Free's alpha network (`bg_extractor_repro` of RameenAbdal/Labels4Free `model_new.py`):
 * per feature map a 1×1 conv, pairs concatenated, coarse-to-fine merges
 * (concat ⇒ 1×1 conv ⇒ LeakyReLU ⇒ bicubic ×2 with align_corners), the last pair added,
 * 1×1 conv ⇒ sigmoid. Parameters are named as the official state dict.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, ShapeError } from '../../core/errors.ts';
import type { Rng } from '../../core/rng.ts';
import type { MaskBatch } from '../../core/tensor.ts';
import { withoutModulePrefix, type StateDict } from '../../io/state-dict.ts';
import { applyStateDict, hwioFromOihw, oihwFromHwio, sameLayout, toStateDict, type WeightTargets } from '../../io/weights.ts';
import { resizeBicubic } from '../../nn/resize-bicubic.ts';

/** A 1×1 convolution with bias (`nn.Conv2d(in, out, 1)`). */
export interface Conv1x1 {
  /** HWIO [1,1,I,O] (stored OIHW [O,I,1,1]). */
  readonly weight: tf.Variable;
  /** [O]. */
  readonly bias: tf.Variable;
}

/** The alpha net's parameters for K feature pairs. */
export interface AlphaNetParams {
  /** `conv1 … conv{2K}`: one per feature map, in generator order (two per resolution). */
  readonly laterals: readonly Conv1x1[];
  /** `conv_next, conv_next2 … conv_next{K−2}`: the merges, coarse to fine. */
  readonly merges: readonly Conv1x1[];
  /** `conv_n`: 2·lateral → 1 channel, before the sigmoid. */
  readonly head: Conv1x1;
  /** LeakyReLU slope after each merge (reference 0.2). */
  readonly negativeSlope: number;
}

/** The shape of an alpha net: input channels of every feature map and the 1×1 convs' width. */
export interface AlphaNetShape {
  /** Channels of each feature map read, 2K entries (pairs of equal resolution, coarse to fine). */
  readonly featureChannels: readonly number[];
  /** Output channels of each feature map's 1×1 conv (reference 3). */
  readonly lateralChannels: number;
  /** LeakyReLU slope after each merge (reference 0.2). */
  readonly negativeSlope: number;
}

/** PyTorch's `nn.Conv2d` init: weight and bias ~ U(−1/√fan_in, 1/√fan_in) (kaiming_uniform with a = √5). */
const createConv1x1 = (cin: number, cout: number, rng: Rng): Conv1x1 => {
  const b = 1 / Math.sqrt(cin);
  return tf.tidy(() => ({
    weight: tf.variable(tf.tensor4d(rng.fork('weight').uniformArray(cin * cout, -b, b), [1, 1, cin, cout]), true),
    bias: tf.variable(tf.tensor1d(rng.fork('bias').uniformArray(cout, -b, b)), true),
  }));
};

const conv1x1 = (p: Conv1x1, x: tf.Tensor4D): tf.Tensor4D => tf.add(tf.conv2d(x, p.weight as tf.Tensor4D, 1, 'valid'), p.bias);

/**
 * Official name of the k-th merge (0-based): `conv_next`, `conv_next2`, …
 *
 * @example
 * ```ts
 * mergeKey(0); // 'conv_next'
 * mergeKey(3); // 'conv_next4'
 * ```
 */
export const mergeKey = (k: number): string => (k === 0 ? 'conv_next' : `conv_next${k + 1}`);

/**
 * Create the alpha net with PyTorch's default init (seeded).
 *
 * @example
 * ```ts
 * const p = createAlphaNetParams({ featureChannels: [512, 512, 512, 512, 512, 512, 512, 512, 256, 256, 128, 128], lateralChannels: 3, negativeSlope: 0.2 }, new Rng(0));
 * ```
 */
export const createAlphaNetParams = (shape: AlphaNetShape, rng: Rng): AlphaNetParams => {
  const fc = shape.featureChannels, c = shape.lateralChannels;
  if (fc.length < 4 || fc.length % 2 !== 0) {
    throw new ConfigError('createAlphaNetParams', [{ path: 'featureChannels', expected: 'an even count ≥ 4 (two maps per resolution, ≥ 2 resolutions)', given: `${fc.length} entries` }]);
  }
  const pairs = fc.length / 2;
  return {
    laterals: fc.map((cin, j) => createConv1x1(cin, c, rng.fork(`conv${j + 1}`))),
    merges: Array.from({ length: pairs - 2 }, (_, k) => createConv1x1(4 * c, 2 * c, rng.fork(mergeKey(k)))),
    head: createConv1x1(2 * c, 1, rng.fork('conv_n')),
    negativeSlope: shape.negativeSlope,
  };
};

/**
 * α from the generator's StyledConv outputs (reference `bg_extractor_repro.forward`):
 * `lat_k = cat(conv_{2k+1}(f_{2k}), conv_{2k+2}(f_{2k+1}))`; `o = up(lat_0)`;
 * `o = up(lrelu(merge_k(cat(lat_k, o))))` for k = 1 … K−2; `α = σ(conv_n(lat_{K−1} + o))`,
 * where `up` is bicubic (a = −0.75) with align_corners to twice the side.
 *
 * @example
 * ```ts
 * const alpha = alphaNet(params, features); // features: 2K maps [N,r,r,C], r = 8 … R → [N,R,R,1]
 * ```
 */
export const alphaNet = (p: AlphaNetParams, features: readonly tf.Tensor4D[]): MaskBatch =>
  tf.tidy(() => {
    const where = 'alphaNet';
    if (features.length !== p.laterals.length) {
      throw new ShapeError(where, `expected ${p.laterals.length} feature maps (two per resolution), got ${features.length}`);
    }
    const lateral = (k: number): tf.Tensor4D => {
      const a = features[2 * k] as tf.Tensor4D, b = features[2 * k + 1] as tf.Tensor4D;
      if (a.shape[1] !== b.shape[1] || a.shape[2] !== b.shape[2]) {
        throw new ShapeError(where, `feature pair ${k} has sides [${a.shape.slice(1, 3)}] and [${b.shape.slice(1, 3)}]`);
      }
      return tf.concat([conv1x1(p.laterals[2 * k] as Conv1x1, a), conv1x1(p.laterals[2 * k + 1] as Conv1x1, b)], 3); // [N,r,r,2c]
    };
    const up = (x: tf.Tensor4D): tf.Tensor4D => resizeBicubic(x, [2 * (x.shape[1] as number), 2 * (x.shape[2] as number)], true);
    const pairs = features.length / 2;
    let out = up(lateral(0));
    for (let k = 1; k < pairs - 1; k++) {
      const merged = conv1x1(p.merges[k - 1] as Conv1x1, tf.concat([lateral(k), out], 3)); // [N,r,r,2c]
      out = up(tf.leakyRelu(merged, p.negativeSlope));
    }
    return tf.sigmoid(conv1x1(p.head, tf.add(lateral(pairs - 1), out))) as MaskBatch; // [N,R,R,1]
  });

/**
 * Every variable of the alpha net, in state-dict order (laterals, merges, head).
 *
 * @example
 * ```ts
 * const vars = alphaNetVariables(p); // the optimizer's list
 * ```
 */
export const alphaNetVariables = (p: AlphaNetParams): tf.Variable[] =>
  [...p.laterals, ...p.merges, p.head].flatMap((c) => [c.weight, c.bias]);

/**
 * Official key → variable and layout (`conv1.weight` OIHW ↔ HWIO, `conv1.bias`, …, `conv_n.bias`).
 *
 * @example
 * ```ts
 * const targets = alphaNetWeightTargets(p); // 'conv_next.weight' → [1,1,12,6] variable, …
 * ```
 */
export const alphaNetWeightTargets = (p: AlphaNetParams): WeightTargets => {
  const m: WeightTargets = new Map();
  const conv = (key: string, c: Conv1x1): void => {
    m.set(`${key}.weight`, { variable: c.weight, fromStored: hwioFromOihw, toStored: oihwFromHwio });
    m.set(`${key}.bias`, { variable: c.bias, fromStored: sameLayout });
  };
  p.laterals.forEach((c, j) => conv(`conv${j + 1}`, c));
  p.merges.forEach((c, k) => conv(mergeKey(k), c));
  conv('conv_n', p.head);
  return m;
};

/**
 * Load an official alpha-net state dict (`bg_extractor_ema` or `bg_extractor` of a Labels4Free
 * checkpoint); a DDP `module.` prefix is stripped. One `WeightsError` lists every missing,
 * unexpected and wrongly-shaped key, before any variable changes.
 *
 * @example
 * ```ts
 * loadAlphaNetStateDict(p, checkpoint.get('bg_extractor_ema'), 'horse.pt:bg_extractor_ema');
 * ```
 */
export const loadAlphaNetStateDict = (p: AlphaNetParams, dict: StateDict, where = 'loadAlphaNetStateDict'): void => {
  applyStateDict(where, withoutModulePrefix(dict), alphaNetWeightTargets(p));
};

/**
 * The alpha net as an official state dict (loadable by `bg_extractor_repro.load_state_dict`).
 *
 * @example
 * ```ts
 * const dict = alphaNetStateDict(p); // keys conv1.weight … conv_n.bias
 * ```
 */
export const alphaNetStateDict = (p: AlphaNetParams): StateDict => toStateDict(alphaNetWeightTargets(p));
