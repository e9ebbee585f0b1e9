/**
 * Segmenter training (Melas-Kyriazi et al.'s UNet stage): any stream of (image, mask)
 * pairs, BCE and/or Dice, Adam with a learning-rate schedule, seeded
 * augmentation (flip, random resized crop, colour jitter; every draw a function
 * of (seed, step)), validation every N steps with best and last checkpoints.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import * as t from 'io-ts';
import * as path from 'node:path';
import { NonNegativeInt, PositiveInt, Probability } from '../core/codec.ts';
import type { Rng } from '../core/rng.ts';
import type { ImageBatch, MaskBatch, Module } from '../core/tensor.ts';
import { assertShape } from '../core/tensor.ts';
import { drawJitterFactors, randomCropWindow } from '../data/augment.ts';
import { Adam, AdamConfig, LrSchedule, scheduledLr } from './adam.ts';
import { saveCheckpoint } from './checkpoint.ts';
import type { TrainEventHandler } from './events.ts';
import { bceWithLogits, diceLoss, softmaxCrossEntropy, softmaxDiceLoss } from './losses.ts';
import { ShapeError } from '../core/errors.ts';
import { namedVariables, runLoop, type RunResult } from './loop.ts';
import { minimize, stepRng } from './step.ts';

/** A segmentation network the trainer can optimize. */
export interface TrainableSegmenter extends Module {
  /** images [N,H,W,3] in [-1,1] → foreground logits [N,H,W,1]. */
  logits(images: ImageBatch, training: boolean): tf.Tensor4D;
  /** images → class logits [N,H,W,K] (channel 0 the background); needed to train on K-class masks. */
  classLogits?(images: ImageBatch, training: boolean): tf.Tensor4D;
}

/** One batch of pairs. */
export interface PairBatch {
  /** Images [N,H,W,3] in [-1,1]. */
  readonly images: ImageBatch;
  /** Masks [N,H,W,K] in [0,1]: K = 1 a binary foreground mask; K > 1 class probabilities, channel 0 the background. */
  readonly masks: MaskBatch;
}

/** Pairs for step `step`: a function of (step, batch size) only, so resumed runs see the same data. */
export type PairBatches = (step: number, batchSize: number) => PairBatch;

/**
 * One augmentation of the segmenter trainer: `flip` (horizontal, probability
 * `flipProbability`), `crop` (random resized crop, `cropScale`/`cropRatio`) or
 * `color` (colour jitter of the image only, strength `colorJitter`).
 *
 * @example
 * ```ts
 * const aug: SegmenterAugmentation[] = ['flip', 'crop', 'color'];
 * ```
 */
export const SegmenterAugmentation = t.union([t.literal('flip'), t.literal('crop'), t.literal('color')]);
/** One augmentation of the segmenter trainer. */
export type SegmenterAugmentation = t.TypeOf<typeof SegmenterAugmentation>;

/** Brand marker of {@link ScaleRange}. */
export interface ScaleRangeBrand {
  /** Type-level marker only. */
  readonly ScaleRange: unique symbol;
}
/**
 * An area-fraction range `[lo, hi]` with 0 < lo ≤ hi ≤ 1.
 *
 * @example
 * ```ts
 * const r = decode(ScaleRange, [0.5, 1], 'cropScale'); // Right
 * ```
 */
export const ScaleRange = t.brand(
  t.tuple([t.number, t.number]),
  (r): r is t.Branded<[number, number], ScaleRangeBrand> => Number.isFinite(r[0]) && Number.isFinite(r[1]) && r[0] > 0 && r[0] <= r[1] && r[1] <= 1,
  'ScaleRange',
);
/** An area-fraction range `[lo, hi]` with 0 < lo ≤ hi ≤ 1. */
export type ScaleRange = t.TypeOf<typeof ScaleRange>;

/** Brand marker of {@link RatioRange}. */
export interface RatioRangeBrand {
  /** Type-level marker only. */
  readonly RatioRange: unique symbol;
}
/**
 * An aspect-ratio range `[lo, hi]` (width / height) with 0 < lo ≤ hi.
 *
 * @example
 * ```ts
 * const r = decode(RatioRange, [3 / 4, 4 / 3], 'cropRatio'); // Right
 * ```
 */
export const RatioRange = t.brand(
  t.tuple([t.number, t.number]),
  (r): r is t.Branded<[number, number], RatioRangeBrand> => Number.isFinite(r[0]) && Number.isFinite(r[1]) && r[0] > 0 && r[0] <= r[1],
  'RatioRange',
);
/** An aspect-ratio range `[lo, hi]` (width / height) with 0 < lo ≤ hi. */
export type RatioRange = t.TypeOf<typeof RatioRange>;

/**
 * Augmentation settings of {@link SegmenterTrainConfig}; each may be left out
 * (see {@link segmenterAugmentDefaults}).
 */
export const SegmenterAugmentConfig = t.partial({
  /**
   * Augmentations applied to every training batch. Always in the order crop →
   * flip → colour (as `augmentPair`), whatever the order of the list. Crop and
   * flip move image and mask together (image bilinear, mask nearest); colour
   * changes only the image. Default `['flip']`: today's behaviour, so configs
   * and checkpoints without this field train bit-identically.
   */
  augment: t.array(SegmenterAugmentation),
  /** `crop`: area fraction of the crop window. Default [0.5, 1]. */
  cropScale: ScaleRange,
  /** `crop`: aspect-ratio range (width / height) of the crop window. Default [3/4, 4/3]. */
  cropRatio: RatioRange,
  /** `color`: jitter strength j, brightness/contrast/saturation factors from [1-j, 1+j]. Default 0.2. */
  colorJitter: Probability,
});
/** Augmentation settings of {@link SegmenterTrainConfig}. */
export type SegmenterAugmentConfig = t.TypeOf<typeof SegmenterAugmentConfig>;

/**
 * What the trainer uses for augmentation fields a config leaves out: flip only
 * (the behaviour before `augment` existed), crop area [0.5, 1], ratio [3/4, 4/3], jitter 0.2.
 *
 * @example
 * ```ts
 * const scale = config.cropScale ?? segmenterAugmentDefaults.cropScale;
 * ```
 */
export const segmenterAugmentDefaults: Required<SegmenterAugmentConfig> = {
  augment: ['flip'],
  cropScale: [0.5, 1] as ScaleRange,
  cropRatio: [3 / 4, 4 / 3] as RatioRange,
  colorJitter: 0.2 as Probability,
};

/** Segmenter training settings (required fields, then the optional {@link SegmenterAugmentConfig}). */
export const SegmenterTrainConfig = t.intersection([t.type({
  /** Seed of every random draw of the run. */
  seed: t.union([t.number, t.string]),
  /** Training steps. Melas-Kyriazi et al.: 12000. */
  steps: PositiveInt,
  /** Batch size. Melas-Kyriazi et al.: 128 (95 synthetic + real); use what fits. */
  batchSize: PositiveInt,
  /** Adam. Melas-Kyriazi et al.: lr 1e-3, β (0.9, 0.999). */
  optimizer: AdamConfig,
  /** Learning-rate schedule. Melas-Kyriazi et al.: step decay ×0.2 every 8000 steps. */
  schedule: LrSchedule,
  /** Weight of the BCE loss. Melas-Kyriazi et al.: 1. */
  bceWeight: t.number,
  /** Weight of the Dice loss. Melas-Kyriazi et al.: 0. */
  diceWeight: t.number,
  /** Probability of a horizontal flip per pair (when `augment` has `flip`, as by default). */
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
}), SegmenterAugmentConfig], 'SegmenterTrainConfig');
/** Segmenter training settings. */
export type SegmenterTrainConfig = t.TypeOf<typeof SegmenterTrainConfig>;

/**
 * Melas-Kyriazi et al.'s UNet settings (Adam 1e-3, BCE, ×0.2 every 8000 of 12000 steps), shortened batch.
 *
 * @example
 * ```ts
 * const cfg: SegmenterTrainConfig = { ...melasKyriaziSegmenterDefaults, steps: 500 as PositiveInt };
 * ```
 */
export const melasKyriaziSegmenterDefaults: SegmenterTrainConfig = {
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
    const flags = Array.from({ length: n }, () => (rng.bernoulli(p) ? 1 : 0));
    // flipped·f + x·(1 − f) with f ∈ {0, 1} per pair: the same values as a select (x·1 and the
    // added 0 are exact for finite inputs), without broadcasting a bool mask over every pixel.
    const f = tf.tensor4d(flags, [n, 1, 1, 1]), keep = tf.tensor4d(flags.map((v) => 1 - v), [n, 1, 1, 1]);
    const pick = (x: tf.Tensor4D): tf.Tensor4D => tf.add(tf.mul(tf.reverse(x, 2), f), tf.mul(x, keep));
    return { images: pick(b.images), masks: pick(b.masks) };
  });

/**
 * Random resized crop of every pair, back to the batch's own size: one window
 * per pair from {@link randomCropWindow} (same draws as the data module's crop),
 * sampled with `tf.image.cropAndResize` from the first to the last pixel centre
 * of the window — bilinear for images, nearest for masks, so mask values stay as
 * they were and image and mask stay aligned. A full-size window is the identity.
 *
 * @example
 * ```ts
 * const { images, masks } = randomResizedCrop(batch, [0.5, 1], [3 / 4, 4 / 3], stepRng(seed, step, 'crop'));
 * ```
 */
export const randomResizedCrop = (b: PairBatch, scale: readonly [number, number], ratio: readonly [number, number], rng: Rng): PairBatch =>
  tf.tidy(() => {
    const [n, h, w] = b.images.shape;
    const boxes: number[] = [];
    const fy = (v: number): number => (h > 1 ? v / (h - 1) : 0), fx = (v: number): number => (w > 1 ? v / (w - 1) : 0);
    for (let i = 0; i < n; i++) {
      const [x, y, cw, ch] = randomCropWindow(w, h, scale, ratio, rng);
      boxes.push(fy(y), fx(x), fy(y + ch - 1), fx(x + cw - 1));
    }
    const bx = tf.tensor2d(boxes, [n, 4]), ind = tf.range(0, n, 1, 'int32') as tf.Tensor1D;
    return {
      images: tf.image.cropAndResize(b.images, bx, ind, [h, w], 'bilinear'),
      masks: tf.image.cropAndResize(b.masks, bx, ind, [h, w], 'nearest'),
    };
  });

/**
 * Colour jitter of images in [-1, 1], one set of factors per image from
 * {@link drawJitterFactors}: brightness, then saturation (about the pixel's
 * grey), then contrast (about the image's mean grey), clamped — the data
 * module's jitter on tensors. Masks are not touched (they are not an input).
 *
 * @example
 * ```ts
 * const jittered = colorJitterImages(batch.images, 0.2, stepRng(seed, step, 'color'));
 * ```
 */
export const colorJitterImages = (images: ImageBatch, j: number, rng: Rng): tf.Tensor4D =>
  tf.tidy(() => {
    const n = images.shape[0];
    const f = Array.from({ length: n }, () => drawJitterFactors(j, rng));
    const per = (k: 'brightness' | 'contrast' | 'saturation'): tf.Tensor4D => tf.tensor4d(f.map((v) => v[k]), [n, 1, 1, 1]);
    const x = tf.mul(tf.mul(tf.add(images, 1), 0.5), per('brightness'));
    const grey = tf.sum(tf.mul(x, tf.tensor1d([0.299, 0.587, 0.114])), 3, true);
    const mean = tf.mean(grey, [1, 2], true);
    const sat = tf.add(grey, tf.mul(tf.sub(x, grey), per('saturation')));
    const out = tf.clipByValue(tf.add(mean, tf.mul(tf.sub(sat, mean), per('contrast'))), 0, 1);
    return tf.sub(tf.mul(out, 2), 1) as tf.Tensor4D;
  });

/**
 * Augment step `step`'s batch as `config` says (crop → flip → colour, see
 * {@link SegmenterAugmentConfig}). Each augmentation draws from its own stream
 * `stepRng(seed, step, 'crop' | 'flip' | 'color')`, so the result is a function
 * of (seed, step, batch) only — a resumed run augments exactly as an
 * uninterrupted one — and turning one augmentation on does not change another's
 * draws. With nothing to do, returns `b` itself; otherwise new tensors (the
 * caller disposes them; an untouched mask may be `b.masks` itself).
 *
 * @example
 * ```ts
 * const aug = augmentSegmenterBatch(batch, { flipProbability: 0.5 as Probability, augment: ['flip', 'crop', 'color'] }, 'seed', 7);
 * ```
 */
export const augmentSegmenterBatch = (
  b: PairBatch,
  config: SegmenterAugmentConfig & Pick<SegmenterTrainConfig, 'flipProbability'>,
  seed: number | string,
  step: number,
): PairBatch => {
  const d = segmenterAugmentDefaults;
  const on = new Set(config.augment ?? d.augment);
  const j = config.colorJitter ?? d.colorJitter;
  const crop = on.has('crop'), flip = on.has('flip') && config.flipProbability > 0, color = on.has('color') && j > 0;
  if (!crop && !flip && !color) return b;
  return tf.tidy(() => {
    let cur = b;
    if (crop) cur = randomResizedCrop(cur, config.cropScale ?? d.cropScale, config.cropRatio ?? d.cropRatio, stepRng(seed, step, 'crop'));
    if (flip) cur = randomFlip(cur, config.flipProbability, stepRng(seed, step, 'flip'));
    if (color) cur = { images: colorJitterImages(cur.images, j, stepRng(seed, step, 'color')), masks: cur.masks };
    return { images: cur.images, masks: cur.masks };
  });
};

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
    assertShape('trainSegmenter', raw.masks, [raw.images.shape[0], raw.images.shape[1], raw.images.shape[2], null], 'masks');
    const classes = raw.masks.shape[3];
    const classLogits = o.model.classLogits?.bind(o.model);
    if (classes > 1 && classLogits === undefined) throw new ShapeError('trainSegmenter', `masks have ${classes} classes but the model has no classLogits (a UNet with nClasses = ${classes} has)`);
    const b = augmentSegmenterBatch(raw, c, c.seed, s);
    const r = minimize(
      opt,
      () => {
        if (classes > 1 && classLogits) {
          // K-class masks: cross-entropy (weight bceWeight) and soft Dice (weight diceWeight) of the softmax.
          const l = classLogits(b.images, true);
          if (l.shape[3] !== classes) throw new ShapeError('trainSegmenter', `masks have ${classes} classes, the model's logits ${l.shape[3]}`);
          return tf.add(tf.mul(softmaxCrossEntropy(l, b.masks), c.bceWeight), tf.mul(softmaxDiceLoss(l, b.masks), c.diceWeight)) as tf.Scalar;
        }
        const logits = o.model.logits(b.images, true);
        return tf.add(tf.mul(bceWithLogits(logits, b.masks), c.bceWeight), tf.mul(diceLoss(logits, b.masks), c.diceWeight)) as tf.Scalar;
      },
      { step: s, phase: 'segmenter', onNonFinite: c.onNonFinite, lr },
    );
    tf.dispose([...new Set([b.images, b.masks, raw.images, raw.masks])]);
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
