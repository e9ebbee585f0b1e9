/**
 * The UNet (milesial/Pytorch-UNet `unet_model.py`, any width and depth):
 * inc ⇒ down1…downD ⇒ up1…upD (with skips) ⇒ outc.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { decodeOrThrow } from '../../core/codec.ts';
import { ShapeError, WeightsError } from '../../core/errors.ts';
import { Rng } from '../../core/rng.ts';
import { assertShape, type ImageBatch, type MaskBatch, type Module } from '../../core/tensor.ts';
import { conv2d, createConv2d, layerVariables, type Conv2dParams } from '../../nn/conv.ts';
import { applyStateDict, toStateDict, type ApplyStateDictOptions, type WeightTargets } from '../../io/weights.ts';
import type { StateDict } from '../../io/state-dict.ts';
import { UNetConfig, levelChannels } from './config.ts';
import { createDoubleConv, createUp, doubleConv, doubleConvTargets, doubleConvVariables, down, up, upTargets, upVariables, type DoubleConv, type Up } from './parts.ts';
import { convTargets } from './torch-names.ts';

/** Variables of a whole UNet. */
export interface UNetParams {
  /** `inc`: DoubleConv(inChannels → width). */
  readonly inc: DoubleConv;
  /** `down1` … `downD`. */
  readonly downs: readonly DoubleConv[];
  /** `up1` … `upD`. */
  readonly ups: readonly Up[];
  /** `outc`: 1×1 conv to nClasses, with bias. */
  readonly outc: Conv2dParams;
}

/**
 * Create the variables of a UNet (PyTorch's default initialisation).
 *
 * @example
 * ```ts
 * const p = createUNetParams(milesialUNetConfig, new Rng(0));
 * ```
 */
export const createUNetParams = (c: UNetConfig, rng: Rng): UNetParams => {
  const factor = c.bilinear ? 2 : 1;
  const ch = (i: number): number => levelChannels(c, i);
  const inc = createDoubleConv(c.inChannels, ch(0), rng);
  const downs: DoubleConv[] = [];
  for (let i = 1; i <= c.depth; i++) downs.push(createDoubleConv(ch(i - 1), i === c.depth ? ch(i) / factor : ch(i), rng));
  const ups: Up[] = [];
  for (let j = 1; j <= c.depth; j++) {
    const level = c.depth - j; // output level
    ups.push(createUp(ch(level + 1), j === c.depth ? ch(0) : ch(level) / factor, c.bilinear, rng));
  }
  const outc = createConv2d({ inChannels: ch(0), outChannels: c.nClasses, kernelSize: 1 }, rng);
  return { inc, downs, ups, outc };
};

/**
 * The UNet's raw output: [N,H,W,inChannels] → class logits [N,H,W,nClasses].
 * `training` switches batch norm to batch statistics (and updates the running ones).
 *
 * @example
 * ```ts
 * const logits = unetForward(p, x, false);
 * ```
 */
export const unetForward = (p: UNetParams, x: tf.Tensor4D, training: boolean): tf.Tensor4D =>
  tf.tidy(() => {
    const depth = p.downs.length;
    assertShape('unet', x, [null, null, null, p.inc.conv1.weight.shape[2]]);
    if (x.shape[1] < 2 ** depth || x.shape[2] < 2 ** depth) {
      throw new ShapeError('unet', `input ${x.shape[1]}×${x.shape[2]} is too small for depth ${depth} (needs ≥ ${2 ** depth})`);
    }
    const skips: tf.Tensor4D[] = [doubleConv(p.inc, x, training)];
    for (const d of p.downs) skips.push(down(d, skips[skips.length - 1] as tf.Tensor4D, training));
    let h = skips[depth] as tf.Tensor4D;
    p.ups.forEach((u, j) => { h = up(u, h, skips[depth - 1 - j] as tf.Tensor4D, training); });
    return conv2d(p.outc, h);
  });

/**
 * A UNet segmenter: milesial/Pytorch-UNet's structure and parameter names.
 * Implements the trainer's `TrainableSegmenter` (`logits`) and gives
 * foreground probabilities with {@link UNet.predict}. Images go in as given
 * (NHWC, the library's [-1, 1]).
 *
 * @example
 * ```ts
 * const unet = createUNet({ ...milesialUNetConfig, width: 16 as PositiveInt }, new Rng(0));
 * const masks = unet.predict(images); // [N,H,W,1] in [0,1]
 * unet.dispose();
 * ```
 */
export class UNet implements Module {
  /** The architecture. */
  readonly config: UNetConfig;
  /** The variables. */
  readonly params: UNetParams;

  constructor(config: UNetConfig, params: UNetParams) {
    this.config = config;
    this.params = params;
  }

  /** Class logits [N,H,W,nClasses]. */
  forward(images: tf.Tensor4D, training = false): tf.Tensor4D {
    return unetForward(this.params, images, training);
  }

  /**
   * Foreground logits [N,H,W,1]: the single logit; `l₁ − l₀` for two classes (so sigmoid = softmax's
   * foreground); for K > 2 classes `logsumexp(l₁…l_{K−1}) − l₀`, the logit of the union of the
   * foreground classes (sigmoid = 1 − softmax's class 0, the background).
   */
  logits(images: ImageBatch, training: boolean): tf.Tensor4D {
    return tf.tidy(() => {
      const l = this.forward(images, training);
      const k = this.config.nClasses;
      if (k === 1) return l;
      if (k === 2) {
        const [bg, fg] = tf.split(l, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
        return tf.sub(fg, bg);
      }
      const [bg, parts] = tf.split(l, [1, k - 1], 3) as [tf.Tensor4D, tf.Tensor4D];
      return tf.sub(tf.logSumExp(parts, 3, true), bg) as tf.Tensor4D;
    });
  }

  /** Class logits [N,H,W,nClasses] (the K-class trainer's input; channel 0 the background). */
  classLogits(images: ImageBatch, training: boolean): tf.Tensor4D {
    return this.forward(images, training);
  }

  /** Foreground probability masks [N,H,W,1] in [0,1] (eval mode). */
  predict(images: ImageBatch): MaskBatch {
    return tf.tidy(() => tf.sigmoid(this.logits(images, false)));
  }

  /** Reference name → variable (milesial's state-dict keys). */
  weightTargets(): WeightTargets {
    const out: WeightTargets = new Map();
    doubleConvTargets(out, 'inc', this.params.inc);
    this.params.downs.forEach((d, i) => doubleConvTargets(out, `down${i + 1}.maxpool_conv.1`, d));
    this.params.ups.forEach((u, i) => upTargets(out, `up${i + 1}`, u));
    convTargets(out, 'outc.conv', this.params.outc);
    return out;
  }

  /** Load a milesial-named state dict (all keys checked first; see {@link applyStateDict}). */
  loadStateDict(dict: StateDict, where = 'UNet.loadStateDict', options?: ApplyStateDictOptions): void {
    applyStateDict(where, dict, this.weightTargets(), options);
  }

  /** The weights as a milesial-named state dict (PyTorch layouts). */
  stateDict(): StateDict {
    return toStateDict(this.weightTargets());
  }

  /** Every variable (trainable and batch-norm statistics), in state-dict order. */
  variables(): tf.Variable[] {
    const p = this.params;
    return [
      ...doubleConvVariables(p.inc),
      ...p.downs.flatMap(doubleConvVariables),
      ...p.ups.flatMap(upVariables),
      ...layerVariables(p.outc),
    ];
  }

  /** The trainable variables only. */
  trainableVariables(): tf.Variable[] {
    return this.variables().filter((v) => v.trainable);
  }

  /** Free every variable. */
  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}

/**
 * Create a UNet with fresh weights; `config` is validated (a `ConfigError` lists the bad fields).
 *
 * @example
 * ```ts
 * const unet = createUNet({ inChannels: 3, nClasses: 2, width: 32, depth: 4, bilinear: false }, new Rng(0));
 * ```
 */
export const createUNet = (config: unknown, rng: Rng): UNet => {
  const c = decodeOrThrow(UNetConfig, config, 'createUNet');
  return new UNet(c, createUNetParams(c, rng));
};

/**
 * A UNet from a decoded safetensors file written by `train-segmenter`
 * (milesial names, config JSON in `__metadata__.config`), or `configOverride`.
 * All keys are checked before any is assigned; the model is freed on failure.
 *
 * @example
 * ```ts
 * const unet = unetFromSafetensors(readSafetensors('runs/unet/unet.safetensors'), 'unet.safetensors');
 * ```
 */
export const unetFromSafetensors = (content: { readonly tensors: StateDict; readonly metadata: Readonly<Record<string, string>> }, where: string, configOverride?: unknown): UNet => {
  const model = content.metadata['model'];
  if (model !== undefined && model !== 'unet') throw new WeightsError(where, `the file holds a '${model}' model, not 'unet'`);
  let raw = configOverride;
  if (raw === undefined) {
    const text = content.metadata['config'];
    if (text === undefined) throw new WeightsError(where, 'the file records no config in __metadata__.config: pass one');
    try {
      raw = JSON.parse(text) as unknown;
    } catch (e) {
      throw new WeightsError(where, `__metadata__.config is not JSON (${(e as Error).message})`);
    }
  }
  const unet = createUNet(raw, new Rng(0));
  try {
    unet.loadStateDict(content.tensors, where);
  } catch (e) {
    unet.dispose();
    throw e;
  }
  return unet;
};
