/**
 * BigGAN-deep generator with the structure and parameter names of
 * huggingface/pytorch-pretrained-BigGAN (eval mode only).
 *
 * cond = [z, embeddings·onehot(class)] → gen_z (SN linear) → 4×4×16ch →
 * GenBlocks (CBN ⇒ ReLU ⇒ 1×1 ⇒ CBN ⇒ ReLU ⇒ ↑ ⇒ 3×3 ⇒ CBN ⇒ ReLU ⇒ 3×3 ⇒ CBN ⇒ ReLU ⇒ 1×1, plus the
 * channel-dropped, upsampled skip), self-attention before block `attentionLayerPosition` →
 * BN ⇒ ReLU ⇒ conv_to_rgb ⇒ first 3 channels ⇒ tanh. Batch-norm statistics are the stored
 * ones picked by the truncation ({@link truncatedStatistics}).
 *
 * https://arxiv.org/abs/1809.11096
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../core/errors.ts';
import type { Rng } from '../../core/rng.ts';
import { assertShape, type ImageBatch } from '../../core/tensor.ts';
import { conditionalBatchNorm, truncatedStatistics } from '../../nn/conditional-batch-norm.ts';
import { createSnLayer, normalOrZeros, snConv, snLinear, snVariables, snWeight, type SnLayer, type SpectralNormStyle } from '../../nn/biggan-layers.ts';
import { upsampleNearest2x } from '../../nn/biggan-ops.ts';
import { constantVariable } from '../../nn/init.ts';
import { selfAttention } from '../../nn/self-attention.ts';
import type { Generator, SynthesizeOptions, SynthesizeResult } from '../generator.ts';
import { checkDeepConfig, type BigGANDeepConfig } from './config.ts';
import { classIndices, truncatedNormalLatents } from './common.ts';

const SN: SpectralNormStyle = { kind: 'torch' };

/** A conditional batch norm of BigGAN-deep: 51 stored statistics and SN linear scale/offset. */
export interface DeepBatchNorm {
  /** `running_means` [nStats, C]. */
  readonly runningMeans: tf.Variable;
  /** `running_vars` [nStats, C]. */
  readonly runningVars: tf.Variable;
  /** `scale` SN linear [2z, C], no bias (gain = 1 + scale(cond)). */
  readonly scale: SnLayer;
  /** `offset` SN linear [2z, C], no bias. */
  readonly offset: SnLayer;
}

/** One GenBlock's parameters. */
export interface DeepBlock {
  /** Discriminant. */
  readonly kind: 'block';
  /** Upsample 2× inside the block. */
  readonly up: boolean;
  /** `bn_0` … `bn_3`. */
  readonly bn: readonly DeepBatchNorm[];
  /** `conv_0` (1×1), `conv_1` (3×3), `conv_2` (3×3), `conv_3` (1×1). */
  readonly conv: readonly SnLayer[];
}

/** The self-attention layer's parameters (1×1 convs stored as [in, out] matrices). */
export interface DeepAttention {
  /** Discriminant. */
  readonly kind: 'attention';
  /** `snconv1x1_theta`. */ readonly theta: SnLayer;
  /** `snconv1x1_phi`. */ readonly phi: SnLayer;
  /** `snconv1x1_g`. */ readonly g: SnLayer;
  /** `snconv1x1_o_conv`. */ readonly o: SnLayer;
  /** `gamma` [1]. */ readonly gamma: tf.Variable;
}

/** All parameters of {@link BigGANDeep}, laid out like the reference modules. */
export interface BigGANDeepParams {
  /** `embeddings.weight`, stored transposed as [numClasses, zDim]. */
  readonly embeddings: tf.Variable;
  /** `generator.gen_z`: SN linear [2z, 16·16·ch] with bias. */
  readonly genZ: SnLayer;
  /** `generator.layers.N`, in order. */
  readonly layers: readonly (DeepBlock | DeepAttention)[];
  /** `generator.bn` (unconditional): statistics [nStats, ch], `weight`, `bias` [ch]. */
  readonly bn: {
    /** `running_means` [nStats, ch]. */
    readonly runningMeans: tf.Variable;
    /** `running_vars` [nStats, ch]. */
    readonly runningVars: tf.Variable;
    /** `weight` (scale) [ch]. */
    readonly weight: tf.Variable;
    /** `bias` (shift) [ch]. */
    readonly bias: tf.Variable;
  };
  /** `generator.conv_to_rgb`: SN 3×3 conv ch → ch with bias. */
  readonly convToRgb: SnLayer;
}

const createBn = (c: number, condDim: number, nStats: number, name: string, rng: Rng | undefined): DeepBatchNorm => ({
  runningMeans: normalOrZeros([nStats, c], rng, 0.1, `${name}.running_means`),
  runningVars: rng ? tf.tidy(() => tf.variable(tf.add(tf.abs(tf.tensor(rng.normalArray(nStats * c, 0, 0.3), [nStats, c])), 0.5), true)) : constantVariable([nStats, c], 1),
  scale: createSnLayer([condDim, c], { bias: false, withV: true, name: `${name}.scale` }, rng),
  offset: createSnLayer([condDim, c], { bias: false, withV: true, name: `${name}.offset` }, rng),
});

/**
 * Random parameters for a configuration (zeros without `rng`, ready to load; real weights come from {@link deepWeightTargets}).
 *
 * @example
 * ```ts
 * const p = createBigGANDeepParams(BIGGAN_DEEP_PRESETS['biggan-deep-128'], new Rng(0));
 * ```
 */
export const createBigGANDeepParams = (config: BigGANDeepConfig, rng?: Rng): BigGANDeepParams => {
  checkDeepConfig(config);
  const ch = config.channelWidth, condDim = 2 * config.zDim, s = config.nStats;
  const layers: (DeepBlock | DeepAttention)[] = [];
  config.layers.forEach(([up, mi, mo], i) => {
    const inC = ch * mi, outC = ch * mo, mid = Math.floor(inC / 4);
    if (i === config.attentionLayerPosition) {
      const a = (o: number, k: number, n: string): SnLayer => createSnLayer([o, k], { bias: false, withV: true, name: `attn.${n}` }, rng);
      layers.push({ kind: 'attention', theta: a(inC, inC / 8, 'theta'), phi: a(inC, inC / 8, 'phi'), g: a(inC, inC / 2, 'g'), o: a(inC / 2, inC, 'o'), gamma: constantVariable([1], 0.3, 'attn.gamma') });
    }
    const conv = (k: number, ci: number, co: number, n: number): SnLayer => createSnLayer([k, k, ci, co], { bias: true, withV: true, name: `block${i}.conv_${n}` }, rng);
    layers.push({
      kind: 'block', up,
      bn: [inC, mid, mid, mid].map((c, n) => createBn(c, condDim, s, `block${i}.bn_${n}`, rng)),
      conv: [conv(1, inC, mid, 0), conv(3, mid, mid, 1), conv(3, mid, mid, 2), conv(1, mid, outC, 3)],
    });
  });
  return {
    embeddings: normalOrZeros([config.numClasses, config.zDim], rng, 0.1, 'embeddings'),
    genZ: createSnLayer([condDim, 16 * 16 * ch], { bias: true, withV: true, name: 'gen_z' }, rng),
    layers,
    bn: {
      runningMeans: normalOrZeros([s, ch], rng, 0.1, 'bn.running_means'),
      runningVars: constantVariable([s, ch], 1, 'bn.running_vars'),
      weight: constantVariable([ch], 1, 'bn.weight'),
      bias: constantVariable([ch], 0, 'bn.bias'),
    },
    convToRgb: createSnLayer([3, 3, ch, ch], { bias: true, withV: true, name: 'conv_to_rgb' }, rng),
  };
};

/**
 * Every variable of the parameters, in a stable order.
 *
 * @example
 * ```ts
 * const n = deepVariables(params).length;
 * ```
 */
export const deepVariables = (p: BigGANDeepParams): tf.Variable[] => [
  p.embeddings, ...snVariables(p.genZ),
  ...p.layers.flatMap((l) => (l.kind === 'attention'
    ? [...snVariables(l.theta), ...snVariables(l.phi), ...snVariables(l.g), ...snVariables(l.o), l.gamma]
    : [...l.bn.flatMap((b) => [b.runningMeans, b.runningVars, ...snVariables(b.scale), ...snVariables(b.offset)]), ...l.conv.flatMap(snVariables)])),
  p.bn.runningMeans, p.bn.runningVars, p.bn.weight, p.bn.bias, ...snVariables(p.convToRgb),
];

const cbn = (x: tf.Tensor4D, bn: DeepBatchNorm, cond: tf.Tensor2D, truncation: number, eps: number): tf.Tensor4D =>
  tf.tidy(() => {
    const gain = tf.add(snLinear(bn.scale, cond, SN), 1) as tf.Tensor2D;
    const bias = snLinear(bn.offset, cond, SN);
    return conditionalBatchNorm(x, truncatedStatistics(bn.runningMeans as tf.Tensor as tf.Tensor2D, truncation), truncatedStatistics(bn.runningVars as tf.Tensor as tf.Tensor2D, truncation), gain, bias, eps);
  });

const genBlock = (x: tf.Tensor4D, b: DeepBlock, cond: tf.Tensor2D, truncation: number, eps: number): tf.Tensor4D =>
  tf.tidy(() => {
    let h = x;
    for (let i = 0; i < 4; i++) {
      h = tf.relu(cbn(h, b.bn[i]!, cond, truncation, eps));
      if (i === 1 && b.up) h = upsampleNearest2x(h);
      h = snConv(b.conv[i]!, h, SN);
    }
    let skip: tf.Tensor4D = x;
    const inC = x.shape[3], outC = h.shape[3];
    if (inC !== outC) skip = skip.slice([0, 0, 0, 0], [-1, -1, -1, inC / 2]);
    if (b.up) skip = upsampleNearest2x(skip);
    return tf.add(h, skip) as tf.Tensor4D;
  });

const attention = (x: tf.Tensor4D, a: DeepAttention): tf.Tensor4D =>
  tf.tidy(() => selfAttention(x, {
    theta: snWeight(a.theta, SN) as tf.Tensor2D, phi: snWeight(a.phi, SN) as tf.Tensor2D,
    g: snWeight(a.g, SN) as tf.Tensor2D, o: snWeight(a.o, SN) as tf.Tensor2D, gamma: a.gamma,
  }));

/** Result of {@link bigGANDeepForward}. */
export interface DeepForwardResult {
  /** Images [N,H,W,3] in [-1,1]. */
  readonly images: ImageBatch;
  /** Output of every `generator.layers.N`, keyed `layers.N`, when asked for. */
  readonly features?: Record<string, tf.Tensor4D>;
}

/**
 * The reference forward: `BigGAN.forward(z, one_hot(classes), truncation)`.
 *
 * @example
 * ```ts
 * const { images } = bigGANDeepForward(params, config, z, tf.tensor1d([1, 7], 'int32'), 0.4);
 * ```
 */
export const bigGANDeepForward = (
  p: BigGANDeepParams, config: BigGANDeepConfig, z: tf.Tensor2D, classes: tf.Tensor1D, truncation: number, returnFeatures = false,
): DeepForwardResult => {
  const features: Record<string, tf.Tensor4D> = {};
  const images = tf.tidy(() => {
    const n = z.shape[0];
    assertShape('bigGANDeepForward', z, [null, config.zDim], 'z');
    assertShape('bigGANDeepForward', classes, [n], 'classes');
    if (!(truncation > 0 && truncation <= 1)) throw new ConfigError('bigGANDeepForward', [{ path: 'truncation', expected: '0 < truncation ≤ 1', given: String(truncation) }]);
    const embed = tf.gather(p.embeddings, classes) as tf.Tensor2D;
    const cond = tf.concat([z, embed], 1) as tf.Tensor2D;
    let h = snLinear(p.genZ, cond, SN).reshape([n, 4, 4, 16 * config.channelWidth]) as tf.Tensor4D; // TF layout: already NHWC
    p.layers.forEach((l, i) => {
      h = l.kind === 'block' ? genBlock(h, l, cond, truncation, config.eps) : attention(h, l);
      if (returnFeatures) features[`layers.${i}`] = tf.keep(h);
    });
    const bnMean = truncatedStatistics(p.bn.runningMeans as tf.Tensor as tf.Tensor2D, truncation);
    const bnVar = truncatedStatistics(p.bn.runningVars as tf.Tensor as tf.Tensor2D, truncation);
    h = tf.relu(conditionalBatchNorm(h, bnMean, bnVar, p.bn.weight as tf.Tensor as tf.Tensor1D, p.bn.bias as tf.Tensor as tf.Tensor1D, config.eps));
    h = snConv(p.convToRgb, h, SN);
    return tf.tanh(h.slice([0, 0, 0, 0], [-1, -1, -1, 3])) as tf.Tensor4D;
  });
  return returnFeatures ? { images, features } : { images };
};

/**
 * BigGAN-deep as a {@link Generator}. Latents are z [N, zDim]; `classes` are
 * required (class indices); `truncation` (default 1) picks the stored
 * batch-norm statistics — sample z with the same truncation. Eval mode only
 * (`training` and `inputIsW` are refused); there are no noise inputs.
 *
 * @example
 * ```ts
 * const g = new BigGANDeep(BIGGAN_DEEP_PRESETS['biggan-deep-128'], createBigGANDeepParams(cfg, rng));
 * const { images } = g.synthesize(g.sampleLatent(2, rng, 0.4), { classes: [207, 1], truncation: 0.4 });
 * ```
 */
export class BigGANDeep implements Generator {
  readonly latentDim: number;
  readonly resolution: number;
  readonly numClasses: number;
  constructor(
    /** Architecture. */ readonly config: BigGANDeepConfig,
    /** Parameters (owned: disposed with the generator). */ readonly params: BigGANDeepParams,
    /** Identifier of architecture and weights. */ readonly id = `biggan-deep-${config.outputDim}`,
  ) {
    checkDeepConfig(config);
    this.latentDim = config.zDim;
    this.resolution = config.outputDim;
    this.numClasses = config.numClasses;
  }
  /** Truncated normal in [−2, 2] scaled by `truncation` (pytorch-pretrained-BigGAN's `truncated_noise_sample`). */
  sampleLatent(n: number, rng: Rng, truncation = 1): tf.Tensor2D {
    return truncatedNormalLatents(n, this.latentDim, rng, truncation);
  }
  synthesize(latents: tf.Tensor2D, options: SynthesizeOptions = {}): SynthesizeResult {
    if (options.training) throw new ConfigError('BigGANDeep.synthesize', [{ path: 'training', expected: 'false (eval mode only)', given: 'true' }]);
    if (options.inputIsW) throw new ConfigError('BigGANDeep.synthesize', [{ path: 'inputIsW', expected: 'false (BigGAN has no W space)', given: 'true' }]);
    const classes = classIndices('BigGANDeep.synthesize', options.classes, latents.shape[0], this.numClasses, undefined);
    try {
      return bigGANDeepForward(this.params, this.config, latents, classes, options.truncation ?? 1, options.returnFeatures ?? false);
    } finally {
      if (classes !== options.classes) classes.dispose();
    }
  }
  variables(): tf.Variable[] {
    return deepVariables(this.params);
  }
  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}
