/**
 * Segmenter training (seed 000's UNet stage): any stream of (image, mask)
 * pairs, BCE and/or Dice, Adam with a learning-rate schedule, seeded flips,
 * validation every N steps with best and last checkpoints.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import * as t from 'io-ts';
import * as path from 'node:path';
import { NonNegativeInt, PositiveInt, Probability } from '../core/codec.ts';
import type { ImageBatch, MaskBatch, Module } from '../core/tensor.ts';
import { assertShape } from '../core/tensor.ts';
import { Adam, AdamConfig, LrSchedule, scheduledLr } from './adam.ts';
import { saveCheckpoint } from './checkpoint.ts';
import type { TrainEventHandler } from './events.ts';
import { bceWithLogits, diceLoss } from './losses.ts';
import { namedVariables, runLoop, type RunResult } from './loop.ts';
import { minimize, stepRng } from './step.ts';

/** A segmentation network the trainer can optimize. */
export interface TrainableSegmenter extends Module {
  /** images [N,H,W,3] in [-1,1] → foreground logits [N,H,W,1]. */
  logits(images: ImageBatch, training: boolean): tf.Tensor4D;
}

/** One batch of pairs. */
export interface PairBatch {
  /** Images [N,H,W,3] in [-1,1]. */
  readonly images: ImageBatch;
  /** Masks [N,H,W,1] in [0,1]. */
  readonly masks: MaskBatch;
}

/** Pairs for step `step`: a function of (step, batch size) only, so resumed runs see the same data. */
export type PairBatches = (step: number, batchSize: number) => PairBatch;

/** Segmenter training settings. */
export const SegmenterTrainConfig = t.type({
  /** Seed of every random draw of the run. */
  seed: t.union([t.number, t.string]),
  /** Training steps. Seed 000: 12000. */
  steps: PositiveInt,
  /** Batch size. Seed 000: 128 (95 synthetic + real); use what fits. */
  batchSize: PositiveInt,
  /** Adam. Seed 000: lr 1e-3, β (0.9, 0.999). */
  optimizer: AdamConfig,
  /** Learning-rate schedule. Seed 000: step decay ×0.2 every 8000 steps. */
  schedule: LrSchedule,
  /** Weight of the BCE loss. Seed 000: 1. */
  bceWeight: t.number,
  /** Weight of the Dice loss. Seed 000: 0. */
  diceWeight: t.number,
  /** Probability of a horizontal flip per pair. */
  flipProbability: Probability,
  /** Validate every this many steps (0 = never). */
  validateEvery: NonNegativeInt,
  /** Metric that selects the best checkpoint (higher is better), e.g. `iou`. */
  selectMetric: t.string,
  /** Log scalars every this many steps. */
  logEvery: PositiveInt,
  /** Checkpoint every this many steps. */
  checkpointEvery: PositiveInt,
  /** Checkpoints to keep. */
  keepCheckpoints: PositiveInt,
  /** Non-finite loss/gradient: `stop` (error) or `skip` the step and count it. */
  onNonFinite: t.union([t.literal('stop'), t.literal('skip')]),
});
/** Segmenter training settings. */
export type SegmenterTrainConfig = t.TypeOf<typeof SegmenterTrainConfig>;

/**
 * Seed 000's UNet settings (Adam 1e-3, BCE, ×0.2 every 8000 of 12000 steps), shortened batch.
 *
 * @example
 * ```ts
 * const cfg: SegmenterTrainConfig = { ...seed000SegmenterDefaults, steps: 500 as PositiveInt };
 * ```
 */
export const seed000SegmenterDefaults: SegmenterTrainConfig = {
  seed: 0,
  steps: 12000 as PositiveInt,
  batchSize: 16 as PositiveInt,
  optimizer: { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 } as AdamConfig,
  schedule: { kind: 'step', every: 8000, factor: 0.2 } as LrSchedule,
  bceWeight: 1,
  diceWeight: 0,
  flipProbability: 0.5 as Probability,
  validateEvery: 1000 as NonNegativeInt,
  selectMetric: 'iou',
  logEvery: 10 as PositiveInt,
  checkpointEvery: 500 as PositiveInt,
  keepCheckpoints: 2 as PositiveInt,
  onNonFinite: 'stop',
};

/** Options of {@link trainSegmenter}. */
export interface TrainSegmenterOptions {
  /** Settings. */
  readonly config: SegmenterTrainConfig;
  /** The network. */
  readonly model: TrainableSegmenter;
  /** Training pairs per step. */
  readonly pairs: PairBatches;
  /** Validation: the model → metrics (e.g. `{ iou, accuracy, maxFBeta }` on a real labelled folder). */
  readonly validate?: (model: TrainableSegmenter) => Readonly<Record<string, number>> | Promise<Readonly<Record<string, number>>>;
  /** Output folder. */
  readonly out: string;
  /** Resume: `true` = newest checkpoint in `out`, or a run / checkpoint folder. */
  readonly resume?: boolean | string;
  /** Progress events. */
  readonly onEvent?: TrainEventHandler;
  /** Stop (after a checkpoint) when aborted. */
  readonly signal?: AbortSignal;
  /** Any JSON to store with the config in checkpoints (e.g. the model config). */
  readonly extraConfig?: unknown;
}

/** Result of {@link trainSegmenter}. */
export interface SegmenterRunResult extends RunResult {
  /** Best validation value of `selectMetric` (NaN without validation). */
  readonly bestMetric: number;
  /** The best checkpoint's folder, if validation ran. */
  readonly bestCheckpoint: string | undefined;
}

/**
 * Flip the pairs whose draw says so (horizontally), images and masks alike.
 *
 * @example
 * ```ts
 * const { images, masks } = randomFlip(batch, 0.5, rng);
 * ```
 */
export const randomFlip = (b: PairBatch, p: number, rng: { bernoulli(p: number): boolean }): PairBatch =>
  tf.tidy(() => {
    const n = b.images.shape[0];
    const flags = tf.tensor4d(Array.from({ length: n }, () => (rng.bernoulli(p) ? 1 : 0)), [n, 1, 1, 1]).cast('bool');
    return {
      images: tf.where(flags, tf.reverse(b.images, 2), b.images) as tf.Tensor4D,
      masks: tf.where(flags, tf.reverse(b.masks, 2), b.masks) as tf.Tensor4D,
    };
  });

/**
 * Train a segmenter; validation picks the best checkpoint (`out/checkpoints/best-*`).
 *
 * @example
 * ```ts
 * const r = await trainSegmenter({ config, model: unet, pairs, validate: (m) => evaluate(m, realFolder), out: 'runs/unet' });
 * console.log(r.bestMetric, r.bestCheckpoint);
 * ```
 */
export const trainSegmenter = async (o: TrainSegmenterOptions): Promise<SegmenterRunResult> => {
  const c = o.config;
  const vars = o.model.variables();
  const opt = new Adam(vars.filter((v) => v.trainable), c.optimizer);
  let best = -Infinity;
  let bestCheckpoint: string | undefined;
  const state = (): Record<string, tf.Variable> => ({ ...namedVariables('model', vars), ...namedVariables('opt', opt.stateVariables()) });
  const config = o.extraConfig === undefined ? { train: c } : { train: c, ...(o.extraConfig as object) };

  const step = (s: number) => {
    const lr = scheduledLr(c.schedule, c.optimizer.lr, s, c.steps);
    const raw = o.pairs(s, c.batchSize);
    assertShape('trainSegmenter', raw.images, [null, null, null, 3], 'images');
    assertShape('trainSegmenter', raw.masks, [raw.images.shape[0], raw.images.shape[1], raw.images.shape[2], 1], 'masks');
    const b = c.flipProbability > 0 ? randomFlip(raw, c.flipProbability, stepRng(c.seed, s, 'flip')) : raw;
    const r = minimize(
      opt,
      () => {
        const logits = o.model.logits(b.images, true);
        return tf.add(tf.mul(bceWithLogits(logits, b.masks), c.bceWeight), tf.mul(diceLoss(logits, b.masks), c.diceWeight)) as tf.Scalar;
      },
      { step: s, phase: 'segmenter', onNonFinite: c.onNonFinite, lr },
    );
    if (b !== raw) tf.dispose([b.images, b.masks]);
    tf.dispose([raw.images, raw.masks]);
    return { scalars: { 'loss/segmenter': r.loss, lr }, skipped: r.skipped ? ['segmenter'] : [] };
  };

  const after = async (done: number, emit: TrainEventHandler): Promise<void> => {
    if (!o.validate || c.validateEvery === 0 || !(done % c.validateEvery === 0 || done === c.steps)) return;
    const metrics = await o.validate(o.model);
    emit({ type: 'validation', step: done, metrics });
    const v = metrics[c.selectMetric];
    if (v !== undefined && v > best) {
      best = v;
      bestCheckpoint = saveCheckpoint(path.join(o.out, 'checkpoints'), done, state(), { config, metrics, trainer: { optStep: opt.step, best } }, { prefix: 'best-', keep: 1 });
      emit({ type: 'checkpoint', step: done, path: bestCheckpoint, kind: 'best' });
    }
  };

  try {
    const r = await runLoop({
      where: 'trainSegmenter',
      out: o.out,
      totalSteps: c.steps,
      checkpointEvery: c.checkpointEvery,
      logEvery: c.logEvery,
      keepCheckpoints: c.keepCheckpoints,
      config,
      state,
      meta: () => ({ optStep: opt.step, best: Number.isFinite(best) ? best : null, bestCheckpoint: bestCheckpoint ?? null }),
      restoreMeta: (m) => {
        const mm = m as { optStep: number; best: number | null; bestCheckpoint: string | null };
        opt.setStep(mm.optStep);
        best = mm.best ?? -Infinity;
        bestCheckpoint = mm.bestCheckpoint ?? undefined;
      },
      step,
      after,
      resume: o.resume,
      onEvent: o.onEvent,
      signal: o.signal,
    });
    return { ...r, bestMetric: Number.isFinite(best) ? best : NaN, bestCheckpoint };
  } finally {
    opt.dispose();
  }
};
