/**
 * GANSeg's part generator (He, Wandt, Rhodin, CVPR 2022, https://arxiv.org/abs/2112.01036; code
 * xingzhehe/GANSeg `models/generator.py`): three levels —
 * (1) points: an MLP maps z_point to n_per·K points, part locations are their means;
 * (2) masks: heatmaps of the parts × part embeddings → W_mask, a positional start tensor M⁽⁰⁾,
 *     SPADE ResBlocks, softmax over K + 1 masks;
 * (3) image: foreground by SPADE ResBlocks on the mask-weighted embeddings, background by AdaIN
 *     blocks from its own MLP, blended by the background mask, final conv, tanh.
 * Every map is built `extendPixels` larger per side, upsampled ×2 bilinearly and cropped.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, ShapeError } from '../../core/errors.ts';
import type { Rng } from '../../core/rng.ts';
import { assertShape, type ImageBatch, type MaskBatch } from '../../core/tensor.ts';
import { withoutModulePrefix, type StateDict } from '../../io/state-dict.ts';
import { applyStateDict, hwioFromOihw, inOutFromOutIn, oihwFromHwio, outInFromInOut, reshapedTo, sameLayout, toStateDict, type WeightTargets } from '../../io/weights.ts';
import { conv2d, layerVariables, type Conv2dParams, type LinearParams } from '../../nn/conv.ts';
import { partGeneratorIssues, type PartGeneratorConfig } from './config.ts';
import { extendedGrid, gaussianHeatmaps, gaussianTau, linearHeatmaps, linearTau } from './heatmaps.ts';
import {
  createGanSegAdainBlock, createGanSegConv, createGanSegMlp, createGanSegSpadeBlock, cropBorder, GANSEG_SLOPE,
  ganSegAdainBlock, ganSegAdainBlockState, ganSegAdainBlockVariables, ganSegMlp, ganSegSpadeBlock, ganSegSpadeBlockState,
  ganSegSpadeBlockVariables, positionalEmbedding, replicationPad, resizeBilinearTorch, upsampleCrop,
  type GanSegAdainBlock, type GanSegSpadeBlock, type NormMode,
} from './parts.ts';

/** The part generator's variables, named after the official modules. */
export interface PartGeneratorParams {
  /** `keypoints_embedding.weight`, shape `[K,E]`: the fixed part embeddings. */
  readonly partEmbedding: tf.Variable;
  /** `gen_keypoints_layer`: z_point → 2·n_per·K (4 LeakyReLU layers + linear). */
  readonly pointMlp: readonly LinearParams[];
  /** `gen_keypoints_embedding_noise`: z_part_app → E (3 + 1), multiplied into the fixed embeddings. */
  readonly embeddingMlp: readonly LinearParams[];
  /** `gen_background_embedding`: z_bg_app → E (3 + 1). */
  readonly backgroundMlp: readonly LinearParams[];
  /** `mask_spade_blocks`: C₀ → E → … → E → K + 1. */
  readonly maskBlocks: readonly GanSegSpadeBlock[];
  /** `spade_blocks`: C₀ → C₁ → … → E (foreground). */
  readonly foregroundBlocks: readonly GanSegSpadeBlock[];
  /** `adain_blocks`: C₀ → C₁ → … → E (background). */
  readonly backgroundBlocks: readonly GanSegAdainBlock[];
  /** `mask_start.pe`: 1×1 conv, offsets to all n_per·K points (2·n_per·K) → C₀/2. */
  readonly maskStart: Conv2dParams;
  /** `x_start.pe`: 1×1 conv, offsets to the K part locations (2K) → C₀/2. */
  readonly partStart: Conv2dParams;
  /** `bg_start.pe`: 1×1 conv, offset to the background centre (2) → C₀/2. */
  readonly backgroundStart: Conv2dParams;
  /** `conv`: [1×1 E → 3] (`singleFinal`) or [3×3 E → E, 3×3 E → 3] (`conv.0`, `conv.2`). */
  readonly final: readonly Conv2dParams[];
  /** `init_extend_coord`, shape `[1,(S₀+2e)²,2]`: the first size's extended grid, a frozen parameter of the checkpoint. */
  readonly startGrid: tf.Variable;
}

/** The four noise inputs of one batch (the official `input_noise0..2`, `bg_trans`). */
export interface PartGeneratorInputs {
  /** z_point [N,Z] (`input_noise0`): the points. */
  readonly zPoint: tf.Tensor2D;
  /** z_bg_app [N,Z] (`input_noise1`): the background embedding. */
  readonly zBackground: tf.Tensor2D;
  /** z_part_app [N,Z] (`input_noise2`): the part embeddings. */
  readonly zParts: tf.Tensor2D;
  /** Background translation [N,2] in [−1,1) (`bg_trans[:, 0]`); only its second (column) coordinate is used. */
  readonly bgTranslation: tf.Tensor2D;
}

/** Level 1's output: the points and their per-part means. */
export interface PartPoints {
  /** The n_per·K points [N,n_per·K,2], (row, column) in (−1,1). */
  readonly points: tf.Tensor3D;
  /** Part locations [N,K,2]: the means of each part's points. */
  readonly keypoints: tf.Tensor3D;
}

/** Everything one forward pass makes. New tensors; the caller disposes them. */
export interface PartGeneratorOutput {
  /** Image [N,S,S,3] in (−1,1). */
  readonly image: ImageBatch;
  /** K + 1 part masks [N,S,S,K+1], softmax over channels; channel 0 = background, channel k + 1 = part k (official `mask[:, k]`). */
  readonly masks: MaskBatch;
  /** The n_per·K points [N,n_per·K,2], (row, column) in (−1,1); part k owns points k·n_per … (k+1)·n_per − 1. */
  readonly points: tf.Tensor3D;
  /** Part locations [N,K,2] (row, column) in (−1,1): the means of their points; pixels by {@link keypointsToPixels}. */
  readonly keypoints: tf.Tensor3D;
  /** Part embeddings w_k [N,K,E] (`kp_emb`). */
  readonly partEmbeddings: tf.Tensor3D;
  /** The last size's heatmaps, cropped [N,S,S,K] (`init_mask`). */
  readonly heatmaps: tf.Tensor4D;
  /** Foreground features F [N,S,S,E] (`fg`). */
  readonly foreground: tf.Tensor4D;
  /** Background features B [N,S,S,E] (`bg`). */
  readonly background: tf.Tensor4D;
}

/**
 * Keypoints in [−1,1] → pixel coordinates (row, column) of an S×S image, as `train_gan.py` plots
 * them: `v·(S/2 − 0.5) + (S/2 − 0.5)`.
 *
 * @example
 * ```ts
 * const px = keypointsToPixels(g.keypoints(z), 128); // [N,K,2], rows and columns in 0…127
 * ```
 */
export const keypointsToPixels = (keypoints: tf.Tensor3D, size: number): tf.Tensor3D =>
  tf.tidy(() => tf.add(tf.mul(keypoints, size / 2 - 0.5), size / 2 - 0.5));

/** Official masks [parts…, background] → ours [background, parts…]. */
const backgroundFirst = (m: tf.Tensor4D, k: number): tf.Tensor4D =>
  tf.concat([m.slice([0, 0, 0, k], [-1, -1, -1, 1]), m.slice([0, 0, 0, 0], [-1, -1, -1, k])], 3) as tf.Tensor4D;

/** Σ_k H_k(p)·w_k: maps [N,H,W,K] and embeddings [N,K,E] → [N,H,W,E]. */
const embedMaps = (maps: tf.Tensor4D, emb: tf.Tensor3D): tf.Tensor4D => {
  const [n, h, w, k] = maps.shape;
  return tf.matMul(maps.reshape([n, h * w, k]) as tf.Tensor3D, emb).reshape([n, h, w, emb.shape[2]]) as tf.Tensor4D;
};

/**
 * GANSeg's part generator: create with {@link PartGenerator.create}, run with
 * {@link PartGenerator.forward} (`training: true` = batch statistics, as `train_gan.py`; `false` =
 * running statistics, as generation for the segmenter), load an official `epoch_N.model`
 * checkpoint's `generator` with {@link PartGenerator.loadStateDict}.
 *
 * @example
 * ```ts
 * const g = PartGenerator.create(GANSEG_PRESETS.gan_cub_k8, new Rng(0));
 * const out = g.forward(g.sampleInputs(4, new Rng(1)), { training: false });
 * out.masks; // [4,128,128,9], channel 0 the background
 * ```
 */
export class PartGenerator {
  private constructor(
    /** The shape. */
    readonly config: PartGeneratorConfig,
    /** The variables. */
    readonly params: PartGeneratorParams,
  ) {}

  /**
   * Create a generator with the official init (kaiming-normal a = 0.2, zero biases, N(0,1) part embeddings).
   *
   * @example
   * ```ts
   * const g = PartGenerator.create(GANSEG_PRESETS.gan_celeba_wild_k8, new Rng(0));
   * ```
   */
  static create(config: PartGeneratorConfig, rng: Rng): PartGenerator {
    const issues = partGeneratorIssues(config);
    if (issues.length > 0) throw new ConfigError('PartGenerator.create', issues);
    const c = config, k = c.parts, e = c.embeddingDim, z = c.zDim, ch = c.featureMapChannels, n = ch.length;
    const c0 = ch[0] as number, half = Math.floor(c0 / 2);
    const spade = (cin: number, cout: number, r: Rng) => createGanSegSpadeBlock(cin, cout, e, c.spadeHidden, r);
    const next = (i: number) => (i < n - 1 ? (ch[i + 1] as number) : e);
    const params: PartGeneratorParams = {
      partEmbedding: tf.tidy(() => tf.variable(tf.tensor2d(rng.fork('keypoints_embedding').normalArray(k * e), [k, e]))),
      pointMlp: createGanSegMlp([z, z, z, z, z, 2 * c.pointsPerPart * k], rng.fork('gen_keypoints_layer')),
      embeddingMlp: createGanSegMlp([z, z, z, z, e], rng.fork('gen_keypoints_embedding_noise')),
      backgroundMlp: createGanSegMlp([z, z, z, z, e], rng.fork('gen_background_embedding')),
      maskBlocks: ch.map((_, i) => spade(i === 0 ? c0 : e, i === n - 1 ? k + 1 : e, rng.fork(`mask_spade_blocks.${i}`))),
      foregroundBlocks: ch.map((cin, i) => spade(cin, next(i), rng.fork(`spade_blocks.${i}`))),
      backgroundBlocks: ch.map((cin, i) => createGanSegAdainBlock(cin, next(i), e, c.adainHidden, rng.fork(`adain_blocks.${i}`))),
      maskStart: createGanSegConv(2 * c.pointsPerPart * k, half, 1, rng.fork('mask_start')),
      partStart: createGanSegConv(2 * k, half, 1, rng.fork('x_start')),
      backgroundStart: createGanSegConv(2, half, 1, rng.fork('bg_start')),
      final: c.singleFinal
        ? [createGanSegConv(e, 3, 1, rng.fork('conv.0'))]
        : [createGanSegConv(e, e, 3, rng.fork('conv.0')), createGanSegConv(e, 3, 3, rng.fork('conv.2'))],
      startGrid: tf.tidy(() => tf.variable(extendedGrid(c.featureMapSizes[0] as number, c.extendPixels).expandDims(0), false)),
    };
    return new PartGenerator(config, params);
  }

  /**
   * Seeded inputs as `train_gan.py` draws them: three N(0,1) noises [n,Z] and a translation U[−1,1)².
   *
   * @example
   * ```ts
   * const inputs = g.sampleInputs(8, rng.fork('noise'));
   * ```
   */
  sampleInputs(n: number, rng: Rng): PartGeneratorInputs {
    const z = this.config.zDim;
    return tf.tidy(() => ({
      zPoint: tf.tensor2d(rng.fork('input_noise0').normalArray(n * z), [n, z]),
      zBackground: tf.tensor2d(rng.fork('input_noise1').normalArray(n * z), [n, z]),
      zParts: tf.tensor2d(rng.fork('input_noise2').normalArray(n * z), [n, z]),
      bgTranslation: tf.tensor2d(rng.fork('bg_trans').uniformArray(n * 2, -1, 1), [n, 2]),
    }));
  }

  /**
   * Level 1: points = tanh(MLP(z_point)/20) [N,n_per·K,2] and part locations (their means) [N,K,2], (row, column).
   *
   * @example
   * ```ts
   * const { points, keypoints } = g.points(zPoint);
   * ```
   */
  points(zPoint: tf.Tensor2D): PartPoints {
    const c = this.config, k = c.parts, per = c.pointsPerPart;
    return tf.tidy(() => {
      assertShape('PartGenerator.points', zPoint, [null, c.zDim], 'zPoint');
      const n = zPoint.shape[0];
      const points = tf.tanh(tf.div(ganSegMlp(this.params.pointMlp, zPoint), c.pointDivisor)).reshape([n, k * per, 2]) as tf.Tensor3D;
      const keypoints = tf.mean(points.reshape([n, k, per, 2]), 2) as tf.Tensor3D;
      return { points, keypoints };
    });
  }

  /**
   * The part locations [N,K,2] (row, column, in [−1,1]) for z_point: the generator's landmarks.
   *
   * @example
   * ```ts
   * const kp = g.keypoints(inputs.zPoint); // keypointsToPixels(kp, 128) for pixels
   * ```
   */
  keypoints(zPoint: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => this.points(zPoint).keypoints);
  }

  /** Positional start tensor from point offsets: `pe(p − x)` for every point, channel 2j + c = x_j[c] − p[c]. */
  private start(pe: Conv2dParams, pts: tf.Tensor3D): tf.Tensor4D {
    const [n, m] = pts.shape, side = (this.config.featureMapSizes[0] as number) + 2 * this.config.extendPixels;
    const grid = this.params.startGrid.reshape([1, side, side, 2]).tile([1, 1, 1, m]);
    return positionalEmbedding(pe, tf.sub(pts.reshape([n, 1, 1, 2 * m]), grid) as tf.Tensor4D);
  }

  /**
   * The whole generator (the official `forward` without penalties). `mode.training`: batch
   * statistics in every norm (and running statistics updated unless `updateStats: false`), as
   * `train_gan.py`; otherwise running statistics, as `generator.eval()` for generation.
   *
   * @example
   * ```ts
   * const out = g.forward(inputs, { training: true }); // a training step's fake batch
   * ```
   */
  forward(inputs: PartGeneratorInputs, mode: NormMode): PartGeneratorOutput {
    const c = this.config, p = this.params, k = c.parts, ext = c.extendPixels, sizes = c.featureMapSizes, last = sizes.length - 1;
    return tf.tidy(() => {
      const where = 'PartGenerator.forward';
      const n = inputs.zPoint.shape[0];
      for (const [name, x] of [['zBackground', inputs.zBackground], ['zParts', inputs.zParts]] as const) assertShape(where, x, [n, c.zDim], name);
      assertShape(where, inputs.bgTranslation, [n, 2], 'bgTranslation');
      // level 1: points, part locations, part embeddings
      const { points, keypoints } = this.points(inputs.zPoint);
      const partEmbeddings = tf.mul(p.partEmbedding.expandDims(0), ganSegMlp(p.embeddingMlp, inputs.zParts).expandDims(1)) as tf.Tensor3D; // [N,K,E]
      // level 2: masks
      const tau = c.useLinear ? linearTau(points, keypoints) : gaussianTau(points, keypoints);
      const heat = c.useLinear ? linearHeatmaps : gaussianHeatmaps;
      let mask = this.start(p.maskStart, points);
      let heatmaps: tf.Tensor4D | undefined;
      sizes.forEach((s, i) => {
        heatmaps = heat(keypoints, tau, s, ext); // [N,s+2e,s+2e,K]
        mask = ganSegSpadeBlock(p.maskBlocks[i] as GanSegSpadeBlock, mask, embedMaps(heatmaps, partEmbeddings), mode);
        if (i < last && sizes[i + 1] !== s) mask = upsampleCrop(mask, ext);
      });
      const official = tf.softmax(cropBorder(mask, ext)) as tf.Tensor4D; // [N,S,S,K+1]: parts, then background
      const partMasks = official.slice([0, 0, 0, 0], [-1, -1, -1, k]);
      const bgMask = official.slice([0, 0, 0, k], [-1, -1, -1, 1]);
      // level 3: foreground on the mask-weighted embeddings
      let fg = this.start(p.partStart, keypoints);
      sizes.forEach((s, i) => {
        const m = replicationPad(resizeBilinearTorch(partMasks, s), ext);
        fg = ganSegSpadeBlock(p.foregroundBlocks[i] as GanSegSpadeBlock, fg, embedMaps(m, partEmbeddings), mode);
        if (i < last && sizes[i + 1] !== s) fg = upsampleCrop(fg, ext);
      });
      const foreground = cropBorder(fg, ext);
      // level 3: background from its own embedding; the centre is (0, column translation)
      const col = inputs.bgTranslation.slice([0, 1], [n, 1]);
      const centre = tf.concat([tf.zerosLike(col), col], 1).reshape([n, 1, 2]) as tf.Tensor3D;
      const wBg = ganSegMlp(p.backgroundMlp, inputs.zBackground);
      let bg = this.start(p.backgroundStart, centre);
      sizes.forEach((s, i) => {
        bg = ganSegAdainBlock(p.backgroundBlocks[i] as GanSegAdainBlock, bg, wBg, mode);
        if (s !== sizes[Math.min(i + 1, last)]) bg = upsampleCrop(bg, ext);
      });
      const background = cropBorder(bg, ext);
      // blend and final conv
      let x = tf.leakyRelu(tf.add(tf.mul(tf.sub(1, bgMask), foreground), tf.mul(bgMask, background)), GANSEG_SLOPE) as tf.Tensor4D;
      p.final.forEach((conv, i) => {
        x = conv2d(conv, x, { padding: Math.floor((conv.weight.shape[0] as number) / 2) });
        if (i < p.final.length - 1) x = tf.leakyRelu(x, GANSEG_SLOPE);
      });
      if (heatmaps === undefined) throw new ShapeError(where, 'no feature-map sizes');
      return {
        image: tf.tanh(x), masks: backgroundFirst(official, k), points, keypoints, partEmbeddings,
        heatmaps: cropBorder(heatmaps, ext), foreground, background,
      };
    });
  }

  /**
   * Trainable variables (the optimizer's list; running statistics and the frozen grid excluded).
   *
   * @example
   * ```ts
   * const vars = g.variables();
   * ```
   */
  variables(): tf.Variable[] {
    const p = this.params;
    return [
      p.partEmbedding, ...[...p.pointMlp, ...p.embeddingMlp, ...p.backgroundMlp].flatMap(layerVariables),
      ...p.maskBlocks.flatMap(ganSegSpadeBlockVariables), ...p.foregroundBlocks.flatMap(ganSegSpadeBlockVariables),
      ...p.backgroundBlocks.flatMap(ganSegAdainBlockVariables),
      ...[p.maskStart, p.partStart, p.backgroundStart, ...p.final].flatMap(layerVariables),
    ];
  }

  /**
   * Non-trainable state: every norm's running statistics and batch count, and `init_extend_coord`.
   *
   * @example
   * ```ts
   * const state = g.stateVariables(); // saved with checkpoints, not optimized
   * ```
   */
  stateVariables(): tf.Variable[] {
    const p = this.params;
    return [
      ...p.maskBlocks.flatMap(ganSegSpadeBlockState), ...p.foregroundBlocks.flatMap(ganSegSpadeBlockState),
      ...p.backgroundBlocks.flatMap(ganSegAdainBlockState), p.startGrid,
    ];
  }

  /**
   * Official key → variable and layout, e.g. `spade_blocks.0.spade1.conv_gamma.weight` (OIHW ↔ HWIO),
   * `gen_keypoints_layer.4.weight` ([out,in] ↔ [in,out]), `mask_spade_blocks.0.spade1.norm.running_var`.
   *
   * @example
   * ```ts
   * const keys = [...g.weightTargets().keys()];
   * ```
   */
  weightTargets(): WeightTargets {
    const m: WeightTargets = new Map();
    const p = this.params;
    const plain = (key: string, v: tf.Variable): void => void m.set(key, { variable: v, fromStored: sameLayout });
    const conv = (key: string, c: Conv2dParams): void => {
      m.set(`${key}.weight`, { variable: c.weight, fromStored: hwioFromOihw, toStored: oihwFromHwio });
      if (c.bias) plain(`${key}.bias`, c.bias);
    };
    const lin = (key: string, l: LinearParams): void => {
      m.set(`${key}.weight`, { variable: l.weight, fromStored: inOutFromOutIn, toStored: outInFromInOut });
      if (l.bias) plain(`${key}.bias`, l.bias);
    };
    const mlp = (key: string, layers: readonly LinearParams[]): void =>
      layers.forEach((l, i) => lin(i < layers.length - 1 ? `${key}.${i}.model.0` : `${key}.${i}`, l));
    const norm = (key: string, b: { runningMean: tf.Variable; runningVar: tf.Variable; numBatchesTracked: tf.Variable }): void => {
      plain(`${key}.norm.running_mean`, b.runningMean);
      plain(`${key}.norm.running_var`, b.runningVar);
      m.set(`${key}.norm.num_batches_tracked`, { variable: b.numBatchesTracked, fromStored: reshapedTo([]) }); // int64 scalar
    };
    const spadeBlock = (key: string, b: GanSegSpadeBlock): void => {
      const sp = (name: string, s: GanSegSpadeBlock['spade1']): void => {
        norm(`${key}.${name}`, s.norm);
        conv(`${key}.${name}.conv`, s.conv);
        conv(`${key}.${name}.conv_gamma`, s.convGamma);
        conv(`${key}.${name}.conv_beta`, s.convBeta);
      };
      sp('spade1', b.spade1);
      conv(`${key}.conv1`, b.conv1);
      sp('spade2', b.spade2);
      conv(`${key}.conv2`, b.conv2);
      if (b.shortcut) {
        sp('spade_shortcut', b.shortcut.spade);
        conv(`${key}.conv_shortcut`, b.shortcut.conv);
      }
    };
    plain('init_extend_coord', p.startGrid);
    plain('keypoints_embedding.weight', p.partEmbedding);
    mlp('gen_keypoints_embedding_noise', p.embeddingMlp);
    mlp('gen_keypoints_layer', p.pointMlp);
    mlp('gen_background_embedding', p.backgroundMlp);
    p.maskBlocks.forEach((b, i) => spadeBlock(`mask_spade_blocks.${i}`, b));
    p.foregroundBlocks.forEach((b, i) => spadeBlock(`spade_blocks.${i}`, b));
    p.backgroundBlocks.forEach((b, i) => {
      const key = `adain_blocks.${i}`;
      norm(`${key}.spade1`, b.adain.norm);
      lin(`${key}.spade1.conv`, b.adain.linear);
      lin(`${key}.spade1.conv_gamma`, b.adain.linearGamma);
      lin(`${key}.spade1.conv_beta`, b.adain.linearBeta);
      conv(`${key}.conv1`, b.conv1);
    });
    conv('x_start.pe', p.partStart);
    conv('mask_start.pe', p.maskStart);
    conv('bg_start.pe', p.backgroundStart);
    p.final.forEach((c, i) => conv(`conv.${2 * i}`, c));
    return m;
  }

  /**
   * Load an official generator state dict (the `generator` entry of an `epoch_N.model`; a
   * DataParallel `module.` prefix is stripped). Throws one `WeightsError` listing every missing,
   * unexpected and wrongly-shaped key before any variable changes.
   *
   * @example
   * ```ts
   * g.loadStateDict(checkpoint.get('generator'), 'log/gan_cub_k8/checkpoints/epoch_29.model');
   * ```
   */
  loadStateDict(dict: StateDict, where = 'PartGenerator.loadStateDict'): void {
    applyStateDict(where, withoutModulePrefix(dict), this.weightTargets());
  }

  /**
   * The generator as an official state dict (loadable by the official `Generator.load_state_dict`).
   *
   * @example
   * ```ts
   * const dict = g.stateDict(); // 'keypoints_embedding.weight', 'spade_blocks.0.conv1.weight', …
   * ```
   */
  stateDict(): StateDict {
    return toStateDict(this.weightTargets());
  }

  /**
   * Free every variable (trainable and state).
   *
   * @example
   * ```ts
   * g.dispose();
   * ```
   */
  dispose(): void {
    const p = this.params;
    const bnExtras = [...p.maskBlocks, ...p.foregroundBlocks].flatMap((b) => [b.spade1, b.spade2, ...(b.shortcut ? [b.shortcut.spade] : [])])
      .map((s) => s.norm).concat(p.backgroundBlocks.map((b) => b.adain.norm)).flatMap((bn) => [bn.gamma, bn.beta]);
    for (const v of [...this.variables(), ...this.stateVariables(), ...bnExtras]) v.dispose();
  }
}
