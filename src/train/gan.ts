/**
 * GAN training as phases with intervals (NVlabs stylegan2-ada `training_loop`):
 * `Gmain` every step, `Greg` (lazy path-length regularization, for generators
 * with a mapping network) every `plInterval` steps, `Dmain` every step, `Dreg`
 * (lazy R1) every `r1Interval` steps; generator EMA; DiffAugment on everything the discriminator sees;
 * fixed latents rendered to a sample grid every `sampleEvery` steps. Every
 * random draw comes from (seed, step), so a resumed run is bit-identical.
 *
 * @module
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as t from 'io-ts';
import { NonNegativeInt, PositiveInt, Probability } from '../core/codec.ts';
import { ConfigError } from '../core/errors.ts';
import { Rng } from '../core/rng.ts';
import type { Module } from '../core/tensor.ts';
import { Adam, AdamConfig, lazyRegularizedAdam } from './adam.ts';
import { DiffAugmentPolicy, diffAugment } from './augment.ts';
import { copyVariables, emaBeta, emaUpdate } from './ema.ts';
import type { TrainEventHandler } from './events.ts';
import { dHingeLoss, dLogisticLoss, gHingeLoss, gNonSaturatingLoss } from './losses.ts';
import { namedVariables, runLoop, type RunResult } from './loop.ts';
import { pathLengthPenalty, r1Penalty } from './regularizers.ts';
import { minimize, stepRng, type NonFinitePolicy } from './step.ts';

// ---------------------------------------------------------------------------
// What the trainer needs from the networks
// ---------------------------------------------------------------------------

/** A generator the GAN trainer can optimize. `variables()` is all its state (trainable and not). */
export interface TrainableGenerator extends Module {
  /** Latent size. */
  readonly latentDim: number;
  /** z [N,latentDim] → images [N,H,W,C] in [-1,1]. `training` switches batch-norm statistics. */
  generate(z: tf.Tensor2D, training: boolean): tf.Tensor4D;
  /**
   * Mapping network z [N,latentDim] → w ([N,D], or per-layer [N,L,D]). With
   * {@link TrainableGenerator.synthesizeW} it enables path-length regularization
   * (`plWeight > 0`); `synthesizeW(mapToW(z))` must equal `generate(z)`. The
   * penalty is second order: tfjs drops second-order terms through ops whose
   * gradient reuses their saved output (tanh, sigmoid, exp), so keep those out of
   * the synthesis path (StyleGAN2's leaky-ReLU/linear output is fine).
   */
  mapToW?(z: tf.Tensor2D, training: boolean): tf.Tensor;
  /** Synthesis network w (as {@link TrainableGenerator.mapToW} returns it) → images [N,H,W,C]. */
  synthesizeW?(w: tf.Tensor, training: boolean): tf.Tensor4D;
}

/** A discriminator the GAN trainer can optimize. */
export interface TrainableDiscriminator extends Module {
  /** images [N,H,W,C] → logits [N] or [N,1]. */
  score(images: tf.Tensor4D, training: boolean): tf.Tensor;
}

/** The networks of a GAN run. `generatorEma` has the same architecture as `generator`. */
export interface GanNetworks {
  /** The trained generator. */
  readonly generator: TrainableGenerator;
  /** Its exponential moving average (sampled and saved). */
  readonly generatorEma: TrainableGenerator;
  /** The discriminator. */
  readonly discriminator: TrainableDiscriminator;
}

/**
 * Real images for step `step`: must be a function of (step, batch size) only
 * (e.g. {@link epochBatches}), so resumed runs see the same data.
 */
export type RealBatches = (step: number, batchSize: number) => tf.Tensor4D;

// ---------------------------------------------------------------------------
// Config
// ---------------------------------------------------------------------------

/** GAN training settings. */
export const GanTrainConfig = t.type({
  /** Seed of every random draw of the run. */
  seed: t.union([t.number, t.string]),
  /** Training steps (one G and one D update each). */
  steps: PositiveInt,
  /** Batch size. DCGAN: 128; StyleGAN2: 32. */
  batchSize: PositiveInt,
  /** Adversarial loss: `logistic` (non-saturating, StyleGAN2) or `hinge` (BigGAN). */
  loss: t.union([t.literal('logistic'), t.literal('hinge')]),
  /** Generator Adam. DCGAN: lr 2e-4, β1 0.5, β2 0.999; StyleGAN2: 2e-3, 0, 0.99. */
  g: AdamConfig,
  /** Discriminator Adam (same defaults as `g`). */
  d: AdamConfig,
  /** R1 weight γ (0 = off). StyleGAN2 FFHQ-256: 1 (ADA small data: 0.01–10). */
  r1Gamma: t.number,
  /** Lazy R1 every this many steps. StyleGAN2: 16. */
  r1Interval: PositiveInt,
  /**
   * Path-length regularization weight (0 = off; StyleGAN2: 2). Needs a generator
   * with `mapToW` and `synthesizeW`. Applied as `plWeight · plInterval · mean((‖Jᵀy‖ − a)²)`.
   */
  plWeight: t.number,
  /** Lazy path-length regularization every this many steps. StyleGAN2: 4. */
  plInterval: PositiveInt,
  /** Decay of the running mean path length `a`. StyleGAN2: 0.01. */
  plDecay: Probability,
  /** The path-length batch is `batchSize / plBatchShrink` (at least 1). StyleGAN2: 2. */
  plBatchShrink: PositiveInt,
  /** Generator EMA half-life in thousands of images (0 = EMA equals G). StyleGAN2-ADA: 10. */
  emaKimg: t.number,
  /** EMA ramp-up: the half-life is at most `emaRampup` × images seen (0 = off). StyleGAN2-ADA: 0.05. */
  emaRampup: t.number,
  /** DiffAugment policy (empty = none). Small data: ['color','translation','cutout']. */
  augment: DiffAugmentPolicy,
  /** Probability of augmenting each batch (1 = always, as DiffAugment). */
  augmentProbability: Probability,
  /** Log scalars every this many steps. */
  logEvery: PositiveInt,
  /** Write the sample grid every this many steps (0 = only at the end). */
  sampleEvery: NonNegativeInt,
  /** Fixed latents in the sample grid. */
  numSamples: PositiveInt,
  /** Checkpoint every this many steps. */
  checkpointEvery: PositiveInt,
  /** Checkpoints to keep. */
  keepCheckpoints: PositiveInt,
  /** Non-finite loss/gradient: `stop` (error) or `skip` the step and count it. */
  onNonFinite: t.union([t.literal('stop'), t.literal('skip')]),
});
/** GAN training settings. */
export type GanTrainConfig = t.TypeOf<typeof GanTrainConfig>;

/**
 * DCGAN-style defaults (Radford et al. 2016: Adam 2e-4, β1 0.5) with R1, path-length
 * regularization and EMA off (their intervals, decay and batch shrink set to StyleGAN2's).
 *
 * @example
 * ```ts
 * const cfg: GanTrainConfig = { ...dcganTrainDefaults, steps: 2000 as PositiveInt };
 * ```
 */
export const dcganTrainDefaults: GanTrainConfig = t.exact(GanTrainConfig).encode({
  seed: 0,
  steps: 1000 as PositiveInt,
  batchSize: 64 as PositiveInt,
  loss: 'logistic',
  g: { lr: 2e-4, beta1: 0.5, beta2: 0.999, eps: 1e-8 } as AdamConfig,
  d: { lr: 2e-4, beta1: 0.5, beta2: 0.999, eps: 1e-8 } as AdamConfig,
  r1Gamma: 0,
  r1Interval: 16 as PositiveInt,
  plWeight: 0,
  plInterval: 4 as PositiveInt,
  plDecay: 0.01 as Probability,
  plBatchShrink: 2 as PositiveInt,
  emaKimg: 0,
  emaRampup: 0.05,
  augment: [],
  augmentProbability: 1 as Probability,
  logEvery: 10 as PositiveInt,
  sampleEvery: 200 as NonNegativeInt,
  numSamples: 64 as PositiveInt,
  checkpointEvery: 200 as PositiveInt,
  keepCheckpoints: 3 as PositiveInt,
  onNonFinite: 'stop',
}) as GanTrainConfig;

/** Options of {@link trainGan}. */
export interface TrainGanOptions {
  /** Settings. */
  readonly config: GanTrainConfig;
  /** The networks (their current weights are the starting point unless resuming). */
  readonly networks: GanNetworks;
  /** Real images per step. */
  readonly reals: RealBatches;
  /** Output folder. */
  readonly out: string;
  /** Resume: `true` = newest checkpoint in `out`, or a run / checkpoint folder. */
  readonly resume?: boolean | string;
  /** Write a grid of samples (images [N,H,W,C] in [-1,1]) to a PNG file. Without it no grids are written. */
  readonly writeSamples?: (images: tf.Tensor4D, file: string) => void;
  /** Progress events. */
  readonly onEvent?: TrainEventHandler;
  /** Stop (after a checkpoint) when aborted. */
  readonly signal?: AbortSignal;
  /** Test hook: called inside each checkpoint write, before it is published. */
  readonly beforeCommit?: () => void;
  /** Any JSON to store with the config in checkpoints (e.g. the model config, for the CLI's resume). */
  readonly extraConfig?: unknown;
}

const trainable = (m: Module): tf.Variable[] => m.variables().filter((v) => v.trainable);

/**
 * Train a GAN. Resolves when `config.steps` are done (or on abort).
 *
 * @example
 * ```ts
 * const r = await trainGan({ config, networks: { generator, generatorEma, discriminator }, reals, out: 'runs/shapes',
 *   writeSamples: (x, f) => writeGrid(x, f), onEvent: (e) => e.type === 'step' && console.log(e.scalars) });
 * ```
 */
export const trainGan = async (o: TrainGanOptions): Promise<RunResult> => {
  const c = o.config;
  const { generator: g, generatorEma: gEma, discriminator: d } = o.networks;
  const { mapToW, synthesizeW } = g;
  const pathLength = c.plWeight > 0;
  if (pathLength && (mapToW === undefined || synthesizeW === undefined)) {
    throw new ConfigError('trainGan', [{ path: 'plWeight', expected: '0 for a generator without mapToW/synthesizeW (no mapping network)', given: String(c.plWeight) }]);
  }
  const gOpt = new Adam(trainable(g), pathLength ? lazyRegularizedAdam(c.g, c.plInterval) : c.g);
  const dOpt = new Adam(trainable(d), c.r1Gamma > 0 ? lazyRegularizedAdam(c.d, c.r1Interval) : c.d);
  copyVariables(gEma.variables(), g.variables());
  // NVlabs: EMA over trainable weights (half-life ramped up with the images seen); buffers (batch-norm statistics) copied.
  const gVars = g.variables(), eVars = gEma.variables();
  const emaPairs = { target: eVars.filter((_, i) => gVars[i]!.trainable), source: gVars.filter((v) => v.trainable) };
  const bufferPairs = { target: eVars.filter((_, i) => !gVars[i]!.trainable), source: gVars.filter((v) => !v.trainable) };
  const betaAt = (step: number): number => {
    if (c.emaKimg <= 0) return 0;
    const kimg = c.emaRampup > 0 ? Math.min(c.emaKimg, ((step + 1) * c.batchSize * c.emaRampup) / 1000) : c.emaKimg;
    return emaBeta(c.batchSize, kimg);
  };
  const fixedZ = tf.tensor2d(new Rng(`${c.seed}/fixed-z`).normalArray(c.numSamples * g.latentDim), [c.numSamples, g.latentDim]);
  const dLoss = c.loss === 'hinge' ? dHingeLoss : dLogisticLoss;
  const gLoss = c.loss === 'hinge' ? gHingeLoss : gNonSaturatingLoss;
  const policy: NonFinitePolicy = c.onNonFinite;
  /** Running mean path length `a` (checkpointed in the meta). */
  let plMean = 0;

  const latents = (step: number, label: string): tf.Tensor2D =>
    tf.tensor2d(stepRng(c.seed, step, label).normalArray(c.batchSize * g.latentDim), [c.batchSize, g.latentDim]);
  const augmenter = (step: number, label: string): ((x: tf.Tensor4D) => tf.Tensor4D) => {
    const rng = stepRng(c.seed, step, label);
    const on = c.augment.length > 0 && rng.bernoulli(c.augmentProbability);
    return (x) => (on ? diffAugment(x, c.augment, rng) : x);
  };

  const step = (s: number) => {
    const scalars: Record<string, number> = {};
    const skipped: string[] = [];
    // Gmain
    {
      const z = latents(s, 'Gmain/z');
      const aug = augmenter(s, 'Gmain/aug');
      const r = minimize(gOpt, () => gLoss(d.score(aug(g.generate(z, true)), true)), { step: s, phase: 'Gmain', onNonFinite: policy });
      z.dispose();
      scalars['loss/G'] = r.loss;
      if (r.skipped) skipped.push('Gmain');
    }
    // Greg: lazy path-length regularization on a shrunk batch (NVlabs `pl_batch_shrink`)
    if (pathLength && s % c.plInterval === 0 && mapToW && synthesizeW) {
      const n = Math.max(1, Math.floor(c.batchSize / c.plBatchShrink));
      const z = tf.tensor2d(stepRng(c.seed, s, 'Greg/z').normalArray(n * g.latentDim), [n, g.latentDim]);
      const noiseRng = stepRng(c.seed, s, 'Greg/noise');
      const weight = c.plWeight * c.plInterval;
      let batchMean = NaN;
      const r = minimize(gOpt, () => {
        const { penalty, pathMean } = pathLengthPenalty(
          (w) => synthesizeW.call(g, w, true), mapToW.call(g, z, true),
          (shape) => tf.tensor4d(noiseRng.normalArray(shape.reduce((a, b) => a * b, 1)), shape as [number, number, number, number]),
          plMean, c.plDecay);
        batchMean = pathMean.dataSync()[0]!;
        return tf.mul(penalty, weight) as tf.Scalar;
      }, { step: s, phase: 'Greg', onNonFinite: policy });
      z.dispose();
      if (r.skipped) skipped.push('Greg');
      else plMean += c.plDecay * (batchMean - plMean);
      scalars['loss/pl'] = r.loss / weight;
      scalars['pl/mean'] = plMean;
    }
    // Dmain
    {
      const z = latents(s, 'Dmain/z');
      const fakes = tf.tidy(() => g.generate(z, true));
      const real = o.reals(s, c.batchSize);
      const augR = augmenter(s, 'Dmain/augReal'), augF = augmenter(s, 'Dmain/augFake');
      const r = minimize(dOpt, () => dLoss(d.score(augR(real), true), d.score(augF(fakes), true)), { step: s, phase: 'Dmain', onNonFinite: policy });
      tf.dispose([z, fakes, real]);
      scalars['loss/D'] = r.loss;
      if (r.skipped) skipped.push('Dmain');
    }
    // Dreg: lazy R1
    if (c.r1Gamma > 0 && s % c.r1Interval === 0) {
      const real = o.reals(s, c.batchSize);
      const aug = augmenter(s, 'Dreg/aug');
      const weight = (c.r1Gamma / 2) * c.r1Interval;
      const r = minimize(dOpt, () => tf.mul(r1Penalty((x) => d.score(aug(x), true), real), weight) as tf.Scalar, { step: s, phase: 'Dreg', onNonFinite: policy });
      real.dispose();
      scalars['loss/r1'] = r.loss / weight;
      if (r.skipped) skipped.push('Dreg');
    }
    // EMA of G (after Dmain, whose forward pass also updated G's batch-norm statistics)
    const beta = betaAt(s);
    if (beta > 0) emaUpdate(emaPairs.target, emaPairs.source, beta);
    else copyVariables(emaPairs.target, emaPairs.source);
    copyVariables(bufferPairs.target, bufferPairs.source);
    scalars['ema/beta'] = beta;
    return { scalars, skipped };
  };

  const sample = (done: number, emit: TrainEventHandler, label = done): void => {
    if (!o.writeSamples) return;
    const due = (c.sampleEvery > 0 && done % c.sampleEvery === 0) || done === c.steps;
    if (!due) return;
    const file = path.join(o.out, 'samples', `step-${String(label).padStart(8, '0')}.png`);
    const imgs = tf.tidy(() => gEma.generate(fixedZ, false));
    o.writeSamples(imgs, file);
    imgs.dispose();
    emit({ type: 'samples', step: label, path: file });
  };

  try {
    const r = await runLoop({
      where: 'trainGan',
      out: o.out,
      totalSteps: c.steps,
      checkpointEvery: c.checkpointEvery,
      logEvery: c.logEvery,
      keepCheckpoints: c.keepCheckpoints,
      config: o.extraConfig === undefined ? { train: c } : { train: c, ...(o.extraConfig as object) },
      state: () => ({
        ...namedVariables('G', g.variables()),
        ...namedVariables('Gema', gEma.variables()),
        ...namedVariables('D', d.variables()),
        ...namedVariables('optG', gOpt.stateVariables()),
        ...namedVariables('optD', dOpt.stateVariables()),
      }),
      meta: () => ({ optGStep: gOpt.step, optDStep: dOpt.step, plMean }),
      restoreMeta: (m) => {
        const mm = m as { optGStep: number; optDStep: number; plMean?: number };
        gOpt.setStep(mm.optGStep);
        dOpt.setStep(mm.optDStep);
        plMean = mm.plMean ?? 0;
      },
      step,
      after: sample,
      resume: o.resume,
      onEvent: o.onEvent,
      signal: o.signal,
      beforeCommit: o.beforeCommit,
    });
    // stopped early (abort): still leave a grid of where the run got to
    if (r.step < c.steps && o.writeSamples && !(c.sampleEvery > 0 && r.step % c.sampleEvery === 0)) sample(c.steps, o.onEvent ?? (() => {}), r.step);
    return r;
  } finally {
    gOpt.dispose();
    dOpt.dispose();
    fixedZ.dispose();
  }
};

// ---------------------------------------------------------------------------
// Data order as a function of (seed, step)
// ---------------------------------------------------------------------------

/**
 * Indices of the batch at `step` when walking `n` items in epochs, each epoch
 * a fresh permutation seeded by (seed, epoch): a pure function of its arguments.
 *
 * @example
 * ```ts
 * const idx = epochBatchIndices(200, 16, 'seed', 37); // 16 indices in [0,200)
 * ```
 */
export const epochBatchIndices = (n: number, batchSize: number, seed: number | string, step: number): number[] => {
  const out: number[] = [];
  let pos = step * batchSize;
  const perms = new Map<number, number[]>();
  while (out.length < batchSize) {
    const epoch = Math.floor(pos / n);
    let perm = perms.get(epoch);
    if (!perm) {
      perm = stepRng(seed, epoch, 'epoch').shuffle(Array.from({ length: n }, (_, i) => i));
      perms.set(epoch, perm);
    }
    out.push(perm[pos % n]!);
    pos += 1;
  }
  return out;
};

/**
 * {@link RealBatches} over a tensor of images held in memory, in seeded epochs.
 *
 * @example
 * ```ts
 * const reals = epochBatches(images, 'seed'); // images [N,H,W,C]
 * const x = reals(0, 16);
 * ```
 */
export const epochBatches = (images: tf.Tensor4D, seed: number | string): RealBatches => (step, batchSize) =>
  tf.tidy(() => tf.gather(images, tf.tensor1d(epochBatchIndices(images.shape[0], batchSize, seed, step), 'int32')));
