/**
 * Labels4Free's alpha branch on a frozen StyleGAN2 (Abdal et al., ICCV 2021,
 * https://arxiv.org/abs/2103.14968; code RameenAbdal/Labels4Free): foreground G(z), background
 * G(z) with a 4×4 tensor zeroed, α from the foreground pass's StyledConv outputs, and the
 * composite α·fg + (1 − α)·bg.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../core/errors.ts';
import type { Rng } from '../../core/rng.ts';
import type { ImageBatch, MaskBatch, Module } from '../../core/tensor.ts';
import type { StateDict } from '../../io/state-dict.ts';
import type { StyleGAN2Generator, SynthesizeStyledConvsOptions } from '../../models/stylegan2/generator.ts';
import {
  alphaNet, alphaNetStateDict, alphaNetVariables, createAlphaNetParams, loadAlphaNetStateDict, type AlphaNetParams,
} from './alpha-net.ts';
import { alphaBranchDefaults, type AlphaBranchConfig } from './config.ts';

/**
 * How fg and bg latents are drawn for a composite:
 * `train` (train.py): fg = G(z) at `trainTruncation`, bg = G_bg(z) — the same z — untruncated;
 * `sample` (test_sample.py and train.py's sample grids): fg = G(z), bg = G_bg(z₂) with a separate
 * z₂, both at `sampleTruncation`, and a hard mask α > `maskThreshold`.
 */
export type LatentHandling = 'train' | 'sample';

/** Noise options shared by every pass: the stored buffers (default) or fresh draws from `rng`. */
export interface NoiseOptions {
  /** `'stored'` (the generator's `noises.noise_i`, deterministic) or `'random'` (the reference's default `randomize_noise`). */
  readonly noise?: 'stored' | 'random';
  /** Required when `noise` is `'random'`; fg and bg draw from separate forks. */
  readonly rng?: Rng;
}

/** Options of {@link AlphaBranch.layers}. */
export interface LayersOptions extends NoiseOptions {
  /** See {@link LatentHandling}. Default `'train'`. */
  readonly latents?: LatentHandling;
  /** z₂ of the background in `'sample'` mode [N,D] (required there, unused in `'train'`). */
  readonly zBackground?: tf.Tensor2D;
}

/** Everything one composite is made of. Tensors are new; the caller disposes them. */
export interface AlphaLayers {
  /** Foreground generator's image [N,R,R,3]. */
  readonly foreground: ImageBatch;
  /** Background generator's image [N,R,R,3]. */
  readonly background: ImageBatch;
  /** Soft mask α [N,R,R,1] in (0, 1). */
  readonly alpha: MaskBatch;
  /** α·fg + (1 − α)·bg [N,R,R,3]. */
  readonly composite: ImageBatch;
  /** `'sample'` mode only: float 0/1 of α > `maskThreshold` [N,R,R,1]. */
  readonly mask?: MaskBatch;
}

/** Options of {@link AlphaBranch.masks}. */
export interface MasksOptions extends NoiseOptions {
  /** Hard mask = α > this. Default `config.maskThreshold` (test_sample.py's `--th` 0.9). */
  readonly threshold?: number;
  /** ψ of G(z). Default `config.sampleTruncation` (test_sample.py's 0.5). */
  readonly truncation?: number;
}

/** What {@link AlphaBranch.masks} returns. Tensors are new; the caller disposes them. */
export interface AlphaMasks {
  /** G(z) [N,R,R,3] (test_sample.py's `…_original.png`, unclamped). */
  readonly images: ImageBatch;
  /** Soft mask α [N,R,R,1] in (0, 1). */
  readonly alpha: MaskBatch;
  /** float 0/1 of α > threshold [N,R,R,1] (test_sample.py's `…_hard_mask.png`). */
  readonly masks: MaskBatch;
}

/**
 * The alpha branch: a borrowed StyleGAN2 generator, frozen (its variables are set not trainable,
 * as train.py's `requires_grad(generator, False)`; it is not disposed here), and the alpha net
 * it owns. Feature maps are read from the block of side `config.featureFrom` onward.
 *
 * @example
 * ```ts
 * const branch = AlphaBranch.create(g, new Rng(0));            // reference settings for g's size
 * const { composite, alpha } = branch.layers(z);                // train.py's latents
 * const s = branch.layers(z, { latents: 'sample', zBackground: z2 }); // test_sample.py's, s.mask = α > 0.9
 * ```
 */
export class AlphaBranch implements Module {
  /** The wrapped generator (frozen, borrowed). */
  readonly generator: StyleGAN2Generator;
  /** The settings. */
  readonly config: AlphaBranchConfig;
  /** The alpha net's parameters (official names: see `alphaNetWeightTargets`). */
  readonly params: AlphaNetParams;
  /** Index of the first `convs.i` the alpha net reads: 2·(log2 featureFrom − 3) (reference `res_idx` − 1). */
  readonly firstConv: number;

  private constructor(generator: StyleGAN2Generator, config: AlphaBranchConfig, params: AlphaNetParams, firstConv: number) {
    this.generator = generator;
    this.config = config;
    this.params = params;
    this.firstConv = firstConv;
    for (const v of generator.variables()) v.trainable = false;
  }

  /**
   * Wrap `generator` with a fresh alpha net (PyTorch's default init, seeded by `rng`).
   *
   * @example
   * ```ts
   * const branch = AlphaBranch.create(g, new Rng(0), { ...alphaBranchDefaults(256), trainTruncation: 0.5 });
   * ```
   */
  static create(generator: StyleGAN2Generator, rng: Rng, config: AlphaBranchConfig = alphaBranchDefaults(generator.resolution)): AlphaBranch {
    const R = generator.resolution, from = config.featureFrom;
    const blocks = Math.log2(R) - Math.log2(from) + 1;
    if (!(from >= 8 && from <= R / 2 && Number.isInteger(blocks))) {
      throw new ConfigError('AlphaBranch.create', [{ path: 'featureFrom', expected: `a power of two in [8, ${R / 2}] (two resolutions at least)`, given: String(from) }]);
    }
    const firstConv = 2 * (Math.log2(from) - 3);
    const featureChannels = generator.params.convs.slice(firstConv).map((c) => c.conv.weight.shape[3] as number);
    const params = createAlphaNetParams({ featureChannels, lateralChannels: config.lateralChannels, negativeSlope: config.negativeSlope }, rng);
    return new AlphaBranch(generator, config, params, firstConv);
  }

  private pass(z: tf.Tensor2D, truncation: number, zero: 'none' | 'constantInput' | 'conv1Output', o: NoiseOptions, label: string) {
    if (o.noise === 'random' && o.rng === undefined) {
      throw new ConfigError('AlphaBranch', [{ path: 'rng', expected: "an Rng when noise is 'random'", given: 'undefined' }]);
    }
    const opts: SynthesizeStyledConvsOptions = {
      truncation, zero, noise: o.noise ?? 'stored', ...(o.rng ? { rng: o.rng.fork(label) } : {}),
    };
    return this.generator.synthesizeStyledConvs(z, opts);
  }

  /**
   * Foreground images G(z) [N,R,R,3] at truncation ψ (default `config.trainTruncation`).
   *
   * @example
   * ```ts
   * const fg = branch.foreground(z, 0.5);
   * ```
   */
  foreground(z: tf.Tensor2D, truncation: number = this.config.trainTruncation, options: NoiseOptions = {}): ImageBatch {
    return tf.tidy(() => this.pass(z, truncation, 'none', options, 'foreground').images);
  }

  /**
   * Background images [N,R,R,3]: G(z) with `config.backgroundZero` zeroed (reference `back=True`),
   * at truncation ψ (default 1, as train.py).
   *
   * @example
   * ```ts
   * const bg = branch.background(z);
   * ```
   */
  background(z: tf.Tensor2D, truncation: number = 1, options: NoiseOptions = {}): ImageBatch {
    return tf.tidy(() => this.pass(z, truncation, this.config.backgroundZero, options, 'background').images);
  }

  /**
   * α [N,R,R,1] of the foreground G(z) at truncation ψ (default `config.trainTruncation`).
   *
   * @example
   * ```ts
   * const a = branch.alpha(z);
   * ```
   */
  alpha(z: tf.Tensor2D, truncation: number = this.config.trainTruncation, options: NoiseOptions = {}): MaskBatch {
    return tf.tidy(() => alphaNet(this.params, this.pass(z, truncation, 'none', options, 'foreground').convs.slice(this.firstConv)));
  }

  /**
   * Foreground, background, α and composite for latents z [N,D], with train.py's or
   * test_sample.py's latent handling (see {@link LatentHandling}).
   *
   * @example
   * ```ts
   * const { foreground, background, alpha, composite } = branch.layers(z);
   * const { mask } = branch.layers(z, { latents: 'sample', zBackground: z2 });
   * ```
   */
  layers(z: tf.Tensor2D, options: LayersOptions = {}): AlphaLayers {
    const mode = options.latents ?? 'train';
    if (mode === 'sample' && options.zBackground === undefined) {
      throw new ConfigError('AlphaBranch.layers', [{ path: 'zBackground', expected: "a [N,D] tensor in 'sample' mode (test_sample.py's separate z)", given: 'undefined' }]);
    }
    const c = this.config;
    return tf.tidy(() => {
      const psiFg = mode === 'train' ? c.trainTruncation : c.sampleTruncation;
      const fg = this.pass(z, psiFg, 'none', options, 'foreground');
      const bg = mode === 'train'
        ? this.pass(z, 1, c.backgroundZero, options, 'background')
        : this.pass(options.zBackground as tf.Tensor2D, c.sampleTruncation, c.backgroundZero, options, 'background');
      const alpha = alphaNet(this.params, fg.convs.slice(this.firstConv));
      const composite = compose(fg.images, bg.images, alpha);
      const out = { foreground: fg.images, background: bg.images, alpha, composite };
      return (mode === 'sample' ? { ...out, mask: tf.cast(tf.greater(alpha, c.maskThreshold), 'float32') } : out) as unknown as tf.TensorContainer;
    }) as unknown as AlphaLayers;
  }

  /**
   * test_sample.py's pairs for latents z [N,D]: `images` = G(z) at ψ `truncation` (default
   * `config.sampleTruncation`, the reference's 0.5), `alpha` = α of that pass, `masks` = float 0/1 of
   * α > `threshold` (default `config.maskThreshold`, the reference's `--th` 0.9). The background
   * (a separate z₂ in test_sample.py) only enters the composite, so it is not computed here: use
   * {@link AlphaBranch.layers} with `latents: 'sample'` for the composite. Tensors are new; the caller disposes them.
   *
   * @example
   * ```ts
   * const z = g.sampleLatent(8, new Rng(0));
   * const { images, alpha, masks } = branch.masks(z, { threshold: 0.9 }); // [8,R,R,3], [8,R,R,1], [8,R,R,1] of 0/1
   * tf.dispose([z, images, alpha, masks]);
   * ```
   */
  masks(z: tf.Tensor2D, options: MasksOptions = {}): AlphaMasks {
    const threshold = options.threshold ?? this.config.maskThreshold;
    const truncation = options.truncation ?? this.config.sampleTruncation;
    if (!(threshold >= 0 && threshold <= 1)) {
      throw new ConfigError('AlphaBranch.masks', [{ path: 'threshold', expected: 'a number in [0, 1]', given: String(threshold) }]);
    }
    return tf.tidy(() => {
      const fg = this.pass(z, truncation, 'none', options, 'foreground');
      const alpha = alphaNet(this.params, fg.convs.slice(this.firstConv)); // [N,R,R,1]
      const masks = tf.cast(tf.greater(alpha, threshold), 'float32');
      return { images: fg.images, alpha, masks } as unknown as tf.TensorContainer;
    }) as unknown as AlphaMasks;
  }

  /**
   * The alpha net's variables (the only trainable ones).
   *
   * @example
   * ```ts
   * const { grads } = tf.variableGrads(() => loss(branch.layers(z)), branch.trainableVariables());
   * ```
   */
  trainableVariables(): tf.Variable[] {
    return alphaNetVariables(this.params);
  }

  /**
   * Every variable the branch owns: the alpha net's (the generator's stay with the generator).
   *
   * @example
   * ```ts
   * branch.variables().length; // 2 per conv: 2K laterals, K − 2 merges, conv_n
   * ```
   */
  variables(): tf.Variable[] {
    return alphaNetVariables(this.params);
  }

  /**
   * Load an official alpha-net state dict (`bg_extractor_ema`; `module.` prefixes stripped).
   * Throws one `WeightsError` listing every missing, unexpected and wrongly-shaped key.
   *
   * @example
   * ```ts
   * branch.loadStateDict(ckpt.get('bg_extractor_ema'), 'horse.pt');
   * ```
   */
  loadStateDict(dict: StateDict, where = 'AlphaBranch.loadStateDict'): void {
    loadAlphaNetStateDict(this.params, dict, where);
  }

  /**
   * The alpha net as an official state dict (keys `conv1.weight` … `conv_n.bias`, OIHW).
   *
   * @example
   * ```ts
   * const dict = branch.stateDict();
   * ```
   */
  stateDict(): StateDict {
    return alphaNetStateDict(this.params);
  }

  /**
   * Free the alpha net (not the borrowed generator).
   *
   * @example
   * ```ts
   * branch.dispose(); g.dispose();
   * ```
   */
  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}

/**
 * The composite α·fg + (1 − α)·bg (train.py / test_sample.py `image_new`).
 *
 * @example
 * ```ts
 * const x = compose(fg, bg, alpha); // [N,R,R,3]
 * ```
 */
export const compose = (fg: ImageBatch, bg: ImageBatch, alpha: MaskBatch): ImageBatch =>
  tf.tidy(() => tf.add(tf.mul(fg, alpha), tf.mul(tf.sub(1, alpha), bg)) as ImageBatch);
