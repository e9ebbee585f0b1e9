/**
 * ILSGAN training (qrzou/ILSGAN `training/training_loop_ILS.py` with `training/loss.py: ILSLoss`)
 * through the project's GAN trainer: the layered generator is the `TrainableGenerator` (its
 * mapping networks carry their 0.01 lr multiplier in their weights, as NVlabs'), the
 * discriminator NVlabs' resnet D. Phases in the reference's order: `Gmain` (non-saturating loss on
 * D(shifted composite) + binarization + mask size + σ·CLUB independence bound), `Dmain`
 * (logistic loss, reals vs shifted composites), `Dreg` (lazy R1, γ = 0.0002·res²/batch);
 * then the EMA of G. `Greg` computes nothing in the reference (`do_Gpl = False`) and is left out;
 * G's Adam keeps its lazy ratio 4/5.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { PositiveInt } from '../../core/codec.ts';
import { Rng } from '../../core/rng.ts';
import { ADA_DEFAULTS } from '../../train/ada.ts';
import { lazyRegularizedAdam, type AdamConfig } from '../../train/adam.ts';
import { dcganTrainDefaults, trainGan, type GanTrainConfig, type RealBatches, type ResumableRunOptions, type TrainableGenerator } from '../../train/gan.ts';
import { dLogisticLoss } from '../../train/losses.ts';
import type { RunResult } from '../../train/loop.ts';
import type { TrainEventHandler } from '../../train/events.ts';
import { r1Phase, type GanPhase, type GanPhaseContext } from '../../train/phases.ts';
import { untaped } from '../../train/tape.ts';
import { LayeredDiscriminator, ilsDiscriminatorConfig } from './discriminator.ts';
import { ilsGeneratorLoss, ilsSigma } from './losses.ts';
import { LayeredGenerator } from './model.ts';
import { ilsganGeneratorConfig, type IlsganConfig } from './train-config.ts';

/**
 * The layered generator as a `TrainableGenerator`: `generate(z)` is the composite (const noise,
 * unshifted: what the sample grids show), `variables()` all of G's.
 *
 * @example
 * ```ts
 * const tg = layeredTrainable(g); // tg.variables() === g.variables()
 * ```
 */
export const layeredTrainable = (g: LayeredGenerator): TrainableGenerator => ({
  latentDim: g.config.zDim,
  generate: (z) => tf.tidy(() => g.layers(z).composite),
  variables: () => g.variables(),
  dispose: () => g.dispose(),
});

/** What {@link ilsganDerived} returns. */
export interface IlsganDerived {
  /** R1 weight γ. */
  readonly r1Gamma: number;
  /** EMA half-life in thousands of images. */
  readonly emaKimg: number;
  /** Training steps. */
  readonly steps: number;
}

/**
 * Derived numbers of the reference for `c` at `resolution`: R1 γ (0.0002·res²/batch unless set),
 * EMA half-life (batch·10/32 kimg unless set), and the step count ⌈kimg·1000/batch⌉.
 *
 * @example
 * ```ts
 * ilsganDerived(ILSGAN_DEFAULTS, 64); // { r1Gamma: 0.0256, emaKimg: 10, steps: 250000 }
 * ```
 */
export const ilsganDerived = (c: IlsganConfig, resolution: number): IlsganDerived => ({
  r1Gamma: c.r1Gamma ?? (0.0002 * resolution * resolution) / c.batchSize,
  emaKimg: c.emaKimg ?? (c.batchSize * 10) / 32,
  steps: Math.max(1, Math.ceil((c.kimg * 1000) / c.batchSize)),
});

/**
 * The trainer's settings: Adam (lr, betas (0, 0.99)) — G's scaled by its lazy ratio here, D's by the
 * trainer's R1 interval —, R1, EMA with ramp-up, no path length, ADA (`bgc`, target 0.6) when `c.ada`.
 *
 * @example
 * ```ts
 * const g = ilsganGanConfig(ILSGAN_DEFAULTS, 64, 0); // g.g.lr === 0.002, g.r1Gamma === 0.0256
 * ```
 */
export const ilsganGanConfig = (c: IlsganConfig, resolution: number, seed: number | string): GanTrainConfig => {
  const d = ilsganDerived(c, resolution);
  return {
    ...dcganTrainDefaults,
    seed,
    steps: d.steps as PositiveInt,
    batchSize: c.batchSize,
    loss: 'logistic',
    g: lazyRegularizedAdam({ lr: c.lr, beta1: 0, beta2: 0.99, eps: 1e-8 } as AdamConfig, c.gRegInterval), // G regularized every gRegInterval steps (StyleGAN2 App. B)
    d: { lr: c.lr, beta1: 0, beta2: 0.99, eps: 1e-8 } as AdamConfig,
    r1Gamma: d.r1Gamma,
    r1Interval: c.dRegInterval,
    plWeight: 0,
    emaKimg: d.emaKimg,
    emaRampup: c.emaRampup,
    augment: [],
    ada: c.ada ? ADA_DEFAULTS : null,
    logEvery: Math.max(1, c.logEvery) as PositiveInt,
    checkpointEvery: c.checkpointEvery,
    numSamples: 16 as PositiveInt,
  };
};

/**
 * The reference's phases for `c` over generator `g`: `Gmain`, `Dmain`, `Dreg` (when γ > 0). Each G pass
 * draws random noise and the shift ε from the phase's streams; the CLUB permutations from `perm`.
 *
 * @example
 * ```ts
 * await trainGan({ ...options, phases: ilsganPhases(g, config) });
 * ```
 */
export const ilsganPhases = (g: LayeredGenerator, c: IlsganConfig, gan: GanTrainConfig): GanPhase[] => {
  const fakes = (ctx: GanPhaseContext) => g.layers(ctx.latents('z'), { noise: 'random', perturb: c.perturb, rng: ctx.rng('g') });
  let terms: number[] = [];
  const gMain: GanPhase = {
    name: 'Gmain', network: 'G', every: 1,
    loss: (ctx) => {
      const l = fakes(ctx);
      const seen = l.shifted ?? l;
      const kimg = Math.floor((ctx.step * c.batchSize) / 1000); // cur_nimg // 1000 before this step
      const sigma = c.independence ? ilsSigma(kimg, c) : 0;
      const n = c.batchSize, pr = ctx.rng('perm');
      const idx = Array.from({ length: n }, (_, i) => i);
      const perms = [pr.shuffle(idx), pr.shuffle(idx)] as const;
      const loss = ilsGeneratorLoss(ctx.networks.discriminator.score(ctx.augment('aug')(seen.composite), true), seen.mask, l, sigma, perms, {
        binarizationWeight: c.binarizationWeight, maskSizeWeight: c.maskSizeWeight, minMaskSize: c.minMaskSize, perturb: c.perturb, negWeight: c.negWeight,
      });
      terms = Array.from(tf.stack([loss.adversarial, loss.binarization, loss.maskSize, loss.independence, tf.mean(l.mask)]).dataSync());
      terms.push(sigma);
      return loss.total;
    },
    after: (r) => {
      const [adv, bin, size, mi, mean, sigma] = terms;
      return { 'loss/G': r.loss, 'loss/adversarial': adv ?? NaN, 'loss/binarization': bin ?? NaN, 'loss/maskSize': size ?? NaN, 'loss/independence': mi ?? NaN, 'mask/mean': mean ?? NaN, sigma: sigma ?? NaN };
    },
  };
  const dMain: GanPhase = {
    name: 'Dmain', network: 'D', every: 1,
    loss: (ctx) => {
      const d = ctx.networks.discriminator;
      // G's pass outside the tape (the reference's G has requires_grad off in Dmain): no gradient reaches
      // G, and G's saved activations (GBs at 64², batch 32) are not held until D's backward pass ends.
      const l = untaped(() => fakes(ctx));
      const realLogits = d.score(ctx.augment('augReal')(ctx.reals()), true); // run_D: augment_pipe on every D input
      ctx.reportRealLogits?.(realLogits);
      return dLogisticLoss(realLogits, d.score(ctx.augment('augFake')((l.shifted ?? l).composite), true));
    },
    after: (r) => ({ 'loss/D': r.loss }),
  };
  return [gMain, dMain, ...(gan.r1Gamma > 0 ? [r1Phase(gan)] : [])];
};

/** When and how {@link trainIlsgan} writes sample grids. */
export interface IlsganSamplesHook {
  /** Call `write` after every this many steps (0 = only after the last). */
  readonly every: number;
  /** Draw from `G_ema` after `step` (must not touch the training streams; nothing it does enters the checkpoints). */
  readonly write: (generatorEma: LayeredGenerator, step: number) => void;
}

/** Options of {@link trainIlsgan}. */
export interface TrainIlsganOptions extends ResumableRunOptions {
  /** Real images per step ([N,R,R,3] in [-1,1]). */
  readonly reals: RealBatches;
  /** Their side R. */
  readonly resolution: number;
  /** Settings. */
  readonly config: IlsganConfig;
  /** Seed of every draw (initialisation, latents, noise, shifts, permutations). */
  readonly seed: number | string;
  /** Sample grids during training (from `G_ema`, as training_loop_ILS.py's snapshots). */
  readonly samples?: IlsganSamplesHook;
}

/** What {@link trainIlsgan} returns: G, its EMA (what the reference samples and evaluates), D, the run. */
export interface TrainedIlsgan {
  /** The trained G. */
  readonly generator: LayeredGenerator;
  /** `G_ema`. */
  readonly generatorEma: LayeredGenerator;
  /** The discriminator. */
  readonly discriminator: LayeredDiscriminator;
  /** The trainer's result. */
  readonly run: RunResult;
}

/**
 * Train ILSGAN from scratch (or resume) on real images.
 *
 * @example
 * ```ts
 * const { generatorEma } = await trainIlsgan({ reals: epochBatches(images, 's'), resolution: 64, config: ilsganPreset('ILS_predL'), seed: 0, out: 'runs/ils' });
 * ```
 */
export const trainIlsgan = async (o: TrainIlsganOptions): Promise<TrainedIlsgan> => {
  const init = new Rng(`${o.seed}/ilsgan-init`);
  const gcfg = ilsganGeneratorConfig(o.config, o.resolution);
  const generator = LayeredGenerator.create(gcfg, init.fork('G'));
  const generatorEma = LayeredGenerator.create(gcfg, init.fork('G'));
  const discriminator = LayeredDiscriminator.create(
    { ...ilsDiscriminatorConfig(o.resolution), channelBase: o.config.channelBase, channelMax: o.config.channelMax, mbstdGroup: o.config.mbstdGroup }, init.fork('D'));
  const gan = ilsganGanConfig(o.config, o.resolution, o.seed);
  try {
    const run = await trainGan({
      config: gan,
      networks: { generator: layeredTrainable(generator), generatorEma: layeredTrainable(generatorEma), discriminator },
      reals: o.reals,
      out: o.out,
      resume: o.resume ?? true,
      phases: ilsganPhases(generator, o.config, gan),
      extraConfig: { ilsgan: o.config, resolution: o.resolution },
      ...(o.onEvent || o.samples ? {
        onEvent: (e: Parameters<TrainEventHandler>[0]) => {
          if (o.samples && e.type === 'step' && ((o.samples.every > 0 && e.step % o.samples.every === 0) || e.step === e.totalSteps)) o.samples.write(generatorEma, e.step);
          o.onEvent?.(e);
        },
      } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.beforeCommit ? { beforeCommit: o.beforeCommit } : {}),
    });
    return { generator, generatorEma, discriminator, run };
  } catch (e) {
    generator.dispose();
    generatorEma.dispose();
    discriminator.dispose();
    throw e;
  }
};
