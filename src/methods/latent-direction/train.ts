/**
 * `LatentDirectionFinder`: the optimisation of Melas-Kyriazi et al. (official
 * `src/optimization/main.py`) for any {@link Generator}, conditional or not,
 * in Z or W.
 *
 * Per step: z ~ prior (batch 32); r = max(N(2, 0.5), 0.1) drawn per latent
 * element; d̂ = d/‖d‖; loss = 2·radial(G(z + r·d̂)) + 10·MSE(sobel(G(z + r·d̂)), sobel(G(z)));
 * Adam (lr 5e-3) on d, then d ← d/‖d‖. The `dual` variant runs the same
 * optimisation twice: once as is (lightening), once with the radial weight
 * negated (darkening).
 *
 * The optimiser is the project's {@link Adam} with `tf.train.adam`'s arithmetic
 * (this port was first written with `tf.train.adam`; its directions are kept bit
 * for bit, tfjs's ε = 1e-7 included) and the milestones as a `multistep` schedule.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { Generator } from '../../models/generator.ts';
import type { NonNegativeInt } from '../../core/codec.ts';
import type { Rng } from '../../core/rng.ts';
import { Adam, scheduledLr, type AdamConfig, type LrSchedule } from '../../train/adam.ts';
import { minimize } from '../../train/step.ts';
import type { LatentDirectionConfig } from './config.ts';
import { directionLoss, type LossWeights } from './losses.ts';
import { LatentDirection, latentSize, sampleLatents, synthesizeBatch } from './model.ts';

/** A progress event of the direction optimisation. */
export interface DirectionProgress {
  /** Event kind. */
  readonly kind: 'direction';
  /** Which vector is being optimised (`light`; `dark` for the second of the dual variant). */
  readonly vector: 'light' | 'dark';
  /** Step just done (1-based). */
  readonly iteration: number;
  /** Total steps. */
  readonly total: number;
  /** Weighted radial prior. */
  readonly radialPrior: number;
  /** Weighted Sobel shift loss. */
  readonly sobelShift: number;
  /** Total loss. */
  readonly loss: number;
}

/** Options of {@link LatentDirectionFinder.find}. */
export interface FindOptions {
  /** Called after each step. */
  readonly onProgress?: (e: DirectionProgress) => void;
  /** Report losses every this many steps (reading them syncs the backend). Default 10. */
  readonly progressEvery?: number;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** `tf.train.adam(lr)`'s settings: β₁ 0.9, β₂ 0.999, ε the backend's float32 epsilon (1e-7). */
const tfjsAdamDefaults = (lr: number): AdamConfig => ({ lr, beta1: 0.9, beta2: 0.999, eps: tf.backend().epsilon() }) as AdamConfig;

/**
 * Learns the latent direction(s) of Melas-Kyriazi et al. / 001 for one generator.
 *
 * @example
 * ```ts
 * const finder = new LatentDirectionFinder(generator, { ...PAPER_CONFIG, iterations: 100 });
 * const direction = await finder.find(new Rng(0), { onProgress: (e) => console.log(e.iteration, e.loss) });
 * ```
 */
export class LatentDirectionFinder {
  /** The generator (never modified). */
  readonly generator: Generator;
  /** The configuration. */
  readonly config: LatentDirectionConfig;

  constructor(generator: Generator, config: LatentDirectionConfig) {
    this.generator = generator;
    this.config = config;
  }

  /** Optimise and return the direction (the caller owns and disposes it). */
  async find(rng: Rng, opts: FindOptions = {}): Promise<LatentDirection> {
    const c = this.config;
    const light = await this.optimiseOne(rng.fork('light'), c.losses, 'light', opts);
    const dark = c.variant === 'dual' ? await this.optimiseOne(rng.fork('dark'), { radialPrior: -c.losses.radialPrior, sobelShift: c.losses.sobelShift }, 'dark', opts) : undefined;
    return new LatentDirection({ generatorId: this.generator.id, variant: c.variant, space: c.space, maskRadius: c.maskRadius }, light, dark);
  }

  private async optimiseOne(rng: Rng, weights: LossWeights, which: 'light' | 'dark', opts: FindOptions): Promise<tf.Variable<tf.Rank.R1>> {
    const c = this.config, g = this.generator;
    const dim = latentSize(g, c.space);
    const every = opts.progressEvery ?? 10;
    // Official init: randn × 0.1, used normalised.
    const init = rng.normalArray(dim, 0, 0.1);
    const d = tf.tidy(() => tf.variable(tf.tensor1d(init), true));
    // MultiStepLR over 0-based steps. As this port always did: a milestone counts once, and milestone 0 not at all.
    const milestones = [...new Set(c.milestones as readonly number[])].filter((m) => m > 0);
    const schedule: LrSchedule = { kind: 'multistep', milestones: milestones as NonNegativeInt[], gamma: c.gamma };
    let optimizer = new Adam([d], tfjsAdamDefaults(c.learningRate), { arithmetic: 'tfjs' });
    try {
      for (let it = 1; it <= c.iterations; it++) {
        const step = it - 1;
        if (milestones.includes(step)) {
          optimizer.dispose();
          optimizer = new Adam([d], tfjsAdamDefaults(c.learningRate), { arithmetic: 'tfjs' }); // moments restart at a milestone (deviation, see README)
        }
        const batch = sampleLatents(g, c.batchSize, c.space, rng);
        const r = tf.tensor2d(rng.normalArray(c.batchSize * dim, c.radius.mean, c.radius.std).map((v) => Math.max(v, c.radius.min)), [c.batchSize, dim]);
        const original = tf.tidy(() => synthesizeBatch(g, batch, batch.latents, c.truncation));
        let parts: number[] | undefined;
        const report = opts.onProgress !== undefined && (it % every === 0 || it === c.iterations || it === 1);
        const { loss } = minimize(optimizer, () => {
          const unit = tf.div(d, tf.norm(d));
          const shifted = synthesizeBatch(g, batch, tf.add(batch.latents, tf.mul(r, unit)) as tf.Tensor2D, c.truncation);
          const l = directionLoss(shifted, original, weights);
          if (report) parts = [l.radialPrior.dataSync()[0] as number, l.sobelShift.dataSync()[0] as number];
          return l.total;
        }, { step, phase: `direction/${which}`, onNonFinite: 'stop', lr: scheduledLr(schedule, c.learningRate, step, c.iterations) });
        tf.tidy(() => { d.assign(tf.div(d, tf.norm(d))); });
        if (report && opts.onProgress) {
          opts.onProgress({ kind: 'direction', vector: which, iteration: it, total: c.iterations, radialPrior: parts?.[0] ?? NaN, sobelShift: parts?.[1] ?? NaN, loss });
        }
        original.dispose();
        r.dispose();
        batch.latents.dispose();
        if (it % 5 === 0) await yieldToEventLoop();
      }
    } finally {
      optimizer.dispose();
    }
    const out = tf.tidy(() => tf.variable(tf.div(d, tf.norm(d)) as tf.Tensor1D, false));
    d.dispose();
    return out;
  }
}
