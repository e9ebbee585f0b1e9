/**
 * BigGAN generator with the structure and parameter names of
 * ajbrock/BigGAN-PyTorch (`BigGAN.py`, `layers.py`), eval mode — the
 * architecture of the converted BigBiGAN weights (anvoynov/BigGANsAreWatching).
 *
 * z → split into chunks (hierarchical) → linear(z₀) → [N,16ch,4,4] → GBlocks
 * (CBN ⇒ ReLU ⇒ ↑ ⇒ 3×3 ⇒ CBN ⇒ ReLU ⇒ 3×3, plus ↑ ⇒ 1×1 skip), with
 * self-attention after the blocks at the configured resolutions → BN ⇒ ReLU ⇒
 * 3×3 ⇒ tanh. Each block's CBN is conditioned on [shared(class), z_{i+1}].
 * Spectral norm: one power-iteration step from the stored `u0`, not updated.
 *
 * https://arxiv.org/abs/1809.11096
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../core/errors.ts';
import type { Rng } from '../../core/rng.ts';
import { assertShape, type ImageBatch } from '../../core/tensor.ts';
import { conditionalBatchNorm } from '../../nn/conditional-batch-norm.ts';
import { createSnLayer, normalOrZeros, snConv, snLinear, snVariables, snWeight, type SnLayer, type SpectralNormStyle } from '../../nn/biggan-layers.ts';
import { upsampleNearest2x } from '../../nn/biggan-ops.ts';
import { constantVariable } from '../../nn/init.ts';
import { selfAttention } from '../../nn/self-attention.ts';
import type { Generator, SynthesizeOptions, SynthesizeResult } from '../generator.ts';
import { bigganArch, bigganLatent, type BigGANConfig } from './config.ts';
import { classIndices, truncatedNormalLatents } from './common.ts';

/** `ccbn`: stored statistics and SN linear gain/bias (no bias terms) from the conditioning vector. */
export interface BigGANCbn {
  /** `stored_mean` [C]. */ readonly storedMean: tf.Variable;
  /** `stored_var` [C]. */ readonly storedVar: tf.Variable;
  /** `gain` SN linear [condDim, C] (gain = 1 + gain(y)). */ readonly gain: SnLayer;
  /** `bias` SN linear [condDim, C]. */ readonly bias: SnLayer;
}

/** `Attention` block parameters (1×1 convs as [in, out] matrices). */
export interface BigGANAttention {
  /** `theta` [C, C/8]. */ readonly theta: SnLayer;
  /** `phi` [C, C/8]. */ readonly phi: SnLayer;
  /** `g` [C, C/2]. */ readonly g: SnLayer;
  /** `o` [C/2, C]. */ readonly o: SnLayer;
  /** `gamma` (stored as a scalar; ours [1]). */ readonly gamma: tf.Variable;
}

/** One `GBlock` plus its optional attention. */
export interface BigGANBlock {
  /** `bn1` over the input channels. */ readonly bn1: BigGANCbn;
  /** `bn2` over the output channels. */ readonly bn2: BigGANCbn;
  /** `conv1` 3×3 in → out. */ readonly conv1: SnLayer;
  /** `conv2` 3×3 out → out. */ readonly conv2: SnLayer;
  /** `conv_sc` 1×1 (present when in ≠ out or upsampling — always here). */ readonly convSc?: SnLayer;
  /** `blocks.i.1` when the block's resolution has attention. */ readonly attention?: BigGANAttention;
}

/** All parameters of {@link BigGAN}. */
export interface BigGANParams {
  /** `shared.weight` [numClasses, sharedDim] (plain embedding). */ readonly shared: tf.Variable;
  /** `linear`: SN linear [chunk or dimZ, 16·ch·4·4] with bias. */ readonly linear: SnLayer;
  /** `blocks.i`. */ readonly blocks: readonly BigGANBlock[];
  /** `output_layer.0` (bn): `gain`, `bias`, `stored_mean`, `stored_var` [C]. */
  readonly outputBn: {
    /** `gain` [C]. */
    readonly gain: tf.Variable;
    /** `bias` [C]. */
    readonly bias: tf.Variable;
    /** `stored_mean` [C]. */
    readonly storedMean: tf.Variable;
    /** `stored_var` [C]. */
    readonly storedVar: tf.Variable;
  };
  /** `output_layer.2`: SN 3×3 conv C → 3 with bias. */ readonly outputConv: SnLayer;
}

const createCbn = (c: number, condDim: number, name: string, rng: Rng | undefined): BigGANCbn => ({
  storedMean: normalOrZeros([c], rng, 0.1, `${name}.stored_mean`),
  storedVar: rng ? tf.tidy(() => tf.variable(tf.add(tf.abs(tf.tensor(rng.normalArray(c, 0, 0.3), [c])), 0.5), true)) : constantVariable([c], 1),
  gain: createSnLayer([condDim, c], { bias: false, withV: false, name: `${name}.gain` }, rng),
  bias: createSnLayer([condDim, c], { bias: false, withV: false, name: `${name}.bias` }, rng),
});

/**
 * Random parameters for a configuration (zeros without `rng`, ready to load; real weights come from {@link bigganWeightTargets}).
 *
 * @example
 * ```ts
 * const p = createBigGANParams(BIGGAN_PRESETS['bigbigan-128'], new Rng(0));
 * ```
 */
export const createBigGANParams = (config: BigGANConfig, rng?: Rng): BigGANParams => {
  const arch = bigganArch(config);
  const { chunk, dimZ } = bigganLatent(config);
  const condDim = config.sharedDim + chunk;
  const sn = (shape: number[], bias: boolean, name: string): SnLayer => createSnLayer(shape, { bias, withV: false, name }, rng);
  const blocks = arch.map((s, i): BigGANBlock => ({
    bn1: createCbn(s.inChannels, condDim, `blocks.${i}.bn1`, rng),
    bn2: createCbn(s.outChannels, condDim, `blocks.${i}.bn2`, rng),
    conv1: sn([3, 3, s.inChannels, s.outChannels], true, `blocks.${i}.conv1`),
    conv2: sn([3, 3, s.outChannels, s.outChannels], true, `blocks.${i}.conv2`),
    convSc: sn([1, 1, s.inChannels, s.outChannels], true, `blocks.${i}.conv_sc`),
    ...(s.attention ? {
      attention: {
        theta: sn([s.outChannels, s.outChannels / 8], false, 'theta'), phi: sn([s.outChannels, s.outChannels / 8], false, 'phi'),
        g: sn([s.outChannels, s.outChannels / 2], false, 'g'), o: sn([s.outChannels / 2, s.outChannels], false, 'o'),
        gamma: constantVariable([1], 0.3, 'gamma'),
      },
    } : {}),
  }));
  const last = arch[arch.length - 1]!.outChannels;
  return {
    shared: normalOrZeros([config.numClasses, config.sharedDim], rng, 0.5, 'shared'),
    linear: sn([config.hier ? chunk : dimZ, arch[0]!.inChannels * 16], true, 'linear'),
    blocks,
    outputBn: {
      gain: constantVariable([last], 1, 'output_bn.gain'), bias: constantVariable([last], 0, 'output_bn.bias'),
      storedMean: normalOrZeros([last], rng, 0.1, 'output_bn.stored_mean'), storedVar: constantVariable([last], 1, 'output_bn.stored_var'),
    },
    outputConv: sn([3, 3, last, 3], true, 'output_layer.2'),
  };
};

/**
 * Every variable of the parameters, in a stable order.
 *
 * @example
 * ```ts
 * const n = bigganVariables(params).length;
 * ```
 */
export const bigganVariables = (p: BigGANParams): tf.Variable[] => [
  p.shared, ...snVariables(p.linear),
  ...p.blocks.flatMap((b) => [
    ...[b.bn1, b.bn2].flatMap((c) => [c.storedMean, c.storedVar, ...snVariables(c.gain), ...snVariables(c.bias)]),
    ...snVariables(b.conv1), ...snVariables(b.conv2), ...(b.convSc ? snVariables(b.convSc) : []),
    ...(b.attention ? [...snVariables(b.attention.theta), ...snVariables(b.attention.phi), ...snVariables(b.attention.g), ...snVariables(b.attention.o), b.attention.gamma] : []),
  ]),
  p.outputBn.gain, p.outputBn.bias, p.outputBn.storedMean, p.outputBn.storedVar, ...snVariables(p.outputConv),
];

const ccbn = (x: tf.Tensor4D, c: BigGANCbn, y: tf.Tensor2D, sn: SpectralNormStyle, eps: number): tf.Tensor4D =>
  tf.tidy(() => conditionalBatchNorm(
    x, c.storedMean as tf.Tensor as tf.Tensor1D, c.storedVar as tf.Tensor as tf.Tensor1D,
    tf.add(snLinear(c.gain, y, sn), 1) as tf.Tensor2D, snLinear(c.bias, y, sn), eps,
  ));

const gblock = (x: tf.Tensor4D, b: BigGANBlock, y: tf.Tensor2D, sn: SpectralNormStyle, eps: number): tf.Tensor4D =>
  tf.tidy(() => {
    let h = upsampleNearest2x(tf.relu(ccbn(x, b.bn1, y, sn, eps)));
    h = snConv(b.conv1, h, sn);
    h = snConv(b.conv2, tf.relu(ccbn(h, b.bn2, y, sn, eps)), sn);
    let skip = upsampleNearest2x(x);
    if (b.convSc) skip = snConv(b.convSc, skip, sn);
    return tf.add(h, skip) as tf.Tensor4D;
  });

/** Result of {@link bigGANForward}. */
export interface BigGANForwardResult {
  /** Images [N,H,W,3] in [-1,1]. */
  readonly images: ImageBatch;
  /** Output of every `blocks.i` (after its attention), keyed `blocks.i`, when asked for. */
  readonly features?: Record<string, tf.Tensor4D>;
}

/**
 * The reference forward `G(z, G.shared(classes))`.
 *
 * @example
 * ```ts
 * const { images } = bigGANForward(params, config, z, tf.tensor1d([0, 0], 'int32'));
 * ```
 */
export const bigGANForward = (p: BigGANParams, config: BigGANConfig, z: tf.Tensor2D, classes: tf.Tensor1D, returnFeatures = false): BigGANForwardResult => {
  const features: Record<string, tf.Tensor4D> = {};
  const sn: SpectralNormStyle = { kind: 'biggan', eps: config.snEps };
  const { chunk, dimZ } = bigganLatent(config);
  const images = tf.tidy(() => {
    const n = z.shape[0];
    assertShape('bigGANForward', z, [null, dimZ], 'z');
    assertShape('bigGANForward', classes, [n], 'classes');
    const y = tf.gather(p.shared, classes) as tf.Tensor2D;
    let z0: tf.Tensor2D = z;
    let ys: tf.Tensor2D[] = p.blocks.map(() => y);
    if (config.hier) {
      const zs = tf.split(z, dimZ / chunk, 1) as tf.Tensor2D[];
      z0 = zs[0]!;
      ys = zs.slice(1).map((zi) => tf.concat([y, zi], 1) as tf.Tensor2D);
    }
    const c0 = p.linear.bias!.shape[0]! / 16;
    let h = snLinear(p.linear, z0, sn).reshape([n, c0, 4, 4]).transpose([0, 2, 3, 1]) as tf.Tensor4D; // NCHW view → NHWC
    p.blocks.forEach((b, i) => {
      h = gblock(h, b, ys[i]!, sn, config.bnEps);
      if (b.attention) {
        const a = b.attention;
        h = selfAttention(h, {
          theta: snWeight(a.theta, sn) as tf.Tensor2D, phi: snWeight(a.phi, sn) as tf.Tensor2D,
          g: snWeight(a.g, sn) as tf.Tensor2D, o: snWeight(a.o, sn) as tf.Tensor2D, gamma: a.gamma,
        });
      }
      if (returnFeatures) features[`blocks.${i}`] = tf.keep(h);
    });
    const o = p.outputBn;
    h = tf.relu(conditionalBatchNorm(h, o.storedMean as tf.Tensor as tf.Tensor1D, o.storedVar as tf.Tensor as tf.Tensor1D, o.gain as tf.Tensor as tf.Tensor1D, o.bias as tf.Tensor as tf.Tensor1D, config.outputBnEps));
    return tf.tanh(snConv(p.outputConv, h, sn)) as tf.Tensor4D;
  });
  return returnFeatures ? { images, features } : { images };
};

/**
 * BigGAN (BigGAN-PyTorch) as a {@link Generator}. Latents are z [N, dimZ]
 * (after rounding to whole chunks). Conditional models need `classes`;
 * `unconditional` ones (BigBiGAN) use class 0 and hide `numClasses`.
 * `truncation` is not used by the network (truncate z when sampling). Eval mode
 * only (`training` and `inputIsW` are refused); there are no noise inputs.
 *
 * @example
 * ```ts
 * const g = new BigGAN(BIGGAN_PRESETS['bigbigan-128'], params);
 * const { images } = g.synthesize(g.sampleLatent(2, new Rng(0))); // [2,128,128,3]
 * ```
 */
export class BigGAN implements Generator {
  readonly latentDim: number;
  readonly resolution: number;
  readonly numClasses?: number;
  constructor(
    /** Architecture. */ readonly config: BigGANConfig,
    /** Parameters (owned: disposed with the generator). */ readonly params: BigGANParams,
    /** Identifier of architecture and weights. */ readonly id = `biggan-${config.resolution}`,
  ) {
    this.latentDim = bigganLatent(config).dimZ;
    this.resolution = config.resolution;
    if (!config.unconditional) this.numClasses = config.numClasses;
  }
  /** z ~ N(0, I) (BigBiGAN's prior); with `truncation` < 1, a truncated normal on [−2, 2] scaled by it. */
  sampleLatent(n: number, rng: Rng, truncation = 1): tf.Tensor2D {
    if (truncation !== 1) return truncatedNormalLatents(n, this.latentDim, rng, truncation);
    return tf.tensor2d(rng.normalArray(n * this.latentDim), [n, this.latentDim]);
  }
  synthesize(latents: tf.Tensor2D, options: SynthesizeOptions = {}): SynthesizeResult {
    if (options.training) throw new ConfigError('BigGAN.synthesize', [{ path: 'training', expected: 'false (eval mode only)', given: 'true' }]);
    if (options.inputIsW) throw new ConfigError('BigGAN.synthesize', [{ path: 'inputIsW', expected: 'false (BigGAN has no W space)', given: 'true' }]);
    const classes = classIndices('BigGAN.synthesize', options.classes, latents.shape[0], this.config.numClasses, this.config.unconditional ? 0 : undefined);
    try {
      return bigGANForward(this.params, this.config, latents, classes, options.returnFeatures ?? false);
    } finally {
      if (classes !== options.classes) classes.dispose();
    }
  }
  variables(): tf.Variable[] {
    return bigganVariables(this.params);
  }
  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}
