/**
 * GANSeg training (xingzhehe/GANSeg `train_gan.py`) through the project's GAN trainer: phases in the
 * official order — `Dmain` (softplus loss on D(reals) and D(G(z)), plus `gradient_penalty` on the reals,
 * weight 10, at `batch_index % 16 == 0`), then `Gmain` (non-saturating loss, plus the centre and area
 * penalties × their coefficients at `batch_index % 2 == 0`); Adam (β 0.5, 0.9) for both; G runs with batch
 * statistics in both phases (its running statistics move in both, as `generator.train()` does); no EMA
 * (the trainer's EMA copy equals G). `batch_index` restarts every epoch of min(⌊N/B⌋, 1002) batches.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { PositiveInt } from '../../core/codec.ts';
import { Rng } from '../../core/rng.ts';
import type { AdamConfig } from '../../train/adam.ts';
import { dcganTrainDefaults, trainGan, type GanTrainConfig, type RealBatches, type ResumableRunOptions, type TrainableGenerator } from '../../train/gan.ts';
import { dLogisticLoss, gNonSaturatingLoss } from '../../train/losses.ts';
import type { RunResult } from '../../train/loop.ts';
import type { GanPhase } from '../../train/phases.ts';
import { GanSegDiscriminator, ganSegDiscriminatorFor } from './discriminator.ts';
import { areaPenalty, centerPenalty, gansegGradientPenalty } from './losses.ts';
import { PartGenerator } from './model.ts';
import { untaped } from '../../train/tape.ts';
import { partGeneratorFor, type GanSegConfig } from './train-config.ts';

/**
 * The part generator as a `TrainableGenerator`: `variables()` are its trainable weights then its state
 * (running statistics, the frozen grid), so the trainer's checkpoints hold all of it; `generate(z)` reads
 * z [N, 3·Z + 2] as (z_point, z_bg_app, z_part_app, translation clipped to [−1,1]) — only for sample grids.
 *
 * @example
 * ```ts
 * const tg = partGeneratorModule(g); // tg.latentDim === 3 * g.config.zDim + 2
 * ```
 */
export const partGeneratorModule = (g: PartGenerator): TrainableGenerator => {
  const z = g.config.zDim;
  return {
    latentDim: 3 * z + 2,
    generate: (x, training) => tf.tidy(() => {
      const n = x.shape[0];
      const part = (i: number, w: number): tf.Tensor2D => x.slice([0, i * z], [n, w]);
      return g.forward({ zPoint: part(0, z), zBackground: part(1, z), zParts: part(2, z), bgTranslation: tf.clipByValue(part(3, 2), -1, 1) }, { training }).image;
    }),
    variables: () => [...g.variables(), ...g.stateVariables()],
    dispose: () => g.dispose(),
  };
};

/**
 * `train_gan.py`'s two updates per step for generator `g` under `c`, with `batch_index = step % epochLength`.
 * Each phase draws its own noise (`PartGenerator.sampleInputs`) from its `inputs` stream.
 *
 * @example
 * ```ts
 * await trainGan({ ...options, phases: gansegPhases(g, config, 1002) });
 * ```
 */
export const gansegPhases = (g: PartGenerator, c: GanSegConfig, epochLength: number): GanPhase[] => {
  const batchIndex = (step: number): number => step % Math.max(1, epochLength);
  let terms: { center: number; area: number } | undefined;
  const dMain: GanPhase = {
    name: 'Dmain', network: 'D', every: 1,
    loss: (ctx) => {
      const d = ctx.networks.discriminator;
      // G's forward outside the tape: D's gradients do not reach into G (the official step's G gradients
      // from this loss are zeroed before G's update), so its activations need not outlive the forward.
      const fake = untaped(() => tf.tidy(() => g.forward(g.sampleInputs(c.batchSize, ctx.rng('inputs')), { training: true }).image));
      const real = ctx.reals();
      const loss = dLogisticLoss(d.score(real, true), d.score(fake, true));
      if (c.gpWeight === 0 || batchIndex(ctx.step) % c.gpEvery !== 0) return loss;
      return tf.add(loss, gansegGradientPenalty((x) => d.score(x, true), real, c.gpWeight)) as tf.Scalar;
    },
    after: (r) => ({ 'loss/D': r.loss }),
  };
  const gMain: GanPhase = {
    name: 'Gmain', network: 'G', every: 1,
    loss: (ctx) => {
      const out = g.forward(g.sampleInputs(c.batchSize, ctx.rng('inputs')), { training: true, recompute: c.recompute });
      const adversarial = gNonSaturatingLoss(ctx.networks.discriminator.score(out.image, true));
      terms = undefined;
      if (batchIndex(ctx.step) % c.penaltyEvery !== 0) return adversarial;
      const center = centerPenalty(out.masks, out.keypoints);
      const area = areaPenalty(out.masks, out.points, out.keypoints, g.config.imageSize, g.config.smallerInitMask ? out.heatmaps : undefined);
      terms = { center: center.dataSync()[0]!, area: area.dataSync()[0]! };
      return tf.addN([adversarial, tf.mul(center, c.conPenaltyCoef), tf.mul(area, c.areaPenaltyCoef)]) as tf.Scalar;
    },
    after: (r) => ({ 'loss/G': r.loss, ...(terms ? { 'penalty/center': terms.center, 'penalty/area': terms.area } : {}) }),
  };
  return [dMain, gMain];
};

/**
 * The trainer's settings for `c`: Adam (lr_G, lr_D, β 0.5/0.9, ε 1e-8 as PyTorch) without lazy-regularization
 * scaling (the official penalty is not lazy-scaled), no R1, no path length, no EMA, no augmentation.
 *
 * @example
 * ```ts
 * const t = gansegGanConfig(GANSEG_DEFAULTS, 0); // t.d.lr === 4e-4
 * ```
 */
export const gansegGanConfig = (c: GanSegConfig, seed: number | string): GanTrainConfig => ({
  ...dcganTrainDefaults,
  seed,
  steps: c.iterations,
  batchSize: c.batchSize,
  loss: 'logistic',
  g: { lr: c.lrG, beta1: c.beta1, beta2: c.beta2, eps: 1e-8 } as AdamConfig,
  d: { lr: c.lrD, beta1: c.beta1, beta2: c.beta2, eps: 1e-8 } as AdamConfig,
  r1Gamma: 0,
  plWeight: 0,
  emaKimg: 0,
  augment: [],
  numSamples: 8 as PositiveInt,
  sampleEvery: 0 as GanTrainConfig['sampleEvery'],
  logEvery: c.logEvery,
  checkpointEvery: c.checkpointEvery,
});

/** Options of {@link trainGanSeg}. */
export interface TrainGanSegOptions extends Omit<ResumableRunOptions, 'beforeCommit'> {
  /** Real images per step ([N,R,R,3] in [−1,1]). */
  readonly reals: RealBatches;
  /** How many real images there are (the epoch length is min(⌊count / batch⌋, maxEpochBatches)). */
  readonly count: number;
  /** Image side R. */
  readonly resolution: number;
  /** Settings. */
  readonly config: GanSegConfig;
  /** Seed of every draw (init, noise). */
  readonly seed: number | string;
}

/** What {@link trainGanSeg} returns (the caller owns and disposes both networks). */
export interface TrainedGanSeg {
  /** The trained part generator. */
  readonly generator: PartGenerator;
  /** The trained discriminator. */
  readonly discriminator: GanSegDiscriminator;
  /** The trainer's result. */
  readonly run: RunResult;
}

/**
 * Train a part generator and its discriminator from scratch on unlabeled images, as `train_gan.py`.
 *
 * @example
 * ```ts
 * const { generator } = await trainGanSeg({ reals: epochBatches(images, 's'), count: 200, resolution: 64, config: GANSEG_DEFAULTS, seed: 0, out: 'runs/ganseg' });
 * ```
 */
export const trainGanSeg = async (o: TrainGanSegOptions): Promise<TrainedGanSeg> => {
  const c = o.config;
  const gc = partGeneratorFor(c.generator, o.resolution);
  const init = new Rng(`${o.seed}/ganseg-init`);
  const g = PartGenerator.create(gc, init.fork('G'));
  const copy = PartGenerator.create(gc, init.fork('G'));
  const d = GanSegDiscriminator.create(c.discriminator ?? ganSegDiscriminatorFor(o.resolution), o.resolution, init.fork('D'));
  const epochLength = Math.min(Math.floor(o.count / c.batchSize), c.maxEpochBatches);
  try {
    const run = await trainGan({
      config: gansegGanConfig(c, o.seed),
      networks: { generator: partGeneratorModule(g), generatorEma: partGeneratorModule(copy), discriminator: d },
      reals: o.reals,
      out: o.out,
      resume: o.resume ?? true,
      phases: gansegPhases(g, c, epochLength),
      extraConfig: { ganseg: c, generator: gc },
      ...(o.onEvent ? { onEvent: o.onEvent } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    return { generator: g, discriminator: d, run };
  } catch (e) {
    g.dispose(); d.dispose();
    throw e;
  } finally {
    copy.dispose();
  }
};
