/**
 * Stages: synthetic data → trained segmenter → evaluation on labelled images.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { stage } from './stage.ts';
import { trainSegmenter as runSegmenterTraining, type SegmenterTrainConfig, type TrainableSegmenter } from '../train/segmenter.ts';
import type { TrainEvent } from '../train/events.ts';
import { evaluate } from '../metrics/evaluate.ts';
import { gansegForeground, type ProtocolName } from '../metrics/protocols.ts';
import { assertShape, type ImageBatch, type MaskBatch } from '../core/tensor.ts';
import { ShapeError } from '../core/errors.ts';
import type { LabelledSet } from '../data/tensors.ts';
import type { EvaluationArtifact, Json, PipelineContext, SegmenterArtifact, Stage, SyntheticDataArtifact } from './types.ts';

/**
 * Foreground probabilities of a segmenter for images of any side: resized
 * (bilinear) to the segmenter's side and back.
 *
 * @example
 * ```ts
 * const p = predictProbabilities(unet, 64, photos); // [N,H,W,1]
 * ```
 */
export const predictProbabilities = (model: TrainableSegmenter, resolution: number, images: ImageBatch, batchSize = 16): MaskBatch => {
  assertShape('predictProbabilities', images, [null, null, null, 3], 'images');
  const [n, h, w] = images.shape;
  const outs: tf.Tensor4D[] = [];
  for (let s = 0; s < n; s += batchSize) {
    outs.push(tf.tidy(() => {
      const x = tf.slice(images, [s, 0, 0, 0], [Math.min(batchSize, n - s), h, w, 3]);
      const xr = h === resolution && w === resolution ? x : tf.image.resizeBilinear(x, [resolution, resolution], true);
      const p = tf.sigmoid(model.logits(xr as tf.Tensor4D, false));
      return (h === resolution && w === resolution ? p : tf.image.resizeBilinear(p, [h, w], true)) as tf.Tensor4D;
    }));
  }
  const out = tf.concat(outs, 0);
  tf.dispose(outs);
  return out;
};

/**
 * Class probabilities (softmax over K) of a K-class segmenter for images of any side: resized (bilinear)
 * to the segmenter's side and back.
 *
 * @example
 * ```ts
 * const p = predictClassProbabilities((x, t) => unet.classLogits(x, t), 64, photos); // [N,H,W,K]
 * ```
 */
export const predictClassProbabilities = (classLogits: (images: ImageBatch, training: boolean) => tf.Tensor4D, resolution: number, images: ImageBatch): tf.Tensor4D =>
  tf.tidy(() => {
    assertShape('predictClassProbabilities', images, [null, null, null, 3], 'images');
    const [, h, w] = images.shape;
    const same = h === resolution && w === resolution;
    const p = tf.softmax(classLogits(same ? images : tf.image.resizeBilinear(images, [resolution, resolution], true), false), 3) as tf.Tensor4D;
    return same ? p : tf.image.resizeBilinear(p, [h, w], true);
  });

/** Options of {@link trainSegmenterStage}. */
export interface SegmenterStageOptions {
  /** Training settings (the engine's). */
  readonly config: SegmenterTrainConfig;
  /** Makes the (untrained) network. */
  readonly model: () => TrainableSegmenter;
  /** Side length the network trains at (the data's side). */
  readonly resolution: number;
  /** Output folder for checkpoints and logs. */
  readonly out: string;
  /** Validation on real labelled data (model → metrics), optional. */
  readonly validate?: (model: TrainableSegmenter) => Readonly<Record<string, number>>;
  /** JSON describing the model (stored with checkpoints and in the record; `loadSegmenter` reads it back). */
  readonly modelRecord?: Json;
  /** Resume from checkpoints in `out`. Default false. */
  readonly resume?: boolean;
}

/**
 * Stage: synthetic set → trained segmenter (the training engine's loop: Adam,
 * schedule, flips, checkpoints, validation).
 *
 * @example
 * ```ts
 * pipe(data, TE.chain(trainSegmenterStage({ config, model: () => createUNet(cfg, rng), resolution: 32, out: 'out/unet' }, ctx)));
 * ```
 */
export const trainSegmenterStage = (opts: SegmenterStageOptions, ctx: PipelineContext): Stage<SyntheticDataArtifact, SegmenterArtifact> =>
  stage('train-segmenter', ctx, async (data: SyntheticDataArtifact) => {
    const model = opts.model();
    const onEvent = (e: TrainEvent): void => {
      if (e.type === 'step') ctx.onEvent?.({ type: 'stage-progress', stage: 'train-segmenter', step: e.step, total: e.totalSteps, scalars: e.scalars });
      if (e.type === 'validation') ctx.onEvent?.({ type: 'stage-progress', stage: 'train-segmenter', step: e.step, total: opts.config.steps, scalars: e.metrics });
    };
    const r = await runSegmenterTraining({
      config: opts.config,
      model,
      pairs: data.pairs,
      out: opts.out,
      onEvent,
      resume: opts.resume ?? false,
      ...(opts.validate ? { validate: opts.validate } : {}),
      ...(opts.modelRecord !== undefined ? { extraConfig: { model: opts.modelRecord } } : {}),
    });
    const record: Json = {
      steps: opts.config.steps, batchSize: opts.config.batchSize, lr: opts.config.optimizer.lr, resolution: opts.resolution,
      bestMetric: Number.isFinite(r.bestMetric) ? r.bestMetric : null, bestCheckpoint: r.bestCheckpoint ?? null, model: opts.modelRecord ?? null,
    };
    const classes = data.preview.masks.shape[3];
    const classLogits = model.classLogits?.bind(model);
    return {
      kind: 'segmenter' as const,
      resolution: opts.resolution,
      classes,
      predict: (images: ImageBatch) => predictProbabilities(model, opts.resolution, images),
      ...(classes > 1 && classLogits ? { predictClasses: (images: ImageBatch) => predictClassProbabilities(classLogits, opts.resolution, images) } : {}),
      model,
      ...(r.bestCheckpoint ? { checkpoint: r.bestCheckpoint } : {}),
      record,
    };
  });

/**
 * Several segmenters as one: the mean of their foreground probabilities (the reference
 * code's `UNet/ensemble.py` averages its UNets the same way). Members keep their own resolution.
 *
 * @example
 * ```ts
 * const seg = ensembleSegmenters([a, b]); // seg.predict(x) = (a.predict(x) + b.predict(x)) / 2
 * ```
 */
export const ensembleSegmenters = (members: readonly SegmenterArtifact[]): SegmenterArtifact => {
  if (members.length === 0) throw new ShapeError('ensembleSegmenters', 'needs at least one segmenter, got 0');
  if (members.length === 1) return members[0] as SegmenterArtifact;
  const first = members[0] as SegmenterArtifact;
  // K-class members: their class probabilities average too (channel by channel).
  const classes = members.every((m) => m.predictClasses !== undefined && m.classes === first.classes) ? first.classes : undefined;
  return {
    kind: 'segmenter',
    resolution: first.resolution,
    predict: (images: ImageBatch) => tf.tidy(() => tf.div(tf.addN(members.map((m) => m.predict(images))), members.length) as MaskBatch),
    ...(classes !== undefined ? {
      classes,
      predictClasses: (images: ImageBatch) => tf.tidy(() => tf.div(tf.addN(members.map((m) => (m.predictClasses as (x: ImageBatch) => tf.Tensor4D)(images))), members.length) as tf.Tensor4D),
    } : {}),
    record: { ensemble: members.map((m) => m.record) },
  };
};

/**
 * A K-class segmenter scored by GANSeg's rule (`test_seg.py`): a pixel is foreground when the argmax over
 * its K class probabilities is not the background (channel 0), so `predict` gives hard {0, 1} masks.
 * For K = 2 this is 1 − p(background) > 0.5; for K > 2 it is not (0.4 / 0.3 / 0.3 is background).
 * A segmenter without class probabilities is returned as it is.
 *
 * @example
 * ```ts
 * const scored = argmaxForegroundSegmenter(unet); // scored.predict(x): [N,H,W,1] in {0, 1}
 * ```
 */
export const argmaxForegroundSegmenter = (seg: SegmenterArtifact): SegmenterArtifact => {
  const classLogits = seg.predictClasses;
  if (classLogits === undefined || (seg.classes ?? 1) < 2) return seg;
  const k = seg.classes as number;
  return {
    ...seg,
    predict: (images: ImageBatch) => {
      const p = classLogits(images);
      const [n, h, w] = p.shape;
      const fg = gansegForeground(p.dataSync(), k);
      p.dispose();
      return tf.tensor4d(fg, [n, h, w, 1]);
    },
    record: { scoredBy: 'argmax over classes ≠ background (GANSeg test_seg.py)', segmenter: seg.record },
  };
};

/** Metrics of predictions against ground truth (probabilities in, numbers out). */
export type MetricsFn = (predicted: MaskBatch, truth: MaskBatch) => Promise<Readonly<Record<string, number>>>;

/** Protocols whose reference script scores hard mask files: {@link protocolMetrics} thresholds the probabilities at 0.5 first. */
const HARD_MASK_PROTOCOLS: readonly ProtocolName[] = ['labels4free'];

/**
 * Metrics of one paper's evaluation protocol (default Melas-Kyriazi et al.'s `melas-kyriazi`):
 * `acc`, `iou`, `fmax` (and `mae` where defined), as the library's `evaluate` computes them. For
 * `labels4free`, whose script reads saved 0/255 masks, the probabilities are first thresholded at 0.5
 * (the masks `segment` writes).
 *
 * @example
 * ```ts
 * const m = await protocolMetrics('melas-kyriazi')(probabilities, masks); // { acc, iou, fmax, … }
 * ```
 */
export const protocolMetrics = (protocol: ProtocolName = 'melas-kyriazi'): MetricsFn => async (predicted, truth) => {
  // labels4free's test_customdata.py scores saved 0/255 mask files (only 255 is foreground): hand it the
  // masks `segment` writes (p > 0.5), not probabilities, which it would count as background everywhere.
  const hard = HARD_MASK_PROTOCOLS.includes(protocol) ? tf.tidy(() => tf.cast(tf.greater(predicted, 0.5), 'float32') as MaskBatch) : undefined;
  let r;
  try {
    r = await evaluate([hard ?? predicted], [truth], protocol);
  } finally {
    hard?.dispose();
  }
  const out: Record<string, number> = {};
  for (const k of ['acc', 'iou', 'fmax', 'mae'] as const) {
    const v = (r as unknown as Record<string, number | null | undefined>)[k];
    if (typeof v === 'number') out[k] = v;
  }
  return out;
};

/**
 * Stage: segmenter → metrics on a labelled set.
 *
 * @example
 * ```ts
 * pipe(segmenter, TE.chain(evaluateStage({ name: 'shapes', images, masks }, metrics, ctx)));
 * ```
 */
export const evaluateStage = (set: LabelledSet, metrics: MetricsFn, ctx: PipelineContext): Stage<SegmenterArtifact, EvaluationArtifact> =>
  stage('evaluate', ctx, async (seg: SegmenterArtifact) => {
    const p = seg.predict(set.images);
    try {
      const m = await metrics(p, set.masks);
      return { kind: 'evaluation' as const, metrics: m, segmenter: seg, record: { dataset: set.name, count: set.images.shape[0], metrics: { ...m } } };
    } finally {
      p.dispose();
    }
  });
