/**
 * Labels4Free training (RameenAbdal/Labels4Free `train.py`) through the project's GAN trainer:
 * the "generator" `trainGan` optimizes is the composite α·G(z) + (1 − α)·G_bg(z) whose only
 * variables are the alpha net's (the StyleGAN2 stays frozen), the discriminator a StyleGAN2 D.
 * Phases in train.py's order: `Dmain` (logistic loss, reals vs composites), `Dreg` (lazy R1,
 * γ = `r1`, plus train.py's `1.0 * real_pred[0]`), `Gmain` (the alpha net's loss of `losses.ts`);
 * then the EMA of the alpha net (train.py's `ema_bg`, decay 0.5^(32/10⁴)).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { PositiveInt } from '../../core/codec.ts';
import { Rng } from '../../core/rng.ts';
import type { ImageBatch, MaskBatch } from '../../core/tensor.ts';
import type { StyleGAN2Discriminator } from '../../models/stylegan2/discriminator.ts';
import type { StyleGAN2Generator } from '../../models/stylegan2/generator.ts';
import { lazyRegularizedAdam, type AdamConfig } from '../../train/adam.ts';
import type { TrainEventHandler } from '../../train/events.ts';
import { dcganTrainDefaults, trainGan, type GanTrainConfig, type RealBatches, type ResumableRunOptions, type TrainableDiscriminator, type TrainableGenerator } from '../../train/gan.ts';
import { dLogisticLoss } from '../../train/losses.ts';
import type { RunResult } from '../../train/loop.ts';
import type { GanPhase } from '../../train/phases.ts';
import { r1Penalty } from '../../train/regularizers.ts';
import { alphaGeneratorLoss } from './losses.ts';
import { AlphaBranch } from './model.ts';
import { alphaBranchSettings, type Labels4FreeConfig } from './train-config.ts';

/**
 * The composite as a `TrainableGenerator`: `generate(z)` is train.py's composite (stored noise),
 * `variables()` the alpha net's only, so the trainer's optimizer, EMA and checkpoints hold exactly those.
 *
 * @example
 * ```ts
 * const g = compositeGenerator(branch); // g.variables() === branch.variables()
 * ```
 */
export const compositeGenerator = (branch: AlphaBranch): TrainableGenerator => ({
  latentDim: branch.generator.latentDim,
  generate: (z) => tf.tidy(() => branch.layers(z).composite),
  variables: () => branch.variables(),
  dispose: () => branch.dispose(),
});

/** Real images for a step with train.py's `RandomHorizontalFlip` (p 0.5 per image, drawn from (seed, step)). */
const flippedReals = (reals: RealBatches, seed: number | string): RealBatches => (step, batchSize) =>
  tf.tidy(() => {
    const x = reals(step, batchSize); // [N,H,W,C]
    const rng = new Rng(`${seed}/labels4free-flip/${step}`);
    const m = tf.tensor4d(Array.from({ length: x.shape[0] }, () => (rng.bernoulli(0.5) ? 1 : 0)), [x.shape[0], 1, 1, 1]);
    return tf.add(tf.mul(tf.reverse(x, 2), m), tf.mul(x, tf.sub(1, m)));
  });

/**
 * train.py's phases for `c`, closing over the branch: `Dmain`, `Dreg` (when `r1 > 0`), `Gmain`.
 * Each pass of the generator draws its noise from the phase's `noise` stream (train.py's `randomize_noise`).
 *
 * @example
 * ```ts
 * await trainGan({ ...options, phases: labels4freePhases(branch, config) });
 * ```
 */
export const labels4freePhases = (branch: AlphaBranch, c: Labels4FreeConfig): GanPhase[] => {
  const composite = (z: tf.Tensor2D, rng: Rng): { composite: ImageBatch; alpha: MaskBatch } => {
    const l = branch.layers(z, { noise: 'random', rng });
    return { composite: l.composite, alpha: l.alpha };
  };
  const r1Weight = (c.r1 / 2) * c.dRegEvery;
  let terms: number[] = [];
  const dMain: GanPhase = {
    name: 'Dmain', network: 'D', every: 1,
    loss: (ctx) => {
      const d = ctx.networks.discriminator;
      const fake = composite(ctx.latents('z'), ctx.rng('noise')).composite;
      return dLogisticLoss(d.score(ctx.reals(), true), d.score(fake, true));
    },
    after: (r) => ({ 'loss/D': r.loss }),
  };
  const dReg: GanPhase = {
    name: 'Dreg', network: 'D', every: c.dRegEvery,
    loss: (ctx) => {
      const d = ctx.networks.discriminator;
      const real = ctx.reals();
      const firstLogit = tf.sum(tf.slice(tf.reshape(d.score(real, true), [-1]), [0], [1])); // train.py: `+ 1.0 * real_pred[0]`
      return tf.add(tf.mul(r1Penalty((x) => d.score(x, true), real), r1Weight), firstLogit) as tf.Scalar;
    },
    after: (r) => ({ 'loss/Dreg': r.loss }),
  };
  const gMain: GanPhase = {
    name: 'Gmain', network: 'G', every: 1,
    loss: (ctx) => {
      const { composite: x, alpha } = composite(ctx.latents('z'), ctx.rng('noise'));
      const l = alphaGeneratorLoss(ctx.networks.discriminator.score(x, true), alpha, c);
      terms = Array.from(tf.stack([l.adversarial, l.binarization, l.fgCoverage, l.bgCoverage, tf.mean(alpha)]).dataSync());
      return l.total;
    },
    after: (r) => {
      const [adv, bin, fg, bg, mean] = terms;
      return { 'loss/G': r.loss, 'loss/adversarial': adv ?? NaN, 'loss/binarization': bin ?? NaN, 'loss/fgCoverage': fg ?? NaN, 'loss/bgCoverage': bg ?? NaN, 'alpha/mean': mean ?? NaN };
    },
  };
  return [dMain, ...(c.r1 > 0 ? [dReg] : []), gMain];
};

/**
 * The trainer's settings for `c`: the alpha net's Adam at train.py's lazy ratio (lr·r, betas 0^r, 0.99^r,
 * r = gRegEvery/(gRegEvery+1)); D's Adam (2e-4-style lr, betas 0, 0.99) scaled by the trainer's own R1 ratio;
 * EMA decay 0.5^(32/10⁴) per step whatever the batch (train.py's `accum`); no path length, no augmentation.
 *
 * @example
 * ```ts
 * const g = labels4freeGanConfig(LABELS4FREE_DEFAULTS, 7); // g.g.lr === 1.6e-4
 * ```
 */
export const labels4freeGanConfig = (c: Labels4FreeConfig, seed: number | string): GanTrainConfig => {
  return {
    ...dcganTrainDefaults,
    seed,
    steps: c.iterations,
    batchSize: c.batchSize,
    loss: 'logistic',
    g: lazyRegularizedAdam({ lr: c.lr, beta1: 0, beta2: 0.99, eps: 1e-8 } as AdamConfig, c.gRegEvery), // G regularized every gRegEvery steps (StyleGAN2 App. B)
    d: { lr: c.lr, beta1: 0, beta2: 0.99, eps: 1e-8 } as AdamConfig,
    r1Gamma: c.r1,
    r1Interval: c.dRegEvery,
    plWeight: 0,
    emaKimg: (10 * c.batchSize) / 32, // emaBeta(batch, kimg) = 0.5^(batch/(1000·kimg)) = 0.5^(32/10⁴)
    emaRampup: 0,
    augment: [],
    logEvery: Math.max(1, c.logEvery) as PositiveInt,
    checkpointEvery: c.checkpointEvery,
  };
};

/** A sample-grid hook of {@link trainAlphaBranch}. */
export interface AlphaSamplesHook {
  /** Call `write` after every this many steps (0 = only after the last). */
  readonly every: number;
  /** Draw from the raw branch after `step` (must not touch the training streams). */
  readonly write: (branch: AlphaBranch, step: number) => void;
}

/** Options of {@link trainAlphaBranch}. */
export interface TrainAlphaOptions extends ResumableRunOptions {
  /** The pretrained StyleGAN2 (frozen; borrowed). */
  readonly generator: StyleGAN2Generator;
  /** The discriminator to train: a fresh StyleGAN2 D, or the generator's own (`--use_disc`). Borrowed. */
  readonly discriminator: TrainableDiscriminator | StyleGAN2Discriminator;
  /** Real images per step ([N,H,W,3] in [-1,1]); flipped horizontally at random as train.py's loader. */
  readonly reals: RealBatches;
  /** Settings. */
  readonly config: Labels4FreeConfig;
  /** Seed of every draw (alpha-net init, latents, noise, flips). */
  readonly seed: number | string;
  /**
   * Called with the raw branch after every `every`-th step and after the last (for sample grids, as
   * train.py's `sample/` every 100 iterations). It must not draw from the training streams; nothing
   * it does enters the checkpoints.
   */
  readonly samples?: AlphaSamplesHook;
}

/** What {@link trainAlphaBranch} returns: the trained branch (train.py's raw `bg_extractor`), its EMA, the run. */
export interface TrainedAlphaBranch {
  /** The trained alpha branch (what train.py samples with and saves, also as `bg_extractor_ema`). */
  readonly branch: AlphaBranch;
  /** train.py's `ema_bg` (kept and checkpointed, never used by the reference). */
  readonly ema: AlphaBranch;
  /** The trainer's result. */
  readonly run: RunResult;
}

/**
 * Train an alpha branch on a frozen StyleGAN2 as train.py: only the alpha net and D change.
 *
 * @example
 * ```ts
 * const d = createStyleGAN2Discriminator(g.config, new Rng(1));
 * const { branch } = await trainAlphaBranch({ generator: g, discriminator: d, reals: epochBatches(images, 's'), config, seed: 0, out: 'runs/l4f' });
 * ```
 */
export const trainAlphaBranch = async (o: TrainAlphaOptions): Promise<TrainedAlphaBranch> => {
  const settings = alphaBranchSettings(o.config, o.generator.resolution);
  const init = new Rng(`${o.seed}/labels4free-init`);
  const branch = AlphaBranch.create(o.generator, init, settings);
  const ema = AlphaBranch.create(o.generator, init, settings);
  try {
    const run = await trainGan({
      config: labels4freeGanConfig(o.config, o.seed),
      networks: { generator: compositeGenerator(branch), generatorEma: compositeGenerator(ema), discriminator: o.discriminator },
      reals: flippedReals(o.reals, o.seed),
      out: o.out,
      resume: o.resume ?? true,
      phases: labels4freePhases(branch, o.config),
      extraConfig: { labels4free: o.config, generator: o.generator.id },
      ...(o.onEvent || o.samples ? {
        onEvent: (e: Parameters<TrainEventHandler>[0]) => {
          if (o.samples && e.type === 'step' && ((o.samples.every > 0 && e.step % o.samples.every === 0) || e.step === e.totalSteps)) o.samples.write(branch, e.step);
          o.onEvent?.(e);
        },
      } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.beforeCommit ? { beforeCommit: o.beforeCommit } : {}),
    });
    return { branch, ema, run };
  } catch (e) {
    branch.dispose();
    ema.dispose();
    throw e;
  }
};
