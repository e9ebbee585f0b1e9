/**
 * GAN training as a list of phases with intervals (NVlabs stylegan2-ada
 * `training_loop`; the phases are in `phases.ts`): by default `Gmain` every step,
 * `Greg` (lazy path-length regularization, for generators with a mapping network)
 * every `plInterval` steps, `Dmain` every step, `Dreg` (lazy R1) every `r1Interval`
 * steps; then the generator EMA; DiffAugment on everything the discriminator sees;
 * fixed latents rendered to a sample grid every `sampleEvery` steps. Every random
 * draw comes from (seed, step), so a resumed run is bit-identical.
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
import type { StepBatches } from '../data/batches.ts';
import { Adam, AdamConfig, lazyRegularizedAdam } from './adam.ts';
import { AdaSettings, adaAdjust, adaAugment, adaPipe } from './ada.ts';
import { DiffAugmentPolicy, diffAugment } from './augment.ts';
import { copyVariables, emaBeta, emaUpdate } from './ema.ts';
import type { TrainEventHandler } from './events.ts';
import { dHingeLoss, dLogisticLoss, gHingeLoss, gNonSaturatingLoss } from './losses.ts';
import { namedVariables, runLoop, type RunResult } from './loop.ts';
import { defaultGanPhases, type GanPhase, type GanPhaseContext } from './phases.ts';
import { minimize, stepRng, type MinimizeResult, type NonFinitePolicy } from './step.ts';

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
 * (e.g. `epochBatches` of `data/batches.ts`), so resumed runs see the same data.
 *
 * @example
 * ```ts
 * const reals: RealBatches = epochBatches(images, 'seed'); // images [N,H,W,C] in [-1,1]
 * ```
 */
export type RealBatches = StepBatches<tf.Tensor4D>;

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
  /**
   * Adaptive discriminator augmentation (Karras et al. 2020; NVlabs `AugmentPipe`) on everything D
   * sees, after DiffAugment when both are set; `null` = off. `p` is a run statistic (`adaP`, logged as
   * `ada/p`, checkpointed). StyleGAN2-ADA on small data: `ADA_DEFAULTS`.
   */
  ada: t.union([t.null, AdaSettings]),
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
  ada: null,
  logEvery: 10 as PositiveInt,
  sampleEvery: 200 as NonNegativeInt,
  numSamples: 64 as PositiveInt,
  checkpointEvery: 200 as PositiveInt,
  keepCheckpoints: 3 as PositiveInt,
  onNonFinite: 'stop',
}) as GanTrainConfig;

/**
 * Where a method's resumable training run keeps its checkpoints and how it is driven: what each
 * method's `train…` options share besides its data, settings and seed (passed on to {@link trainGan}).
 */
export interface ResumableRunOptions {
  /** Checkpoint folder (resumed from when it has checkpoints). */
  readonly out: string;
  /** Resume (default `true`: the newest checkpoint in `out`, if any). */
  readonly resume?: boolean | string;
  /** Progress events of the trainer. */
  readonly onEvent?: TrainEventHandler;
  /** Stop after a checkpoint when aborted. */
  readonly signal?: AbortSignal;
  /** Test hook: called inside each checkpoint write. */
  readonly beforeCommit?: () => void;
}

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
  /**
   * The phases run at each step, in order (then the EMA update). Default
   * {@link defaultGanPhases}`(config)`; a method appends its own (e.g. a regularizer).
   * Names must be unique, `every` a positive integer.
   */
  readonly phases?: readonly GanPhase[];
}

const trainable = (m: Module): tf.Variable[] => m.variables().filter((v) => v.trainable);

/** Meta keys the trainer itself writes: phases may not use them for their statistics. */
const RESERVED_STATS = ['optGStep', 'optDStep'];

const checkPhases = (phases: readonly GanPhase[]): void => {
  const errors: Array<{ path: string; expected: string; given: string }> = [];
  const seen = new Set<string>();
  phases.forEach((p, i) => {
    if (seen.has(p.name)) errors.push({ path: `phases[${i}].name`, expected: 'a name no other phase has (it namespaces the random streams)', given: JSON.stringify(p.name) });
    seen.add(p.name);
    if (!(Number.isInteger(p.every) && p.every >= 1)) errors.push({ path: `phases[${i}].every`, expected: 'a positive integer', given: String(p.every) });
    if (p.network !== 'G' && p.network !== 'D') errors.push({ path: `phases[${i}].network`, expected: "'G' or 'D'", given: JSON.stringify(p.network) });
    for (const k of Object.keys(p.stats ?? {})) if (RESERVED_STATS.includes(k)) errors.push({ path: `phases[${i}].stats.${k}`, expected: `a name other than ${RESERVED_STATS.join(', ')}`, given: k });
  });
  if (errors.length > 0) throw new ConfigError('trainGan', errors);
};

/** What {@link createGanStepper} needs: the run's settings, networks, phases and real batches. */
export type GanStepperOptions = Pick<TrainGanOptions, 'config' | 'networks' | 'reals' | 'phases'>;

/** What one {@link GanStepper.step} did. */
export interface GanStepResult {
  /** The step's scalars (losses, `ema/beta`, `ada/p`, the phases' own). */
  scalars: Record<string, number>;
  /** Phases whose update was skipped (non-finite, policy `skip`). */
  skipped: string[];
}

/** One GAN training step at a time, without the loop around it (checkpoints, events, samples). */
export interface GanStepper {
  /** Run step `s`: every phase due at `s` (in order), ADA's controller, the EMA of G. Returns the step's scalars and skipped phases. */
  readonly step: (s: number) => GanStepResult;
  /** G's and D's optimizers (their state goes into checkpoints). */
  readonly gOpt: Adam;
  /** See {@link GanStepper.gOpt}. */
  readonly dOpt: Adam;
  /** The run's statistics (path-length mean, ADA's p, the phases' own), updated by `step`. */
  readonly stats: Record<string, number>;
  /** Their starting values. */
  readonly initialStats: Readonly<Record<string, number>>;
  /** Free the optimizers' moments. */
  readonly dispose: () => void;
}

/**
 * The step of {@link trainGan} on its own: optimizers, EMA pairs, phase contexts with their seeded
 * streams, ADA, and `step(s)`. `trainGan` runs it inside its checkpointing loop; benchmarks time it bare.
 *
 * @example
 * ```ts
 * const st = createGanStepper({ config, networks, reals });
 * for (let s = 0; s < 10; s++) console.log(st.step(s).scalars);
 * st.dispose();
 * ```
 */
export const createGanStepper = (o: GanStepperOptions): GanStepper => {
  const c = o.config;
  const { generator: g, generatorEma: gEma, discriminator: d } = o.networks;
  const pathLength = c.plWeight > 0;
  if (pathLength && (g.mapToW === undefined || g.synthesizeW === undefined)) {
    throw new ConfigError('trainGan', [{ path: 'plWeight', expected: '0 for a generator without mapToW/synthesizeW (no mapping network)', given: String(c.plWeight) }]);
  }
  const phases = o.phases ?? defaultGanPhases(c);
  checkPhases(phases);
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
  const losses = c.loss === 'hinge' ? { generator: gHingeLoss, discriminator: dHingeLoss } : { generator: gNonSaturatingLoss, discriminator: dLogisticLoss };
  const policy: NonFinitePolicy = c.onNonFinite;
  // Running statistics, checkpointed in the meta after the optimizer steps. `plMean` (the path-length
  // target `a`) is always kept, as NVlabs' StyleGAN2Loss keeps `pl_mean`, so every checkpoint has it.
  const initialStats: Record<string, number> = { plMean: 0, ...(c.ada ? { adaP: c.ada.initialP, adaSignSum: 0, adaSignCount: 0 } : {}) };
  for (const p of phases) for (const [k, v] of Object.entries(p.stats ?? {})) if (!(k in initialStats)) initialStats[k] = v;
  const stats: Record<string, number> = { ...initialStats };

  const context = (phase: GanPhase, step: number): GanPhaseContext => {
    const rng = (label: string): Rng => stepRng(c.seed, step, `${phase.name}/${label}`);
    return {
      step,
      config: c,
      networks: o.networks,
      rng,
      latents: (label, n = c.batchSize) => tf.tensor2d(rng(label).normalArray(n * g.latentDim), [n, g.latentDim]),
      reals: () => o.reals(step, c.batchSize),
      augment: (label) => {
        const r = rng(label);
        const on = c.augment.length > 0 && r.bernoulli(c.augmentProbability);
        const ada = c.ada, pipe = ada ? adaPipe(ada.pipe) : undefined, p = stats['adaP'] ?? 0, ra = rng(`${label}/ada`);
        return (x) => {
          const y = on ? diffAugment(x, c.augment, r) : x;
          return pipe ? adaAugment(y, pipe, p, ra) : y;
        };
      },
      reportRealLogits: (logits) => {
        if (!c.ada) return;
        const signs = tf.tidy(() => tf.sum(tf.sign(logits)).dataSync()[0]!);
        stats['adaSignSum'] = (stats['adaSignSum'] ?? 0) + signs;
        stats['adaSignCount'] = (stats['adaSignCount'] ?? 0) + logits.size;
      },
      losses,
      stats,
    };
  };

  const step = (s: number): GanStepResult => {
    const scalars: Record<string, number> = {};
    const skipped: string[] = [];
    for (const phase of phases) {
      if (s % phase.every !== 0) continue;
      const ctx = context(phase, s);
      // Everything the phase makes (latents, reals, fakes, its loss) is freed with this tidy.
      tf.tidy(() => {
        const r: MinimizeResult = minimize(phase.network === 'G' ? gOpt : dOpt, () => phase.loss(ctx), { step: s, phase: phase.name, onNonFinite: policy });
        if (r.skipped) skipped.push(phase.name);
        Object.assign(scalars, phase.after ? phase.after(r, ctx) : { [`loss/${phase.name}`]: r.loss });
      });
    }
    // ADA: every `interval` steps move p toward E[sign D(real)] = target (training_loop.py, after the phases).
    if (c.ada && c.ada.target !== null && s % c.ada.interval === 0 && (stats['adaSignCount'] ?? 0) > 0) {
      stats['adaP'] = adaAdjust(stats['adaP']!, stats['adaSignSum']! / stats['adaSignCount']!, c.batchSize, { target: c.ada.target, interval: c.ada.interval, kimg: c.ada.kimg });
      stats['adaSignSum'] = 0;
      stats['adaSignCount'] = 0;
    }
    if (c.ada) scalars['ada/p'] = stats['adaP']!;
    // EMA of G (after Dmain, whose forward pass also updated G's batch-norm statistics)
    const beta = betaAt(s);
    if (beta > 0) emaUpdate(emaPairs.target, emaPairs.source, beta);
    else copyVariables(emaPairs.target, emaPairs.source);
    copyVariables(bufferPairs.target, bufferPairs.source);
    scalars['ema/beta'] = beta;
    return { scalars, skipped };
  };
  return { step, gOpt, dOpt, stats, initialStats, dispose: () => { gOpt.dispose(); dOpt.dispose(); } };
};

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
  const { step, gOpt, dOpt, stats, initialStats, dispose } = createGanStepper(o);
  const fixedZ = tf.tensor2d(new Rng(`${c.seed}/fixed-z`).normalArray(c.numSamples * g.latentDim), [c.numSamples, g.latentDim]);

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
      meta: () => ({ optGStep: gOpt.step, optDStep: dOpt.step, ...stats }),
      restoreMeta: (m) => {
        const mm = m as { optGStep: number; optDStep: number } & Readonly<Record<string, unknown>>;
        gOpt.setStep(mm.optGStep);
        dOpt.setStep(mm.optDStep);
        for (const k of Object.keys(initialStats)) {
          const v = mm[k];
          stats[k] = typeof v === 'number' ? v : initialStats[k]!;
        }
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
    dispose();
    fixedZ.dispose();
  }
};
