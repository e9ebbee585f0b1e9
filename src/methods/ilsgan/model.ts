/**
 * ILSGAN's layered generator (Zou et al., AAAI 2023, https://arxiv.org/abs/2211.13974; code
 * qrzou/ILSGAN `training/networks.py: PerturbGenerator, LayerTransform`): a background
 * StyleGAN2-ADA generator (RGB) and a foreground one (RGB + mask logit → sigmoid), each with its
 * own mapping network, both fed the same z; composite (1 − m)·bg + m·fg; during training the
 * foreground layer (fg and mask) is shifted by a random whole number of pixels, zero-filled.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { roundHalfToEven } from '../../core/round.ts';
import { ConfigError, ShapeError } from '../../core/errors.ts';
import type { Rng } from '../../core/rng.ts';
import type { ImageBatch, MaskBatch, Module } from '../../core/tensor.ts';
import { assertShape } from '../../core/tensor.ts';
import type { StateDict, StoredTensor } from '../../io/state-dict.ts';
import { applyStateDict, storedToTensor, toStateDict, type WeightTargets } from '../../io/weights.ts';
import { ILSGAN_64, synthesisChannels, type LayeredGeneratorConfig } from './config.ts';
import {
  createMapping, createSynthesis, mapping, mappingTargets, mappingVariables, resampleFilter, resampleFilterKeys,
  synthesis, synthesisTargets, synthesisVariables, type MappingParams, type NoiseMode, type SynthesisParams,
} from './networks.ts';

/** One set of layers. Tensors are new; the caller disposes them. */
export interface Layers {
  /** Foreground RGB [N,R,R,3] (`fg`). */
  readonly foreground: ImageBatch;
  /** Background RGB [N,R,R,3] (`bg`). */
  readonly background: ImageBatch;
  /** Mask σ(logit) [N,R,R,1] (`mask`). */
  readonly mask: MaskBatch;
  /** (1 − m)·bg + m·fg [N,R,R,3] (`img`). */
  readonly composite: ImageBatch;
}

/** What {@link LayeredGenerator.layers} returns: the layers, and the shifted ones when perturbed. */
export interface LayeredOutput extends Layers {
  /**
   * With `perturb`: `LayerTransform(layer, eps)`: fg and mask shifted by `shifts`, bg unchanged,
   * the composite recomposed (what the discriminator sees in training).
   */
  readonly shifted?: Layers;
  /** With `perturb`: the per-sample (x, y) pixel shifts, [N][2]. */
  readonly shifts?: readonly (readonly [number, number])[];
}

/** Options of {@link LayeredGenerator.layers}. */
export interface LayeredLayersOptions {
  /** ψ of both mapping networks (toward their own `w_avg`). Default 1. */
  readonly truncation?: number;
  /** Per-layer noise. Default `'const'` (the official generation scripts; training uses `'random'`). */
  readonly noise?: NoiseMode;
  /**
   * Shift the foreground layer as in training: `true` draws ε ~ U[−1, 1]² per sample from `rng`
   * (training_loop_ILS.py `2·rand − 1`); a [N,2] array gives ε. Default false (evaluation never perturbs).
   */
  readonly perturb?: boolean | readonly (readonly [number, number])[];
  /** Required for `noise: 'random'` and `perturb: true`. */
  readonly rng?: Rng;
}

// ---------------------------------------------------------------------------
// The layer shift (LayerTransform.pixel_blit)
// ---------------------------------------------------------------------------

// `torch.round` (ties to even) lives in core: the ADA pipeline rounds its integer translations the same way.
export { roundHalfToEven };

/**
 * Pixel shifts of `LayerTransform.pixel_blit`: (tx, ty) = round(ε·xintMax·W) per sample, with
 * float32 products as the reference's tensors and ties to even. Both axes scale by the width.
 *
 * @example
 * ```ts
 * shiftPixels([[0.625, -0.875]], 0.125, 32); // [[2, -4]]  (2.5 → 2, −3.5 → −4)
 * ```
 */
export const shiftPixels = (eps: readonly (readonly [number, number])[], xintMax: number, width: number): [number, number][] => {
  const f = Math.fround;
  return eps.map(([ex, ey]) => [
    roundHalfToEven(f(f(f(ex) * f(xintMax)) * width)),
    roundHalfToEven(f(f(f(ey) * f(xintMax)) * width)),
  ]);
};

/**
 * Move each sample of x [N,H,W,C] by its (tx, ty) pixels (right, down), zero fill:
 * out[n, y, x] = x[n, y − ty, x − tx] where defined, else 0.
 *
 * @example
 * ```ts
 * const moved = shiftImages(fgAndMask, [[2, -4], [0, -2]]);
 * ```
 */
export const shiftImages = (x: tf.Tensor4D, shifts: readonly (readonly [number, number])[]): tf.Tensor4D =>
  tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    if (shifts.length !== n) throw new ShapeError('shiftImages', `expected ${n} shifts, got ${shifts.length}`);
    const out = shifts.map(([tx, ty], i) => {
      const xi = tf.slice(x, [i, 0, 0, 0], [1, h, w, c]);
      if (Math.abs(tx) >= w || Math.abs(ty) >= h) return tf.zerosLike(xi);
      const p = tf.pad(xi, [[0, 0], [Math.max(ty, 0), Math.max(-ty, 0)], [Math.max(tx, 0), Math.max(-tx, 0)], [0, 0]]);
      return tf.slice(p, [0, Math.max(-ty, 0), Math.max(-tx, 0), 0], [1, h, w, c]);
    });
    return tf.concat(out, 0);
  });

/**
 * `LayerTransform.__call__` with only `xint_max` set (the ILS configs): fg and mask shifted by
 * `shifts`, bg kept, the composite recomposed.
 *
 * @example
 * ```ts
 * const t = shiftLayers(layers, shiftPixels(eps, 0.125, 64));
 * ```
 */
export const shiftLayers = (l: Layers, shifts: readonly (readonly [number, number])[]): Layers =>
  tf.tidy(() => {
    const moved = shiftImages(tf.concat([l.foreground, l.mask], 3), shifts);
    const c = l.foreground.shape[3];
    const foreground = tf.slice(moved, [0, 0, 0, 0], [-1, -1, -1, c]);
    const mask = tf.slice(moved, [0, 0, 0, c], [-1, -1, -1, 1]);
    return { foreground, background: tf.clone(l.background), mask, composite: composeLayers(foreground, l.background, mask) } as unknown as tf.TensorContainer;
  }) as unknown as Layers;

/**
 * The official composite `(1 − m)·bg + m·fg` (same order of operations).
 *
 * @example
 * ```ts
 * const img = composeLayers(fg, bg, mask);
 * ```
 */
export const composeLayers = (fg: ImageBatch, bg: ImageBatch, mask: MaskBatch): ImageBatch =>
  tf.tidy(() => tf.add(tf.mul(tf.sub(1, mask), bg), tf.mul(mask, fg)) as ImageBatch);

/**
 * `forward(return_layers=True)`'s "fg*mask": the foreground on white, (1 − m)·1 + m·fg.
 *
 * @example
 * ```ts
 * const shown = foregroundOnWhite(layers);
 * ```
 */
export const foregroundOnWhite = (l: Layers): ImageBatch =>
  tf.tidy(() => tf.add(tf.sub(1, l.mask), tf.mul(l.mask, l.foreground)) as ImageBatch);

/**
 * `generate_layer`'s (and training's) "fg*mask": the foreground on black, m·fg.
 *
 * @example
 * ```ts
 * const shown = foregroundOnBlack(layers);
 * ```
 */
export const foregroundOnBlack = (l: Layers): ImageBatch => tf.tidy(() => tf.mul(l.mask, l.foreground) as ImageBatch);

// ---------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------

/** The four NVlabs sub-networks, under their official state-dict prefixes. */
export interface LayeredGeneratorParams {
  /** `mapping_bg`. */
  readonly mappingBg: MappingParams;
  /** `mapping_fg`. */
  readonly mappingFg: MappingParams;
  /** `synthesis_bg` (3 channels). */
  readonly synthesisBg: SynthesisParams;
  /** `synthesis_fg` (4 channels: RGB + mask logit). */
  readonly synthesisFg: SynthesisParams;
  /** The shared `resample_filter` buffer [4,4] (not trainable). */
  readonly resampleFilter: tf.Variable;
}

/**
 * ILSGAN's `PerturbGenerator` (unconditional, `c_dim = 0` as every ILS config).
 *
 * @example
 * ```ts
 * const g = LayeredGenerator.create(ILSGAN_64, new Rng(0));
 * const { foreground, background, mask, composite } = g.layers(z);            // evaluation
 * const train = g.layers(z, { noise: 'random', perturb: true, rng });        // + train.shifted
 * g.dispose();
 * ```
 */
export class LayeredGenerator implements Module {
  /** The settings. */
  readonly config: LayeredGeneratorConfig;
  /** The sub-networks. */
  readonly params: LayeredGeneratorParams;

  private constructor(config: LayeredGeneratorConfig, params: LayeredGeneratorParams) {
    this.config = config;
    this.params = params;
  }

  /**
   * A generator with NVlabs' initialisation, seeded by `rng`.
   *
   * @example
   * ```ts
   * const g = LayeredGenerator.create({ ...ILSGAN_64, resolution: 128 as Resolution }, new Rng(0));
   * ```
   */
  static create(config: LayeredGeneratorConfig = ILSGAN_64, rng: Rng): LayeredGenerator {
    const channels = synthesisChannels(config);
    const synth = (c: number, r: Rng) => createSynthesis({ channels, wDim: config.wDim, imgChannels: c, convClamp: config.convClamp }, r);
    const synthesisBg = synth(3, rng.fork('synthesis_bg'));
    const synthesisFg = synth(4, rng.fork('synthesis_fg'));
    const map = (numWs: number, r: Rng) =>
      createMapping({ zDim: config.zDim, wDim: config.wDim, layers: config.mappingLayers, lrMultiplier: config.mappingLrMultiplier, numWs }, r);
    const filter = tf.tidy(() => tf.variable(tf.tensor2d(resampleFilter(), [4, 4]), false, undefined, 'float32'));
    return new LayeredGenerator(config, {
      mappingBg: map(synthesisBg.numWs, rng.fork('mapping_bg')),
      mappingFg: map(synthesisFg.numWs, rng.fork('mapping_fg')),
      synthesisBg, synthesisFg, resampleFilter: filter,
    });
  }

  /**
   * Layers for latents z [N,zDim]: `forward`/`generate_layer`'s base layer (both mappings read
   * the same z), and with `perturb` the shifted layer of `LayerTransform`.
   *
   * @example
   * ```ts
   * const l = g.layers(z, { truncation: 0.7 });
   * const t = g.layers(z, { perturb: [[0.625, -0.875]] }); // t.shifts = [[4, -7]] at 64²
   * ```
   */
  layers(z: tf.Tensor2D, options: LayeredLayersOptions = {}): LayeredOutput {
    const { truncation = 1, noise = 'const', perturb = false, rng } = options;
    assertShape('LayeredGenerator.layers', z, [null, this.config.zDim], 'z');
    if ((noise === 'random' || perturb === true) && rng === undefined) {
      throw new ConfigError('LayeredGenerator.layers', [{ path: 'rng', expected: "an Rng when noise is 'random' or perturb is true", given: 'undefined' }]);
    }
    const n = z.shape[0];
    const draw = perturb === true ? (rng as Rng).fork('perturb') : undefined;
    const eps: readonly (readonly [number, number])[] | undefined = draw !== undefined
      ? Array.from({ length: n }, () => [draw.uniform(-1, 1), draw.uniform(-1, 1)] as const)
      : typeof perturb === 'boolean' ? undefined : perturb;
    if (eps !== undefined && eps.length !== n) {
      throw new ConfigError('LayeredGenerator.layers', [{ path: 'perturb', expected: `${n} pairs ε ∈ [−1, 1]²`, given: `${eps.length} pairs` }]);
    }
    const p = this.params;
    return tf.tidy(() => {
      const noiseOf = (label: string) => ({ mode: noise, ...(rng && noise === 'random' ? { rng: rng.fork(label) } : {}) });
      const background = synthesis(p.synthesisBg, mapping(p.mappingBg, z, truncation), noiseOf('bg'));
      const fgRgba = synthesis(p.synthesisFg, mapping(p.mappingFg, z, truncation), noiseOf('fg'));
      const r = this.config.resolution;
      const foreground = tf.slice(fgRgba, [0, 0, 0, 0], [n, r, r, 3]);
      const mask = tf.sigmoid(tf.slice(fgRgba, [0, 0, 0, 3], [n, r, r, 1]));
      const base: Layers = { foreground, background, mask, composite: composeLayers(foreground, background, mask) };
      if (eps === undefined) return base as unknown as tf.TensorContainer;
      const shifts = shiftPixels(eps, this.config.xintMax, r);
      return { ...base, shifted: shiftLayers(base, shifts), shifts } as unknown as tf.TensorContainer;
    }) as unknown as LayeredOutput;
  }

  private targets(): WeightTargets {
    const t: WeightTargets = new Map();
    const p = this.params;
    synthesisTargets(t, 'synthesis_bg', p.synthesisBg);
    synthesisTargets(t, 'synthesis_fg', p.synthesisFg);
    mappingTargets(t, 'mapping_bg', p.mappingBg);
    mappingTargets(t, 'mapping_fg', p.mappingFg);
    const want = resampleFilter();
    const filterFrom = (s: StoredTensor): tf.Tensor => {
      const x = storedToTensor(s);
      const d = x.dataSync();
      if (d.length !== 16 || want.some((v, i) => Math.abs(v - (d[i] as number)) > 1e-7)) {
        x.dispose();
        throw new Error('not setup_filter([1,3,3,1]) (the only filter this port implements)');
      }
      return x;
    };
    for (const k of [...resampleFilterKeys('synthesis_bg', p.synthesisBg), ...resampleFilterKeys('synthesis_fg', p.synthesisFg)]) {
      t.set(k, { variable: p.resampleFilter, fromStored: filterFrom });
    }
    return t;
  }

  /**
   * Load an official `PerturbGenerator` state dict (keys `mapping_fg.fc0.weight`,
   * `synthesis_bg.b4.const`, `synthesis_fg.b8.conv0.affine.weight`, …, buffers `w_avg`,
   * `noise_const` and `resample_filter` included). One `WeightsError` lists every missing,
   * unexpected and wrongly-shaped key before any variable changes.
   *
   * @example
   * ```ts
   * g.loadStateDict(dict, 'network-snapshot.pkl:G_ema');
   * ```
   */
  loadStateDict(dict: StateDict, where = 'LayeredGenerator.loadStateDict'): void {
    applyStateDict(where, dict, this.targets());
  }

  /**
   * The generator as an official state dict (NVlabs names and layouts: OIHW, [out,in], const [C,4,4]).
   *
   * @example
   * ```ts
   * const dict = g.stateDict(); // dict.get('synthesis_bg.b4.const').shape = [256, 4, 4]
   * ```
   */
  stateDict(): StateDict {
    return toStateDict(this.targets());
  }

  /**
   * Every variable (trainable weights, then the `w_avg`, `noise_const` and filter buffers among them, not trainable).
   *
   * @example
   * ```ts
   * const trainable = g.variables().filter((v) => v.trainable);
   * ```
   */
  variables(): tf.Variable[] {
    const p = this.params;
    return [...synthesisVariables(p.synthesisBg), ...synthesisVariables(p.synthesisFg), ...mappingVariables(p.mappingBg), ...mappingVariables(p.mappingFg), p.resampleFilter];
  }

  /**
   * Free every variable.
   *
   * @example
   * ```ts
   * g.dispose();
   * ```
   */
  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}
