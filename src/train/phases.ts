/**
 * The phases of GAN training, as NVlabs stylegan2-ada's phase list
 * (`training_loop.py`): each phase names the network it updates, how often it
 * runs (lazy regularization) and the loss it minimizes. {@link defaultGanPhases}
 * is StyleGAN2's list — `Gmain`, `Greg` (path length), `Dmain`, `Dreg` (R1); a
 * method adds its own phase (e.g. a regularizer) to that list instead of
 * writing a training loop.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../core/rng.ts';
import type { GanNetworks, GanTrainConfig } from './gan.ts';
import type { Scalars } from './log.ts';
import { pathLengthPenalty, r1Penalty } from './regularizers.ts';
import type { MinimizeResult } from './step.ts';
import { untaped } from './tape.ts';

// ---------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------

/**
 * What a phase sees at the step it runs. Its random streams are its own: see {@link GanPhaseContext.rng}.
 *
 * @example
 * ```ts
 * const loss = (ctx: GanPhaseContext): tf.Scalar => {
 *   const { generator: g, discriminator: d } = ctx.networks;
 *   const fakes = g.generate(ctx.latents('z'), true);                // [batchSize,H,W,C]
 *   return ctx.losses.generator(d.score(ctx.augment('aug')(fakes), true));
 * };
 * ```
 */
export interface GanPhaseContext {
  /** Global step, 0-based. */
  readonly step: number;
  /** The run's settings. */
  readonly config: GanTrainConfig;
  /** G, its EMA and D. */
  readonly networks: GanNetworks;
  /**
   * This phase's random stream `label` at this step: `stepRng(seed, step, '<phase name>/<label>')`.
   * Streams depend only on (seed, step, phase name, label), so adding a phase changes
   * no other phase's draws, and a resumed run draws what an uninterrupted one would.
   */
  rng(label: string): Rng;
  /** Latents `[n, latentDim]` (n defaults to `config.batchSize`) of N(0,1) draws from {@link GanPhaseContext.rng}`(label)`. */
  latents(label: string, n?: number): tf.Tensor2D;
  /** This step's real images `[batchSize,H,W,C]` (the run's `reals(step, batchSize)`; a new tensor per call). */
  reals(): tf.Tensor4D;
  /**
   * The run's DiffAugment (`config.augment`), switched on for this batch with probability
   * `config.augmentProbability`, drawn from {@link GanPhaseContext.rng}`(label)`; the identity without a policy.
   */
  augment(label: string): (x: tf.Tensor4D) => tf.Tensor4D;
  /**
   * Report D's logits on (augmented) reals: ADA's controller averages their signs
   * (`Loss/signs/real`, reported by NVlabs' Dmain and Dr1). A no-op without `config.ada`.
   */
  reportRealLogits?(logits: tf.Tensor): void;
  /** The adversarial losses `config.loss` selects (non-saturating logistic or hinge). */
  readonly losses: {
    /** Generator loss from D's logits on fakes. */
    readonly generator: (fakeLogits: tf.Tensor) => tf.Scalar;
    /** Discriminator loss from D's logits on reals and on fakes. */
    readonly discriminator: (realLogits: tf.Tensor, fakeLogits: tf.Tensor) => tf.Scalar;
  };
  /**
   * Running statistics of the run (e.g. `plMean`, the path-length target `a`), saved in
   * every checkpoint and restored on resume. Phases declare theirs in {@link GanPhase.stats}.
   */
  readonly stats: Record<string, number>;
}

/**
 * The outcome of a phase's update: its loss value and whether it was skipped (non-finite, policy `skip`).
 *
 * @example
 * ```ts
 * const after = (r: GanPhaseResult): Scalars => (r.skipped ? {} : { 'loss/mine': r.loss });
 * ```
 */
export type GanPhaseResult = MinimizeResult;

/**
 * One phase of GAN training: at steps where `step % every === 0`, minimize
 * `loss(ctx)` with one Adam step of `network`'s optimizer.
 *
 * @example
 * ```ts
 * // A lazy regularizer of a method: pull D's logits on reals towards 0, every 4 steps.
 * const logitPenalty: GanPhase = {
 *   name: 'Dlogit', network: 'D', every: 4,
 *   loss: (ctx) => tf.mul(tf.mean(tf.square(ctx.networks.discriminator.score(ctx.reals(), true))), 0.1 * 4) as tf.Scalar,
 * };
 * await trainGan({ ...options, phases: [...defaultGanPhases(config), logitPenalty] });
 * ```
 */
export interface GanPhase {
  /**
   * Unique name (NVlabs: `Gmain`, `Greg`, `Dmain`, `Dreg`): namespaces the phase's random
   * streams, and names it in skip events and non-finite errors.
   */
  readonly name: string;
  /** The network whose trainable weights this phase updates (with that network's Adam). */
  readonly network: 'G' | 'D';
  /** Run at steps where `step % every === 0` (lazy regularization interval; 1 = every step). */
  readonly every: number;
  /**
   * The loss to minimize at `ctx.step`. Runs under the gradient tape; every tensor it makes is
   * freed after the update. Scale a lazy regularizer by `every` itself (as StyleGAN2 does).
   */
  readonly loss: (ctx: GanPhaseContext) => tf.Scalar;
  /**
   * After the update (skipped or not): update {@link GanPhaseContext.stats} and return the
   * scalars to log. Default `{ 'loss/<name>': result.loss }`.
   */
  readonly after?: (result: GanPhaseResult, ctx: GanPhaseContext) => Scalars;
  /** Initial values of the running statistics this phase keeps in {@link GanPhaseContext.stats}. */
  readonly stats?: Readonly<Record<string, number>>;
}

// ---------------------------------------------------------------------------
// StyleGAN2's phases
// ---------------------------------------------------------------------------

/**
 * `Gmain`: the adversarial generator loss on D(augment(G(z))), every step; logs `loss/G`.
 *
 * @example
 * ```ts
 * const phases = [generatorPhase(), discriminatorPhase()]; // a plain GAN
 * ```
 */
export const generatorPhase = (): GanPhase => ({
  name: 'Gmain',
  network: 'G',
  every: 1,
  loss: (ctx) => {
    const { generator: g, discriminator: d } = ctx.networks;
    const aug = ctx.augment('aug');
    return ctx.losses.generator(d.score(aug(g.generate(ctx.latents('z'), true)), true));
  },
  after: (r) => ({ 'loss/G': r.loss }),
});

/**
 * `Greg`: lazy path-length regularization (StyleGAN2 §3.2) every `plInterval` steps on a
 * batch shrunk by `plBatchShrink` (NVlabs `pl_batch_shrink`), weighted `plWeight · plInterval`.
 * Keeps the running mean path length `a` as `stats.plMean` (decay `plDecay`); logs `loss/pl`
 * (unweighted) and `pl/mean`. Needs a generator with `mapToW` and `synthesizeW`.
 *
 * @example
 * ```ts
 * const phases = [generatorPhase(), pathLengthPhase({ ...config, plWeight: 2 })];
 * ```
 */
export const pathLengthPhase = (c: Pick<GanTrainConfig, 'batchSize' | 'plWeight' | 'plInterval' | 'plDecay' | 'plBatchShrink'>): GanPhase => {
  const weight = c.plWeight * c.plInterval;
  let batchMean = NaN; // this step's mean path length, read inside the loss
  return {
    name: 'Greg',
    network: 'G',
    every: c.plInterval,
    stats: { plMean: 0 },
    loss: (ctx) => {
      const g = ctx.networks.generator;
      const { mapToW, synthesizeW } = g;
      if (!mapToW || !synthesizeW) throw new TypeError('pathLengthPhase: the generator has no mapToW/synthesizeW (no mapping network)');
      const z = ctx.latents('z', Math.max(1, Math.floor(c.batchSize / c.plBatchShrink)));
      const noiseRng = ctx.rng('noise');
      batchMean = NaN;
      const { penalty, pathMean } = pathLengthPenalty(
        (w) => synthesizeW.call(g, w, true), mapToW.call(g, z, true),
        (shape) => tf.tensor4d(noiseRng.normalArray(shape.reduce((a, b) => a * b, 1)), shape as [number, number, number, number]),
        ctx.stats['plMean']!, c.plDecay);
      batchMean = pathMean.dataSync()[0]!;
      return tf.mul(penalty, weight) as tf.Scalar;
    },
    after: (r, ctx) => {
      let plMean = ctx.stats['plMean']!;
      if (!r.skipped) plMean += c.plDecay * (batchMean - plMean);
      ctx.stats['plMean'] = plMean;
      return { 'loss/pl': r.loss / weight, 'pl/mean': plMean };
    },
  };
};

/**
 * `Dmain`: the adversarial discriminator loss on D(augment(reals)) and D(augment(G(z))),
 * every step (reals and fakes augmented independently); logs `loss/D`.
 *
 * @example
 * ```ts
 * const phases = [generatorPhase(), discriminatorPhase()];
 * ```
 */
export const discriminatorPhase = (): GanPhase => ({
  name: 'Dmain',
  network: 'D',
  every: 1,
  loss: (ctx) => {
    const { generator: g, discriminator: d } = ctx.networks;
    // Off the tape: D's gradients never reach G, so none of G's activations need to live until D's backward.
    const fakes = untaped(() => g.generate(ctx.latents('z'), true));
    const real = ctx.reals();
    const augR = ctx.augment('augReal'), augF = ctx.augment('augFake');
    const realLogits = d.score(augR(real), true);
    ctx.reportRealLogits?.(realLogits);
    return ctx.losses.discriminator(realLogits, d.score(augF(fakes), true));
  },
  after: (r) => ({ 'loss/D': r.loss }),
});

/**
 * `Dreg`: lazy R1 (Mescheder et al. 2018) on augmented reals every `r1Interval` steps,
 * weighted `r1Gamma / 2 · r1Interval`; logs `loss/r1` (unweighted).
 *
 * @example
 * ```ts
 * const phases = [generatorPhase(), discriminatorPhase(), r1Phase({ r1Gamma: 1, r1Interval: 16 })];
 * ```
 */
export const r1Phase = (c: Pick<GanTrainConfig, 'r1Gamma' | 'r1Interval'>): GanPhase => {
  const weight = (c.r1Gamma / 2) * c.r1Interval;
  return {
    name: 'Dreg',
    network: 'D',
    every: c.r1Interval,
    loss: (ctx) => {
      const d = ctx.networks.discriminator;
      const real = ctx.reals();
      const aug = ctx.augment('aug');
      return tf.mul(r1Penalty((x) => {
        const logits = d.score(aug(x), true);
        ctx.reportRealLogits?.(logits);
        return logits;
      }, real), weight) as tf.Scalar;
    },
    after: (r) => ({ 'loss/r1': r.loss / weight }),
  };
};

/**
 * StyleGAN2's phase list for a config, in NVlabs' order: `Gmain`, `Greg` (when `plWeight > 0`),
 * `Dmain`, `Dreg` (when `r1Gamma > 0`). What `trainGan` runs when given no `phases`.
 *
 * @example
 * ```ts
 * await trainGan({ ...options, phases: [...defaultGanPhases(config), myRegularizer] });
 * ```
 */
export const defaultGanPhases = (c: GanTrainConfig): GanPhase[] => [
  generatorPhase(),
  ...(c.plWeight > 0 ? [pathLengthPhase(c)] : []),
  discriminatorPhase(),
  ...(c.r1Gamma > 0 ? [r1Phase(c)] : []),
];
