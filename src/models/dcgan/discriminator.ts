/**
 * DCGAN discriminator: [conv k4 s2 (⇒ BN) ⇒ leakyReLU 0.2]… down to 4×4 ⇒ conv 4×4 ⇒ logit.
 * Parameter names follow PyTorch's DCGAN tutorial (`main.<i>.weight`).
 *
 * https://arxiv.org/abs/1511.06434
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { decodeOrThrow } from '../../core/codec.ts';
import type { Rng } from '../../core/rng.ts';
import { assertShape, type ImageBatch, type Module } from '../../core/tensor.ts';
import { conv2d, createConv2d, layerVariables, type Conv2dParams } from '../../nn/conv.ts';
import { batchNorm, batchNormVariables, createBatchNorm, type BatchNormParams } from '../../nn/norm.ts';
import { applyStateDict, toStateDict, type ApplyStateDictOptions, type WeightTargets } from '../../io/weights.ts';
import type { StateDict } from '../../io/state-dict.ts';
import { batchNormTargets, convTargets } from '../unet/torch-names.ts';
import { DCGANConfig, dcganStages } from './config.ts';

/** One discriminator stage: conv k4 s2 (⇒ BN) ⇒ leakyReLU. */
export interface DCGANDiscriminatorStage {
  /** The conv. */
  readonly conv: Conv2dParams;
  /** Batch norm (hidden stages, when `dBatchNorm`). */
  readonly bn: BatchNormParams | undefined;
}

/** Variables of a DCGAN discriminator. */
export interface DCGANDiscriminatorParams {
  /** Stride-2 stages, R → 4. */
  readonly stages: readonly DCGANDiscriminatorStage[];
  /** Final 4×4 valid conv to one logit, no bias. */
  readonly toLogit: Conv2dParams;
}

const DCGAN_INIT = { kind: 'normal', std: 0.02 } as const;

/**
 * Create the discriminator's variables.
 *
 * @example
 * ```ts
 * const p = createDCGANDiscriminatorParams(dcganSmall32, new Rng(0));
 * ```
 */
export const createDCGANDiscriminatorParams = (c: DCGANConfig, rng: Rng): DCGANDiscriminatorParams => {
  const n = dcganStages(c);
  const stages: DCGANDiscriminatorStage[] = [];
  let inCh: number = c.channels;
  for (let i = 0; i < n; i++) {
    const out = c.dWidth * 2 ** i;
    const useBn = c.dBatchNorm && i > 0;
    stages.push({
      conv: createConv2d({ inChannels: inCh, outChannels: out, kernelSize: 4, bias: !c.dBatchNorm, init: DCGAN_INIT }, rng),
      bn: useBn ? createBatchNorm({ channels: out, gammaStd: 0.02 }, rng) : undefined,
    });
    inCh = out;
  }
  const toLogit = createConv2d({ inChannels: inCh, outChannels: 1, kernelSize: 4, bias: false, init: DCGAN_INIT }, rng);
  return { stages, toLogit };
};

/**
 * images [N,R,R,C] → logits [N].
 *
 * @example
 * ```ts
 * const logits = dcganScore(p, images, true);
 * ```
 */
export const dcganScore = (p: DCGANDiscriminatorParams, x: tf.Tensor4D, training: boolean): tf.Tensor1D =>
  tf.tidy(() => {
    const first = p.stages[0] as DCGANDiscriminatorStage;
    const r = 4 * 2 ** p.stages.length;
    assertShape('dcganScore', x, [null, r, r, first.conv.weight.shape[2]], 'images');
    let h = x;
    for (const s of p.stages) {
      const y = conv2d(s.conv, h, { stride: 2, padding: 1 });
      h = tf.leakyRelu(s.bn ? batchNorm(s.bn, y, training) : y, 0.2);
    }
    return conv2d(p.toLogit, h).reshape([x.shape[0]]) as tf.Tensor1D;
  });

/**
 * A DCGAN discriminator. Implements the GAN trainer's `score(images, training)`.
 *
 * @example
 * ```ts
 * const d = createDCGANDiscriminator(dcganSmall32, new Rng(0));
 * const logits = d.score(images, true); // [N]
 * ```
 */
export class DCGANDiscriminator implements Module {
  /** The architecture. */
  readonly config: DCGANConfig;
  /** The variables. */
  readonly params: DCGANDiscriminatorParams;

  constructor(config: DCGANConfig, params: DCGANDiscriminatorParams) {
    this.config = config;
    this.params = params;
  }

  /** images [N,R,R,C] in [-1,1] → logits [N]. */
  score(images: ImageBatch, training: boolean): tf.Tensor1D {
    return dcganScore(this.params, images, training);
  }

  /** Reference name → variable (`main.<i>.*`). */
  weightTargets(): WeightTargets {
    const out: WeightTargets = new Map();
    let i = 0;
    for (const s of this.params.stages) {
      convTargets(out, `main.${i++}`, s.conv);
      if (s.bn) batchNormTargets(out, `main.${i++}`, s.bn);
      i++; // LeakyReLU
    }
    convTargets(out, `main.${i}`, this.params.toLogit);
    return out;
  }

  /** Load a state dict with the reference names (all keys checked first). */
  loadStateDict(dict: StateDict, where = 'DCGANDiscriminator.loadStateDict', options?: ApplyStateDictOptions): void {
    applyStateDict(where, dict, this.weightTargets(), options);
  }

  /** The weights as a state dict (PyTorch layouts). */
  stateDict(): StateDict {
    return toStateDict(this.weightTargets());
  }

  /** Every variable, in state-dict order. */
  variables(): tf.Variable[] {
    return [
      ...this.params.stages.flatMap((s) => [...layerVariables(s.conv), ...(s.bn ? batchNormVariables(s.bn) : [])]),
      ...layerVariables(this.params.toLogit),
    ];
  }

  /** Free every variable. */
  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}

/**
 * Create a DCGAN discriminator with fresh weights (`config` validated).
 *
 * @example
 * ```ts
 * const d = createDCGANDiscriminator(dcganSmall32, new Rng(1));
 * ```
 */
export const createDCGANDiscriminator = (config: unknown, rng: Rng): DCGANDiscriminator => {
  const c = decodeOrThrow(DCGANConfig, config, 'createDCGANDiscriminator');
  return new DCGANDiscriminator(c, createDCGANDiscriminatorParams(c, rng));
};
