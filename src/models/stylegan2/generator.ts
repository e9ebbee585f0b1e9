/**
 * StyleGAN2 generator (Karras et al. 2020, https://arxiv.org/abs/1912.04958)
 * with rosinality/stylegan2-pytorch's structure:
 * mapping `style` (PixelNorm ⇒ nMlp × EqualLinear(lr 0.01, fused lReLU)) and
 * synthesis `input ⇒ conv1 ⇒ to_rgb1`, then per resolution
 * `(convs[2i] ↑ ⇒ convs[2i+1] ⇒ to_rgbs[i] + ↑skip)`.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../core/errors.ts';
import { Rng } from '../../core/rng.ts';
import { assertShape, type ImageBatch } from '../../core/tensor.ts';
import type { Generator, SynthesizeOptions, SynthesizeResult } from '../generator.ts';
import { constantInput, createConstantInput, type ConstantInput } from '../../nn/constant-input.ts';
import { createEqualLinear, equalLinear, equalLinearVariables, type EqualLinear } from '../../nn/equalized.ts';
import { randomNoise } from '../../nn/noise.ts';
import { createStyledConv, styledConv, styledConvVariables, type StyledConv } from '../../nn/styled-conv.ts';
import { createToRGB, toRGB, toRGBVariables, type ToRGB } from '../../nn/to-rgb.ts';
import { channelsOf, type StyleGAN2Config } from './config.ts';

/** The generator's parameters, named as rosinality's modules. */
export interface StyleGAN2GeneratorParams {
  /** Mapping layers `style.1 … style.nMlp` (index 0 here = `style.1`). */
  readonly style: readonly EqualLinear[];
  /** `input`: learned 4×4 constant. */
  readonly input: ConstantInput;
  /** `conv1`: 4×4 styled conv. */
  readonly conv1: StyledConv;
  /** `to_rgb1`. */
  readonly toRgb1: ToRGB;
  /** `convs`: two per resolution 8…R, the first upsampling. */
  readonly convs: readonly StyledConv[];
  /** `to_rgbs`: one per resolution 8…R. */
  readonly toRgbs: readonly ToRGB[];
  /** `noises.noise_i`: stored noise [1, r, r, 1], not trainable. */
  readonly noises: readonly tf.Variable[];
}

/** Options of {@link StyleGAN2Generator.synthesizeWPlus}: those of `synthesize` that apply to W+. */
export type SynthesizeWPlusOptions = Pick<SynthesizeOptions, 'truncation' | 'noise' | 'rng' | 'returnFeatures'>;

/**
 * Which 4×4 tensor {@link StyleGAN2Generator.synthesizeStyledConvs} zeroes: nothing, the learned
 * constant `input` (before `conv1`), or `conv1`'s output (Labels4Free's `back=True`, see its README).
 */
export type ZeroStage = 'none' | 'constantInput' | 'conv1Output';

/** Options of {@link StyleGAN2Generator.synthesizeStyledConvs}. */
export interface SynthesizeStyledConvsOptions extends Pick<SynthesizeOptions, 'truncation' | 'noise' | 'rng' | 'inputIsW'> {
  /** The 4×4 tensor to zero. Default `'none'` (the ordinary generator). */
  readonly zero?: ZeroStage;
}

/** Result of {@link StyleGAN2Generator.synthesizeStyledConvs}. */
export interface StyledConvsResult {
  /** Images [N,R,R,3]. */
  readonly images: ImageBatch;
  /** Every StyledConv output after `conv1`, `convs.0` … `convs.{2·log2(R)−5}`: [N,r,r,C], two per resolution 8…R. */
  readonly convs: readonly tf.Tensor4D[];
}

const pixelNorm = (z: tf.Tensor2D): tf.Tensor2D => tf.mul(z, tf.rsqrt(tf.add(tf.mean(tf.square(z), 1, true), 1e-8)));

/**
 * Create the parameter record (seeded init, as rosinality's constructors).
 *
 * @example
 * ```ts
 * const p = createStyleGAN2GeneratorParams(styleGAN2Preset('small-64'), new Rng(0));
 * ```
 */
export const createStyleGAN2GeneratorParams = (cfg: StyleGAN2Config, rng: Rng): StyleGAN2GeneratorParams => {
  const ch = channelsOf(cfg);
  const d = cfg.styleDim, bk = cfg.blurKernel;
  const style = Array.from({ length: cfg.nMlp }, (_, i) =>
    createEqualLinear({ inDim: d, outDim: d, lrMul: cfg.lrMlp, activation: true }, rng.fork(`style.${i + 1}`)));
  const c4 = ch[0] as number;
  const input = createConstantInput(c4, 4, rng.fork('input'));
  const conv1 = createStyledConv({ inChannels: c4, outChannels: c4, styleDim: d, blurKernel: bk }, rng.fork('conv1'));
  const toRgb1 = createToRGB(c4, d, rng.fork('to_rgb1'), bk);
  const convs: StyledConv[] = [], toRgbs: ToRGB[] = [];
  for (let i = 1; i < ch.length; i++) {
    const cin = ch[i - 1] as number, cout = ch[i] as number;
    convs.push(createStyledConv({ inChannels: cin, outChannels: cout, styleDim: d, upsample: true, blurKernel: bk }, rng.fork(`convs.${2 * i - 2}`)));
    convs.push(createStyledConv({ inChannels: cout, outChannels: cout, styleDim: d, blurKernel: bk }, rng.fork(`convs.${2 * i - 1}`)));
    toRgbs.push(createToRGB(cout, d, rng.fork(`to_rgbs.${i - 1}`), bk));
  }
  const noiseRng = rng.fork('noises');
  const noises = Array.from({ length: 2 * ch.length - 1 }, (_, i) => {
    const r = 2 ** Math.floor((i + 5) / 2);
    return tf.tidy(() => tf.variable(tf.tensor4d(noiseRng.normalArray(r * r), [1, r, r, 1]), false));
  });
  return { style, input, conv1, toRgb1, convs, toRgbs, noises };
};

/**
 * rosinality's StyleGAN2 `Generator`, implementing {@link Generator}.
 *
 * @example
 * ```ts
 * const g = createStyleGAN2Generator(styleGAN2Preset('small-64'), new Rng(0));
 * const { images } = g.synthesize(g.sampleLatent(4, new Rng(1)), { truncation: 0.7 });
 * ```
 */
export class StyleGAN2Generator implements Generator {
  /** Architecture + weights identifier. */
  readonly id: string;
  /** Z dimensionality (= styleDim). */
  readonly latentDim: number;
  /** W dimensionality (= styleDim). */
  readonly wDim: number;
  /** Output side. */
  readonly resolution: number;
  /** Per-layer latents in W+ (rosinality `n_latent` = 2·log2(R) − 2). */
  readonly nLatent: number;
  /** The configuration. */
  readonly config: StyleGAN2Config;
  /** The parameters. */
  readonly params: StyleGAN2GeneratorParams;
  private meanWCache: tf.Tensor1D | undefined;

  constructor(config: StyleGAN2Config, params: StyleGAN2GeneratorParams, id?: string) {
    this.config = config;
    this.params = params;
    this.latentDim = config.styleDim;
    this.wDim = config.styleDim;
    this.resolution = config.resolution;
    this.nLatent = 2 * Math.log2(config.resolution) - 2;
    this.id = id ?? `stylegan2-${config.resolution}-${channelsOf(config).join('.')}-d${config.styleDim}-m${config.nMlp}`;
  }

  /** Draw `n` latents z ~ N(0, I) from `rng`. */
  sampleLatent(n: number, rng: Rng): tf.Tensor2D {
    return tf.tensor2d(rng.normalArray(n * this.latentDim), [n, this.latentDim]);
  }

  /** Mapping network: z [N,D] → w [N,D] (`style`). */
  mapToW(z: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      assertShape('StyleGAN2Generator.mapToW', z, [null, this.latentDim], 'z');
      return this.params.style.reduce((x, layer) => equalLinear(layer, x), pixelNorm(z));
    });
  }

  /** Mean W over `config.meanWSamples` seeded samples (cached; rosinality `mean_latent`). Returns a new tensor the caller disposes. */
  meanW(): tf.Tensor1D {
    if (this.meanWCache === undefined) {
      const rng = new Rng('stylegan2/meanW');
      const total = this.config.meanWSamples, chunk = 1024;
      this.meanWCache = tf.keep(tf.tidy(() => {
        let sum: tf.Tensor1D = tf.zeros([this.wDim]);
        for (let done = 0; done < total; done += chunk) {
          const n = Math.min(chunk, total - done);
          sum = tf.add(sum, tf.sum(this.mapToW(this.sampleLatent(n, rng)), 0));
        }
        return tf.div(sum, total) as tf.Tensor1D;
      }));
    }
    return this.meanWCache.clone();
  }

  /** Replace the cached mean W (e.g. one saved alongside the weights). */
  setMeanW(w: tf.Tensor1D): void {
    assertShape('StyleGAN2Generator.setMeanW', w, [this.wDim], 'w');
    this.meanWCache?.dispose();
    this.meanWCache = tf.keep(w.clone());
  }

  /** Latents (Z, or W when `inputIsW`) [N,D] → images [N,R,R,3]. Truncation lerps W toward {@link meanW}. */
  synthesize(latents: tf.Tensor2D, options: SynthesizeOptions = {}): SynthesizeResult {
    const where = 'StyleGAN2Generator.synthesize';
    assertShape(where, latents, [null, this.latentDim], 'latents');
    return tf.tidy(() => {
      // One W for every layer: the layers share the tensor (no W+ tile and unstack).
      const w = this.truncatedW(latents, options);
      return this.synthesizeLayers(() => w, w.shape[0], options) as unknown as tf.TensorContainer;
    }) as unknown as SynthesizeResult;
  }

  /**
   * Like {@link synthesize} (one W per image, truncation toward {@link meanW}), but returns the
   * output of every StyledConv `convs.i` (the upsampling one and the second one of each
   * resolution, after noise, bias and activation) and can zero a 4×4 tensor (`zero`).
   *
   * @example
   * ```ts
   * const { images, convs } = g.synthesizeStyledConvs(z, { truncation: 0.7 });
   * const bg = g.synthesizeStyledConvs(z, { zero: 'conv1Output' }).images;
   * ```
   */
  synthesizeStyledConvs(latents: tf.Tensor2D, options: SynthesizeStyledConvsOptions = {}): StyledConvsResult {
    assertShape('StyleGAN2Generator.synthesizeStyledConvs', latents, [null, this.latentDim], 'latents');
    return tf.tidy(() => {
      const w = this.truncatedW(latents, options);
      const r = this.synthesizeLayers(() => w, w.shape[0], options, options.zero ?? 'none', true);
      return { images: r.images, convs: r.convs ?? [] } as unknown as tf.TensorContainer;
    }) as unknown as StyledConvsResult;
  }

  /**
   * The GAN trainer's view (`TrainableGenerator`): z [N,D] → images with the
   * stored noise buffers (deterministic; rosinality trains with fresh noise per
   * step — see the model README). `training` is unused (no batch statistics).
   *
   * @example
   * ```ts
   * const x = g.generate(g.sampleLatent(4, new Rng(0)), true); // [4,R,R,3]
   * ```
   */
  generate(z: tf.Tensor2D, _training = false): ImageBatch {
    return this.synthesize(z).images;
  }

  /**
   * Synthesis from one W per image [N,D] (the trainer's path-length hook;
   * `synthesizeW(mapToW(z))` equals `generate(z)`).
   *
   * @example
   * ```ts
   * const x = g.synthesizeW(g.mapToW(z), true);
   * ```
   */
  synthesizeW(w: tf.Tensor, _training = false): ImageBatch {
    return this.synthesize(w as tf.Tensor2D, { inputIsW: true }).images;
  }

  /**
   * Per-layer latents W+ [N, nLatent, D] → images (rosinality `input_is_latent` with a 3-D latent).
   * Features, when asked for, are the activations after each resolution's last conv: `res4` … `resR`.
   */
  synthesizeWPlus(wPlus: tf.Tensor3D, options: SynthesizeWPlusOptions = {}): SynthesizeResult {
    const where = 'StyleGAN2Generator.synthesizeWPlus';
    assertShape(where, wPlus, [null, this.nLatent, this.wDim], 'wPlus');
    const psi = options.truncation ?? 1;
    return tf.tidy(() => {
      let ws: tf.Tensor3D = wPlus;
      if (psi !== 1) {
        const m = this.meanW().reshape([1, 1, this.wDim]);
        ws = tf.add(m, tf.mul(tf.sub(wPlus, m), psi));
      }
      const layers = tf.unstack(ws, 1) as tf.Tensor2D[]; // nLatent × [N,D]
      return this.synthesizeLayers((i) => layers[i] as tf.Tensor2D, wPlus.shape[0], options) as unknown as tf.TensorContainer;
    }) as unknown as SynthesizeResult;
  }

  /** Z (or W with `inputIsW`) [N,D] → one W per image, lerped toward {@link meanW} by `truncation` (call inside tidy). */
  private truncatedW(latents: tf.Tensor2D, options: { readonly inputIsW?: boolean; readonly truncation?: number }): tf.Tensor2D {
    const w = options.inputIsW ? latents : this.mapToW(latents);
    const psi = options.truncation ?? 1;
    if (psi === 1) return w;
    const m = this.meanW().reshape([1, this.wDim]);
    return tf.add(m, tf.mul(tf.sub(w, m), psi));
  }

  /** The synthesis network with layer i's latent from `L(i)`. */
  private synthesizeLayers(
    L: (i: number) => tf.Tensor2D, n: number, options: SynthesizeWPlusOptions, zero: ZeroStage = 'none', tapConvs = false,
  ): SynthesizeResult & { convs?: tf.Tensor4D[] } {
    const where = 'StyleGAN2Generator.synthesize';
    const noiseMode = options.noise ?? 'stored';
    if (noiseMode === 'random' && options.rng === undefined) {
      throw new ConfigError(where, [{ path: 'rng', expected: "an Rng when noise is 'random'", given: 'undefined' }]);
    }
    const out = tf.tidy(() => {
      const features: Record<string, tf.Tensor4D> = {};
      const p = this.params;
      const noise = (i: number): tf.Tensor4D => {
        const stored = p.noises[i] as tf.Variable;
        if (noiseMode === 'stored') return stored as tf.Tensor4D;
        const r = stored.shape[1] as number;
        return randomNoise(n, r, r, options.rng as Rng);
      };
      const keep = (name: string, x: tf.Tensor4D): void => {
        if (options.returnFeatures) features[name] = x;
      };
      const convs: tf.Tensor4D[] = [];
      const c4 = constantInput(p.input, n);
      let out = styledConv(p.conv1, zero === 'constantInput' ? tf.zerosLike(c4) : c4, L(0), noise(0)); // [N,4,4,C]
      if (zero === 'conv1Output') out = tf.zerosLike(out);
      keep('res4', out);
      let skip = toRGB(p.toRgb1, out, L(1));
      for (let i = 0; i < p.toRgbs.length; i++) {
        out = styledConv(p.convs[2 * i] as StyledConv, out, L(2 * i + 1), noise(2 * i + 1));
        if (tapConvs) convs.push(out);
        out = styledConv(p.convs[2 * i + 1] as StyledConv, out, L(2 * i + 2), noise(2 * i + 2));
        if (tapConvs) convs.push(out);
        keep(`res${out.shape[1]}`, out);
        skip = toRGB(p.toRgbs[i] as ToRGB, out, L(2 * i + 3), skip);
      }
      return tapConvs ? { images: skip as ImageBatch, features, convs } : { images: skip as ImageBatch, features };
    });
    if (tapConvs) return { images: out.images, convs: out.convs ?? [] };
    return options.returnFeatures ? out : { images: out.images };
  }

  /**
   * Every variable, in a stable order: the trainable weights, then the stored noise buffers
   * (not trainable; checkpoints need them to reproduce the images).
   */
  variables(): tf.Variable[] {
    const p = this.params;
    return [
      ...p.style.flatMap(equalLinearVariables),
      p.input.input,
      ...styledConvVariables(p.conv1),
      ...toRGBVariables(p.toRgb1),
      ...p.convs.flatMap(styledConvVariables),
      ...p.toRgbs.flatMap(toRGBVariables),
      ...p.noises,
    ];
  }

  /** The stored noise buffers `noises.noise_i` (not trainable). */
  noiseBuffers(): tf.Variable[] {
    return [...this.params.noises];
  }

  /** Free every tensor. */
  dispose(): void {
    for (const v of this.variables()) v.dispose();
    this.meanWCache?.dispose();
    this.meanWCache = undefined;
  }
}

/**
 * Create a StyleGAN2 generator with seeded random weights.
 *
 * @example
 * ```ts
 * const g = createStyleGAN2Generator(styleGAN2Preset('rosinality-ffhq-256'), new Rng(0));
 * ```
 */
export const createStyleGAN2Generator = (cfg: StyleGAN2Config, rng: Rng, id?: string): StyleGAN2Generator =>
  new StyleGAN2Generator(cfg, createStyleGAN2GeneratorParams(cfg, rng), id);
