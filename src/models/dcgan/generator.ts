/**
 * DCGAN generator: z ⇒ convT 4×4 (1 → 4) ⇒ [convT k4 s2 ⇒ BN ⇒ ReLU]… ⇒ convT ⇒ tanh.
 * Parameter names follow PyTorch's DCGAN tutorial (`main.<i>.weight`).
 *
 * https://arxiv.org/abs/1511.06434
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { decodeOrThrow } from '../../core/codec.ts';
import { ShapeError } from '../../core/errors.ts';
import type { Rng } from '../../core/rng.ts';
import { assertShape, type ImageBatch } from '../../core/tensor.ts';
import { conv2dTranspose, createConvTranspose2d, layerVariables, type ConvTranspose2dParams } from '../../nn/conv.ts';
import { batchNormRelu, batchNormVariables, createBatchNorm, type BatchNormParams } from '../../nn/norm.ts';
import { applyStateDict, toStateDict, type ApplyStateDictOptions, type WeightTargets } from '../../io/weights.ts';
import type { StateDict } from '../../io/state-dict.ts';
import type { Generator, SynthesizeOptions, SynthesizeResult } from '../generator.ts';
import { batchNormTargets, convTransposeTargets } from '../unet/torch-names.ts';
import { DCGANConfig, dcganStages } from './config.ts';

/** One hidden generator stage: transposed conv ⇒ BN (⇒ ReLU). */
export interface DCGANGeneratorStage {
  /** Transposed conv, no bias. */
  readonly conv: ConvTranspose2dParams;
  /** Batch norm. */
  readonly bn: BatchNormParams;
}

/** Variables of a DCGAN generator. */
export interface DCGANGeneratorParams {
  /** Hidden stages (first: 1×1 → 4×4, then ×2 each). */
  readonly stages: readonly DCGANGeneratorStage[];
  /** Last transposed conv to image channels (no bias), followed by tanh. */
  readonly toImage: ConvTranspose2dParams;
}

const DCGAN_INIT = { kind: 'normal', std: 0.02 } as const;

/**
 * Create the generator's variables (DCGAN init: conv N(0, 0.02²), BN γ ~ N(1, 0.02²)).
 *
 * @example
 * ```ts
 * const p = createDCGANGeneratorParams(dcganSmall32, new Rng(0));
 * ```
 */
export const createDCGANGeneratorParams = (c: DCGANConfig, rng: Rng): DCGANGeneratorParams => {
  const n = dcganStages(c);
  const stages: DCGANGeneratorStage[] = [];
  let ch = c.width * 2 ** (n - 1);
  stages.push({
    conv: createConvTranspose2d({ inChannels: c.latentDim, outChannels: ch, kernelSize: 4, bias: false, init: DCGAN_INIT }, rng),
    bn: createBatchNorm({ channels: ch, gammaStd: 0.02 }, rng),
  });
  for (let i = 1; i < n; i++) {
    stages.push({
      conv: createConvTranspose2d({ inChannels: ch, outChannels: ch / 2, kernelSize: 4, bias: false, init: DCGAN_INIT }, rng),
      bn: createBatchNorm({ channels: ch / 2, gammaStd: 0.02 }, rng),
    });
    ch /= 2;
  }
  const toImage = createConvTranspose2d({ inChannels: ch, outChannels: c.channels, kernelSize: 4, bias: false, init: DCGAN_INIT }, rng);
  return { stages, toImage };
};

/**
 * z [N,latentDim] → images [N,R,R,channels] in [-1,1].
 *
 * @example
 * ```ts
 * const x = dcganGenerate(p, z, false);
 * ```
 */
export const dcganGenerate = (p: DCGANGeneratorParams, z: tf.Tensor2D, training: boolean): tf.Tensor4D =>
  tf.tidy(() => {
    const first = p.stages[0] as DCGANGeneratorStage;
    const latentDim = first.conv.weight.shape[3];
    assertShape('dcganGenerate', z, [null, latentDim], 'z');
    let h = z.reshape([z.shape[0], 1, 1, latentDim]) as tf.Tensor4D;
    p.stages.forEach((s, i) => {
      h = batchNormRelu(s.bn, conv2dTranspose(s.conv, h, i === 0 ? {} : { stride: 2, padding: 1 }), training);
    });
    return tf.tanh(conv2dTranspose(p.toImage, h, { stride: 2, padding: 1 }));
  });

/**
 * A DCGAN generator (unconditional). Implements {@link Generator} and the GAN
 * trainer's `generate(z, training)`.
 *
 * @example
 * ```ts
 * const g = createDCGANGenerator(dcganSmall32, new Rng(0));
 * const { images } = g.synthesize(g.sampleLatent(4, new Rng(1))); // [4,32,32,3]
 * ```
 */
export class DCGANGenerator implements Generator {
  /** Architecture identifier. */
  readonly id: string;
  /** The architecture. */
  readonly config: DCGANConfig;
  /** The variables. */
  readonly params: DCGANGeneratorParams;
  /** Latent size. */
  readonly latentDim: number;
  /** Output side. */
  readonly resolution: number;

  constructor(config: DCGANConfig, params: DCGANGeneratorParams, id?: string) {
    this.config = config;
    this.params = params;
    this.latentDim = config.latentDim;
    this.resolution = config.resolution;
    this.id = id ?? `dcgan-${config.resolution}-z${config.latentDim}-w${config.width}`;
  }

  /** `n` latents from N(0, 1): [n,latentDim]. */
  sampleLatent(n: number, rng: Rng): tf.Tensor2D {
    return tf.tensor2d(rng.normalArray(n * this.latentDim), [n, this.latentDim]);
  }

  /** z → images in [-1,1] (tanh). `training` uses batch statistics. */
  generate(z: tf.Tensor2D, training: boolean): ImageBatch {
    return dcganGenerate(this.params, z, training);
  }

  /** {@link Generator.synthesize}: unconditional; `classes` and `inputIsW` are refused. */
  synthesize(latents: tf.Tensor2D, options: SynthesizeOptions = {}): SynthesizeResult {
    if (options.classes !== undefined) throw new ShapeError('DCGANGenerator.synthesize', 'the DCGAN is unconditional: classes must not be given');
    if (options.inputIsW) throw new ShapeError('DCGANGenerator.synthesize', 'the DCGAN has no W space: inputIsW must be false');
    return { images: this.generate(latents, options.training ?? false) };
  }

  /** Reference name → variable (`main.<i>.*`, PyTorch DCGAN tutorial indices). */
  weightTargets(): WeightTargets {
    const out: WeightTargets = new Map();
    this.params.stages.forEach((s, i) => {
      convTransposeTargets(out, `main.${3 * i}`, s.conv);
      batchNormTargets(out, `main.${3 * i + 1}`, s.bn);
    });
    convTransposeTargets(out, `main.${3 * this.params.stages.length}`, this.params.toImage);
    return out;
  }

  /** Load a state dict with the reference names (all keys checked first). */
  loadStateDict(dict: StateDict, where = 'DCGANGenerator.loadStateDict', options?: ApplyStateDictOptions): void {
    applyStateDict(where, dict, this.weightTargets(), options);
  }

  /** The weights as a state dict (PyTorch layouts). */
  stateDict(): StateDict {
    return toStateDict(this.weightTargets());
  }

  /** Every variable (trainable and BN statistics), in state-dict order. */
  variables(): tf.Variable[] {
    return [...this.params.stages.flatMap((s) => [...layerVariables(s.conv), ...batchNormVariables(s.bn)]), ...layerVariables(this.params.toImage)];
  }

  /** Free every variable. */
  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}

/**
 * Create a DCGAN generator with fresh weights (`config` validated).
 *
 * @example
 * ```ts
 * const g = createDCGANGenerator({ ...dcganSmall32, resolution: 64 }, new Rng(0));
 * ```
 */
export const createDCGANGenerator = (config: unknown, rng: Rng, id?: string): DCGANGenerator => {
  const c = decodeOrThrow(DCGANConfig, config, 'createDCGANGenerator');
  return new DCGANGenerator(c, createDCGANGeneratorParams(c, rng), id);
};
