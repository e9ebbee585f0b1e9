/**
 * BigGAN projection discriminator with the structure and parameter names of
 * ajbrock/BigGAN-PyTorch (`BigGAN.py` `D_arch` / `Discriminator`, `layers.py`
 * `DBlock`, `Attention`, `SNConv2d`, `SNLinear`, `SNEmbedding`), eval mode.
 *
 * x → DBlocks (([ReLU] ⇒ 3×3 ⇒ ReLU ⇒ 3×3 ⇒ avgpool₂) + shortcut), each followed by
 * self-attention when its resolution label is configured → ReLU ⇒ global sum
 * pool → h [N,C] → out = linear(h) + Σ_c embed(y)_c · h_c.
 * Spectral norm: one power-iteration step from the stored `u0`, not written
 * back (`SN.W_` with `training = False`); the stored `sv0` is a log and unused.
 *
 * https://arxiv.org/abs/1809.11096 (BigGAN), https://arxiv.org/abs/1802.05637 (projection D)
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import * as t from 'io-ts';
import { decodeOrThrow, PositiveInt, PositiveNumber, Resolution } from '../../core/codec.ts';
import { ConfigError, WeightsError } from '../../core/errors.ts';
import type { Rng } from '../../core/rng.ts';
import { assertShape, type Module } from '../../core/tensor.ts';
import type { StateDict } from '../../io/state-dict.ts';
import { applyStateDict } from '../../io/weights.ts';
import { createSnLayer, snConv, snLinear, snVariables, snWeight, type SnLayer, type SpectralNormStyle } from '../../nn/biggan-layers.ts';
import { constantVariable } from '../../nn/init.ts';
import { selfAttention } from '../../nn/self-attention.ts';
import type { BigGANAttention } from './biggan.ts';
import { classIndices } from './common.ts';
import { bigganDiscriminatorWeightTargets, isBigGANIgnoredKey } from './weight-names.ts';

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

/**
 * BigGAN-PyTorch `Discriminator` configuration (its arguments, camelCased).
 * Only `D_param = 'SN'` with one singular vector (`num_D_SVs = 1`) and 3×3 kernels exist here, as in the reference.
 *
 * @example
 * ```ts
 * const cfg = decodeOrThrow(BigGANDiscriminatorConfig, { ...BIGGAN_D_PRESETS['biggan-128'], ch: 8, numClasses: 10 });
 * ```
 */
export const BigGANDiscriminatorConfig = t.type({
  /** Input side length: 32, 64, 128, 256 or 512. BigGAN: 128. */ resolution: Resolution,
  /** Channel width multiplier `D_ch`. BigGAN: 96; train.py default: 64. */ ch: PositiveInt,
  /** `D_wide`: a block's hidden channels are its output channels (else its input channels). Reference: true. */ wide: t.boolean,
  /** Resolution labels of `D_arch` with self-attention after their block (`D_attn` '64' → [64], '0' → []). BigGAN: [64]. */ attention: t.array(PositiveInt),
  /** Classes of the projection embedding `n_classes`. ImageNet: 1000. */ numClasses: PositiveInt,
  /** Outputs of the final linear `output_dim`. Reference: 1. */ outputDim: PositiveInt,
  /** Spectral-norm epsilon `SN_eps`. BigGAN launch scripts: 1e-6 (train.py default 1e-8, class default 1e-12). */ snEps: PositiveNumber,
});
/** BigGAN-PyTorch `Discriminator` configuration. */
export type BigGANDiscriminatorConfig = t.TypeOf<typeof BigGANDiscriminatorConfig>;
/** Fields replacing inferred ones (plain numbers; decoded and checked with the rest). */
export type BigGANDiscriminatorConfigOverrides = Partial<t.OutputOf<typeof BigGANDiscriminatorConfig>>;

/**
 * Named configurations: `biggan-128` of `launch_BigGAN_bs256x8.sh` (ImageNet 128), `cifar-32` of the CIFAR-10 scripts.
 *
 * @example
 * ```ts
 * const d = createBigGANDiscriminator(BIGGAN_D_PRESETS['cifar-32'], new Rng(0));
 * ```
 */
export const BIGGAN_D_PRESETS: Readonly<Record<'biggan-128' | 'cifar-32', BigGANDiscriminatorConfig>> = {
  'biggan-128': decodeOrThrow(BigGANDiscriminatorConfig, { resolution: 128, ch: 96, wide: true, attention: [64], numClasses: 1000, outputDim: 1, snEps: 1e-6 }, 'BIGGAN_D_PRESETS'),
  'cifar-32': decodeOrThrow(BigGANDiscriminatorConfig, { resolution: 32, ch: 64, wide: true, attention: [], numClasses: 10, outputDim: 1, snEps: 1e-8 }, 'BIGGAN_D_PRESETS'),
};

/** One block of {@link bigganDiscriminatorArch}. */
export interface BigGANDStage {
  /** Input channels. */ readonly inChannels: number;
  /** Channels between conv1 and conv2 (`out` when wide, else `in`). */ readonly hiddenChannels: number;
  /** Output channels. */ readonly outChannels: number;
  /** 2×2 average pooling at the end of the block and on the shortcut. */ readonly downsample: boolean;
  /** ReLU on the input (every block but the first); also puts the shortcut conv before the pooling. */ readonly preactivation: boolean;
  /** 1×1 shortcut conv `conv_sc` (in ≠ out or downsampling). */ readonly learnableShortcut: boolean;
  /** The reference's resolution label (at 32 px every block is labelled 16, though blocks 1–3 run at 8×8). */ readonly resolution: number;
  /** Self-attention after the block (`blocks.i.1`). */ readonly attention: boolean;
}

// D_arch: [in multipliers after the RGB input, out multipliers, resolution labels]; every block but the last downsamples (32 px: the first two).
const D_ARCH: Readonly<Record<number, readonly [readonly number[], readonly number[], readonly number[]]>> = {
  512: [[1, 1, 2, 4, 8, 8, 16], [1, 1, 2, 4, 8, 8, 16, 16], [256, 128, 64, 32, 16, 8, 4, 4]],
  256: [[1, 2, 4, 8, 8, 16], [1, 2, 4, 8, 8, 16, 16], [128, 64, 32, 16, 8, 4, 4]],
  128: [[1, 2, 4, 8, 16], [1, 2, 4, 8, 16, 16], [64, 32, 16, 8, 4, 4]],
  64: [[1, 2, 4, 8], [1, 2, 4, 8, 16], [32, 16, 8, 4, 4]],
  32: [[4, 4, 4], [4, 4, 4, 4], [16, 16, 16, 16]],
};

/**
 * BigGAN-PyTorch's `D_arch` for a configuration, checked: throws a ConfigError
 * for an unknown resolution, or attention on a block with fewer than 8 channels.
 *
 * @example
 * ```ts
 * bigganDiscriminatorArch(BIGGAN_D_PRESETS['biggan-128']).map((s) => s.outChannels); // [96, 192, 384, 768, 1536, 1536]
 * ```
 */
export const bigganDiscriminatorArch = (c: BigGANDiscriminatorConfig, where = 'bigganDiscriminatorArch'): BigGANDStage[] => {
  const a = D_ARCH[c.resolution];
  if (!a) throw new ConfigError(where, [{ path: 'resolution', expected: '32 | 64 | 128 | 256 | 512', given: String(c.resolution) }]);
  const ins = [3, ...a[0].map((m) => m * c.ch)];
  const stages = a[1].map((m, i): BigGANDStage => {
    const inChannels = ins[i]!, outChannels = m * c.ch;
    const downsample = c.resolution === 32 ? i < 2 : i < a[1].length - 1;
    return {
      inChannels, outChannels, hiddenChannels: c.wide ? outChannels : inChannels, downsample, preactivation: i > 0,
      learnableShortcut: inChannels !== outChannels || downsample, resolution: a[2][i]!, attention: (c.attention as readonly number[]).includes(a[2][i]!),
    };
  });
  const bad = stages.filter((s) => s.attention && s.outChannels < 8);
  if (bad.length > 0) throw new ConfigError(where, [{ path: 'attention', expected: 'blocks with attention to have ≥ 8 channels (θ, φ have C/8)', given: `${bad[0]!.outChannels} channels at ${bad[0]!.resolution}` }]);
  return stages;
};

// ---------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------

/** One `DBlock` (`blocks.i.0`) plus its optional attention (`blocks.i.1`). */
export interface BigGANDBlock {
  /** `conv1` 3×3 in → hidden, with bias. */ readonly conv1: SnLayer;
  /** `conv2` 3×3 hidden → out, with bias. */ readonly conv2: SnLayer;
  /** `conv_sc` 1×1 in → out, with bias, when the shortcut is learnable. */ readonly convSc?: SnLayer;
  /** `blocks.i.1` when the block's resolution label has attention. */ readonly attention?: BigGANAttention;
}

/** All parameters of {@link BigGANDiscriminator}. */
export interface BigGANDiscriminatorParams {
  /** `blocks.i`. */ readonly blocks: readonly BigGANDBlock[];
  /** `linear`: SN linear [C, outputDim] with bias. */ readonly linear: SnLayer;
  /** `embed`: SN embedding held as [C, numClasses] (stored `embed.weight` [numClasses, C]), `u` over classes, no bias. */ readonly embed: SnLayer;
}

const createAttention = (c: number, name: string, rng: Rng | undefined): BigGANAttention => {
  const sn = (i: number, o: number, n: string): SnLayer => createSnLayer([i, o], { bias: false, withV: false, name: `${name}.${n}` }, rng);
  const ck = Math.floor(c / 8), cv = Math.floor(c / 2);
  return { theta: sn(c, ck, 'theta'), phi: sn(c, ck, 'phi'), g: sn(c, cv, 'g'), o: sn(cv, c, 'o'), gamma: constantVariable([1], 0, `${name}.gamma`) };
};

/**
 * Random parameters for a configuration (N(0, 1/fan-in) weights, zero biases, γ = 0 as the
 * reference initialises it; all zeros without `rng`, ready to receive stored weights).
 *
 * @example
 * ```ts
 * const p = createBigGANDiscriminatorParams(BIGGAN_D_PRESETS['cifar-32'], new Rng(0));
 * ```
 */
export const createBigGANDiscriminatorParams = (config: BigGANDiscriminatorConfig, rng?: Rng): BigGANDiscriminatorParams => {
  const arch = bigganDiscriminatorArch(config, 'createBigGANDiscriminatorParams');
  const sn = (shape: number[], bias: boolean, name: string): SnLayer => createSnLayer(shape, { bias, withV: false, name }, rng);
  const blocks = arch.map((s, i): BigGANDBlock => ({
    conv1: sn([3, 3, s.inChannels, s.hiddenChannels], true, `blocks.${i}.0.conv1`),
    conv2: sn([3, 3, s.hiddenChannels, s.outChannels], true, `blocks.${i}.0.conv2`),
    ...(s.learnableShortcut ? { convSc: sn([1, 1, s.inChannels, s.outChannels], true, `blocks.${i}.0.conv_sc`) } : {}),
    ...(s.attention ? { attention: createAttention(s.outChannels, `blocks.${i}.1`, rng) } : {}),
  }));
  const c = arch[arch.length - 1]!.outChannels;
  return { blocks, linear: sn([c, config.outputDim], true, 'linear'), embed: sn([c, config.numClasses], false, 'embed') };
};

/**
 * Every variable of the parameters, in a stable order.
 *
 * @example
 * ```ts
 * const n = bigganDiscriminatorVariables(params).length;
 * ```
 */
export const bigganDiscriminatorVariables = (p: BigGANDiscriminatorParams): tf.Variable[] => [
  ...p.blocks.flatMap((b) => [
    ...snVariables(b.conv1), ...snVariables(b.conv2), ...(b.convSc ? snVariables(b.convSc) : []),
    ...(b.attention ? [...snVariables(b.attention.theta), ...snVariables(b.attention.phi), ...snVariables(b.attention.g), ...snVariables(b.attention.o), b.attention.gamma] : []),
  ]),
  ...snVariables(p.linear), ...snVariables(p.embed),
];

// ---------------------------------------------------------------------------
// Forward
// ---------------------------------------------------------------------------

const avgPool2 = (x: tf.Tensor4D): tf.Tensor4D => tf.avgPool(x, 2, 2, 'valid');

/** `DBlock.forward`: ([ReLU] ⇒ conv1 ⇒ ReLU ⇒ conv2 ⇒ [pool]) + shortcut (pre-activation: conv then pool; else pool then conv). */
const dblock = (x: tf.Tensor4D, b: BigGANDBlock, s: BigGANDStage, sn: SpectralNormStyle): tf.Tensor4D =>
  tf.tidy(() => {
    let h = snConv(b.conv2, tf.relu(snConv(b.conv1, s.preactivation ? tf.relu(x) : x, sn)), sn);
    if (s.downsample) h = avgPool2(h);
    let sc = x;
    if (s.preactivation) {
      if (b.convSc) sc = snConv(b.convSc, sc, sn);
      if (s.downsample) sc = avgPool2(sc);
    } else {
      if (s.downsample) sc = avgPool2(sc);
      if (b.convSc) sc = snConv(b.convSc, sc, sn);
    }
    return tf.add(h, sc) as tf.Tensor4D;
  });

const attend = (x: tf.Tensor4D, a: BigGANAttention, sn: SpectralNormStyle): tf.Tensor4D =>
  tf.tidy(() => selfAttention(x, {
    theta: snWeight(a.theta, sn) as tf.Tensor2D, phi: snWeight(a.phi, sn) as tf.Tensor2D,
    g: snWeight(a.g, sn) as tf.Tensor2D, o: snWeight(a.o, sn) as tf.Tensor2D, gamma: a.gamma,
  }));

/** Result of {@link bigGANDiscriminatorForward}. */
export interface BigGANDiscriminatorResult {
  /** D(x, y) [N, outputDim]: the linear output plus the projection term. */
  readonly logits: tf.Tensor2D;
  /** When asked for: every `blocks.i` output (after its attention) and `pooled` h [N,C] (sum of ReLU over positions). */
  readonly features?: Record<string, tf.Tensor>;
}

/**
 * The reference forward `D(x, y)` in eval mode on images [N,R,R,3] (NHWC) and class indices [N] (int32).
 *
 * @example
 * ```ts
 * const { logits } = bigGANDiscriminatorForward(params, config, images, tf.tensor1d([0, 3], 'int32')); // [2, outputDim]
 * ```
 */
export const bigGANDiscriminatorForward = (
  p: BigGANDiscriminatorParams, config: BigGANDiscriminatorConfig, images: tf.Tensor4D, classes: tf.Tensor1D, returnFeatures = false,
): BigGANDiscriminatorResult => {
  const r = config.resolution;
  assertShape('bigGANDiscriminatorForward', images, [null, r, r, 3], 'images');
  assertShape('bigGANDiscriminatorForward', classes, [images.shape[0]], 'classes');
  const arch = bigganDiscriminatorArch(config, 'bigGANDiscriminatorForward');
  const sn: SpectralNormStyle = { kind: 'biggan', eps: config.snEps };
  const features: Record<string, tf.Tensor> = {};
  const logits = tf.tidy(() => {
    let h = images;
    p.blocks.forEach((b, i) => {
      h = dblock(h, b, arch[i]!, sn);
      if (b.attention) h = attend(h, b.attention, sn);
      if (returnFeatures) features[`blocks.${i}`] = tf.keep(h);
    });
    const pooled = tf.sum(tf.relu(h), [1, 2]) as tf.Tensor2D;                                       // [N,C]
    if (returnFeatures) features.pooled = tf.keep(pooled);
    const embedded = tf.gather(tf.transpose(snWeight(p.embed, sn)), classes) as tf.Tensor2D;          // [N,C]
    return tf.add(snLinear(p.linear, pooled, sn), tf.sum(tf.mul(embedded, pooled), 1, true)) as tf.Tensor2D;
  });
  return returnFeatures ? { logits, features } : { logits };
};

// ---------------------------------------------------------------------------
// Module
// ---------------------------------------------------------------------------

/**
 * BigGAN-PyTorch's projection discriminator: images [N,R,R,3] in [-1,1] and
 * classes → D(x, y) [N, outputDim]. Eval-mode spectral norm (the stored `u0`
 * are read, never updated); differentiable in the images and the weights.
 *
 * @example
 * ```ts
 * const d = createBigGANDiscriminator(BIGGAN_D_PRESETS['cifar-32'], new Rng(0));
 * const logits = d.apply(images, [3, 7]); // [2,1]
 * ```
 */
export class BigGANDiscriminator implements Module {
  constructor(
    /** Architecture. */ readonly config: BigGANDiscriminatorConfig,
    /** Parameters (owned: disposed with the discriminator). */ readonly params: BigGANDiscriminatorParams,
    /** Identifier of architecture and weights. */ readonly id = `biggan-d-${config.resolution}`,
  ) {}

  /** D(x, y) [N, outputDim] of images [N,R,R,3] and class indices in [0, numClasses). */
  apply(images: tf.Tensor4D, classes: tf.Tensor1D | readonly number[]): tf.Tensor2D {
    return this.forward(images, classes).logits;
  }

  /** D(x, y), with the block outputs and the pooled features when `returnFeatures`. */
  forward(images: tf.Tensor4D, classes: tf.Tensor1D | readonly number[], returnFeatures = false): BigGANDiscriminatorResult {
    const y = classIndices('BigGANDiscriminator.apply', classes, images.shape[0], this.config.numClasses, undefined);
    try {
      return bigGANDiscriminatorForward(this.params, this.config, images, y, returnFeatures);
    } finally {
      if (y !== classes) y.dispose();
    }
  }

  /** Every variable (weights, biases, γ and the `u0` vectors), in a stable order. */
  variables(): tf.Variable[] {
    return bigganDiscriminatorVariables(this.params);
  }

  /** Free every tensor. */
  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}

/**
 * A discriminator with seeded random weights (see {@link createBigGANDiscriminatorParams}).
 *
 * @example
 * ```ts
 * const d = createBigGANDiscriminator(BIGGAN_D_PRESETS['biggan-128'], new Rng(0));
 * ```
 */
export const createBigGANDiscriminator = (config: BigGANDiscriminatorConfig, rng: Rng): BigGANDiscriminator =>
  new BigGANDiscriminator(config, createBigGANDiscriminatorParams(config, rng));

// ---------------------------------------------------------------------------
// From a state dict
// ---------------------------------------------------------------------------

const BLOCKS_TO_RESOLUTION: Readonly<Record<number, number>> = { 4: 32, 5: 64, 6: 128, 7: 256, 8: 512 };

const shape2 = (sd: StateDict, key: string, where: string): readonly [number, number] => {
  const s = sd.get(key)?.shape;
  if (!s) throw new WeightsError(where, `cannot infer the configuration: key '${key}' missing (pass a config)`);
  if (s.length !== 2) throw new WeightsError(where, `cannot infer the configuration: '${key}' has shape [${s.join(',')}], expected rank 2`);
  return s as [number, number];
};

/**
 * Infer a discriminator configuration from BigGAN-PyTorch tensor shapes:
 * resolution from the number of blocks, `ch`, `wide`, classes, `outputDim`
 * and the attention labels. `snEps` is not in the weights: 1e-6 (the BigGAN
 * launch scripts) unless `overrides` says otherwise.
 *
 * @example
 * ```ts
 * const cfg = inferBigGANDiscriminatorConfig(loadTorchCheckpoint('D.pth'), { snEps: 1e-8 });
 * ```
 */
export const inferBigGANDiscriminatorConfig = (
  sd: StateDict, overrides: BigGANDiscriminatorConfigOverrides = {}, where = 'inferBigGANDiscriminatorConfig',
): BigGANDiscriminatorConfig => {
  const [numClasses, c] = shape2(sd, 'embed.weight', where);
  const [outputDim] = shape2(sd, 'linear.weight', where);
  const blocks = [...new Set([...sd.keys()].map((k) => /^blocks\.(\d+)\.0\./.exec(k)?.[1]).filter((x): x is string => x !== undefined).map(Number))].sort((a, b) => a - b);
  const resolution = BLOCKS_TO_RESOLUTION[blocks.length];
  if (resolution === undefined) throw new WeightsError(where, `cannot infer the configuration: ${blocks.length} blocks (expected 4–8 for 32–512 px)`);
  const ch = c / (resolution === 32 ? 4 : 16);
  const hidden = sd.get('blocks.0.0.conv1.weight')?.shape[0];
  const labels = D_ARCH[resolution]![2];
  const attention = [...new Set(blocks.filter((i) => sd.has(`blocks.${i}.1.gamma`)).map((i) => labels[i]!))];
  const inferred = { resolution, ch, wide: hidden !== 3 || ch === 3, attention, numClasses, outputDim, snEps: 1e-6 };
  return decodeOrThrow(BigGANDiscriminatorConfig, { ...inferred, ...overrides }, where);
};

/** Options of {@link bigGANDiscriminatorFromStateDict}. */
export interface BigGANDiscriminatorFromStateDictOptions {
  /** Full configuration; inferred from the shapes (plus `overrides`) when absent. */
  readonly config?: BigGANDiscriminatorConfig;
  /** Fields replacing inferred ones (e.g. `snEps`). */
  readonly overrides?: BigGANDiscriminatorConfigOverrides;
  /** Name used in error messages and as the discriminator id. */
  readonly where?: string;
}

/**
 * A {@link BigGANDiscriminator} holding the weights of a BigGAN-PyTorch `D`
 * state dict (`D.pth`). Every missing, unexpected or wrongly shaped key is
 * reported at once; `sv0` buffers are ignored (logs only).
 *
 * @example
 * ```ts
 * const d = bigGANDiscriminatorFromStateDict(loadTorchCheckpoint('weights/BigGAN_I128/D.pth'), { overrides: { snEps: 1e-6 } });
 * ```
 */
export const bigGANDiscriminatorFromStateDict = (sd: StateDict, options: BigGANDiscriminatorFromStateDictOptions = {}): BigGANDiscriminator => {
  const where = options.where ?? 'bigGANDiscriminatorFromStateDict';
  const config = options.config ?? inferBigGANDiscriminatorConfig(sd, options.overrides, where);
  const d = new BigGANDiscriminator(config, createBigGANDiscriminatorParams(config), `biggan-d-${config.resolution}:${where}`);
  try {
    applyStateDict(where, sd, bigganDiscriminatorWeightTargets(d.params), { ignore: isBigGANIgnoredKey });
  } catch (e) {
    d.dispose();
    throw e;
  }
  return d;
};
