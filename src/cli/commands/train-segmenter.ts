/**
 * `gan-segmenter train-segmenter`: train a UNet on (image, mask) pairs (the
 * synthetic `shapes` benchmark or an image/mask folder pair), validating on a
 * labelled set with a paper's metrics protocol; best and last checkpoints;
 * `--resume <run folder>`. Seeded augmentation of the training pairs is chosen
 * with `train.augment` (any of `flip`, `crop`, `color`; default `[flip]`) and
 * tuned with `train.flipProbability`, `train.cropScale`, `train.cropRatio`,
 * `train.colorJitter` (see `SegmenterAugmentConfig`).
 *
 * @module
 */
import * as path from 'node:path';
import * as t from 'io-ts';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendName } from '../../backend/init.ts';
import { PositiveInt, Resolution } from '../../core/codec.ts';
import { Rng } from '../../core/rng.ts';
import { loadLabelledFolder, loadShapes } from '../../data/tensors.ts';
import { writeSafetensors } from '../../io/safetensors-file.ts';
import { evaluate } from '../../metrics/evaluate.ts';
import { PROTOCOLS, type ProtocolName } from '../../metrics/protocols.ts';
import { createUNet, milesialUNetConfig, UNetConfig, UNetEnsemble, type UNet } from '../../models/unet/index.ts';
import { loadCheckpoint, restoreVariables } from '../../train/checkpoint.ts';
import { epochBatchesOf } from '../../data/batches.ts';
import { namedVariables } from '../../train/loop.ts';
import { melasKyriaziSegmenterDefaults, SegmenterTrainConfig, trainSegmenter } from '../../train/segmenter.ts';
import type { Command } from '../command.ts';
import { deepMerge } from '../config.ts';
import { commandConfig } from '../args.ts';
import { cliOutput, type CliOutput } from '../output.ts';
import { abortOnSigint, BackendChoice, parseTrainArgs, progressReporter, resumeBaseConfig } from '../training.ts';

/** Where (image, mask) pairs come from. */
export const PairDataSpec = t.union([
  /** `count` synthetic `shapes` pairs drawn from `seed`. */
  t.type({ kind: t.literal('shapes'), count: PositiveInt, seed: t.union([t.number, t.string]) }),
  /** Images and masks with the same file stem in two folders (e.g. weizmann-horse/images, /masks). */
  t.type({ kind: t.literal('folder'), images: t.string, masks: t.string }),
]);
/** Where (image, mask) pairs come from. */
export type PairDataSpec = t.TypeOf<typeof PairDataSpec>;

/** The `train-segmenter` config file. */
export const TrainSegmenterCliConfig = t.type({
  /** Output folder. */
  out: t.string,
  /** Backend. Default `auto`. */
  backend: BackendChoice,
  /** Side length images and masks are resized to. */
  resolution: Resolution,
  /** UNet architecture. Default: milesial's with width 16, depth 3. */
  model: UNetConfig,
  /** Ensemble size: members train one after another (own seeds, `out/member-i/`) and their probabilities are averaged. Melas-Kyriazi et al.: 1. */
  ensemble: PositiveInt,
  /** Training pairs. */
  data: PairDataSpec,
  /** Labelled validation set (real masks are used only here), or null for none. */
  validation: t.union([PairDataSpec, t.null]),
  /** Metrics protocol of the validation report. Default `melas-kyriazi` (Melas-Kyriazi et al.). */
  protocol: t.keyof(Object.fromEntries(PROTOCOLS.map((p) => [p, null])) as Record<ProtocolName, null>),
  /**
   * Training settings (Melas-Kyriazi et al. defaults), including augmentation:
   * `augment: [flip, crop, color]` (default `[flip]`), `flipProbability`,
   * `cropScale`, `cropRatio`, `colorJitter` (see `SegmenterAugmentConfig`).
   */
  train: SegmenterTrainConfig,
});
/** The `train-segmenter` config file. */
export type TrainSegmenterCliConfig = t.TypeOf<typeof TrainSegmenterCliConfig>;

/** Defaults every `train-segmenter` config is merged over. */
export const trainSegmenterCliDefaults = {
  out: 'runs/train-segmenter',
  backend: 'auto',
  resolution: 32,
  model: { ...milesialUNetConfig, width: 16, depth: 3 },
  ensemble: 1,
  data: { kind: 'shapes', count: 2000, seed: 'shapes-train' },
  validation: { kind: 'shapes', count: 200, seed: 'shapes-val' },
  protocol: 'melas-kyriazi',
  train: { ...melasKyriaziSegmenterDefaults, steps: 1000, validateEvery: 250, checkpointEvery: 250 },
};

/** Pairs in memory: images [N,R,R,3] in [-1,1], masks [N,R,R,1] in [0,1]. */
export interface PairTensors {
  /** Images. */
  readonly images: tf.Tensor4D;
  /** Masks. */
  readonly masks: tf.Tensor4D;
}

/**
 * Load pairs into memory at `size`×`size` with the data layer's loaders: `shapes` pairs
 * from `loadShapes`, folders from `loadLabelledFolder` (pairs by file stem; short side
 * resized, centre-cropped; masks nearest and binarized at 0.5).
 *
 * @example
 * ```ts
 * const val = await loadPairs({ kind: 'folder', images: 'horse/images', masks: 'horse/masks' }, 64);
 * ```
 */
export const loadPairs = async (spec: PairDataSpec, size: number): Promise<PairTensors> => {
  const set = spec.kind === 'shapes' ? await loadShapes(new Rng(spec.seed), spec.count, size) : loadLabelledFolder({ images: spec.images, masks: spec.masks }, size);
  return { images: set.images, masks: set.masks };
};

/**
 * Validate a UNet on pairs with a metrics protocol; returns the headline numbers (null ones left out).
 *
 * @example
 * ```ts
 * const m = await validateUNet(unet, val, 'melas-kyriazi'); // { iou, acc, fmax, mae }
 * ```
 */
export const validateUNet = async (model: { predict(x: tf.Tensor4D): tf.Tensor4D }, val: PairTensors, protocol: ProtocolName, batch = 16): Promise<Record<string, number>> => {
  const n = val.images.shape[0];
  const preds: tf.Tensor4D[] = [];
  for (let i = 0; i < n; i += batch) {
    const x = tf.slice(val.images, [i, 0, 0, 0], [Math.min(batch, n - i), -1, -1, -1]);
    preds.push(model.predict(x));
    x.dispose();
  }
  const gts = tf.tidy(() => tf.split(val.masks, Math.ceil(n / batch) === 1 ? 1 : preds.map((p) => p.shape[0]), 0));
  try {
    const r = await evaluate(preds, gts, protocol);
    const out: Record<string, number> = {};
    for (const k of ['iou', 'acc', 'fmax', 'mae'] as const) if (r[k] !== null && Number.isFinite(r[k])) out[k] = r[k] as number;
    return out;
  } finally {
    tf.dispose([...preds, ...gts]);
  }
};

const run = async (argv: readonly string[], out: CliOutput = cliOutput()): Promise<number> => {
  const args = parseTrainArgs(argv, 'train-segmenter');
  const resuming = args.resume !== undefined && args.config === undefined;
  const base = resuming ? deepMerge(trainSegmenterCliDefaults, resumeBaseConfig(args.resume!)) : trainSegmenterCliDefaults;
  const cfg = commandConfig(TrainSegmenterCliConfig, args.config, resuming ? [`out=${args.resume}`, ...args.overrides] : args.overrides, base, 'train-segmenter');
  const info = await initBackend({ backend: cfg.backend as BackendName });
  out.info(`train-segmenter: backend ${info.tfBackend} (${info.reason})`);
  const train = await loadPairs(cfg.data, cfg.resolution);
  const val = cfg.validation ? await loadPairs(cfg.validation, cfg.resolution) : undefined;
  const k = cfg.ensemble;
  const members: UNet[] = [];
  const summaries: unknown[] = [];
  const sig = abortOnSigint();
  try {
    // Ensemble members train one after another, each in its own resumable run folder.
    for (let i = 0; i < k && !sig.signal.aborted; i++) {
      const seed = k === 1 ? cfg.train.seed : `${cfg.train.seed}/member-${i}`;
      const memberOut = k === 1 ? cfg.out : path.join(cfg.out, `member-${i}`);
      const model: UNet = createUNet(cfg.model, new Rng(`${seed}/init`));
      members.push(model);
      const progress = progressReporter(k === 1 ? 'train-segmenter' : `train-segmenter[${i + 1}/${k}]`, ['loss/segmenter', 'lr'], cfg.train.logEvery, out);
      try {
        const r = await trainSegmenter({
          config: { ...cfg.train, seed },
          model,
          pairs: epochBatchesOf({ images: train.images, masks: train.masks }, `${seed}/data`),
          validate: val ? (m) => validateUNet(m as UNet, val, cfg.protocol) : undefined,
          out: memberOut,
          resume: args.resume !== undefined ? (k === 1 ? args.resume : path.join(args.resume, `member-${i}`)) : false,
          onEvent: progress.onEvent,
          signal: sig.signal,
          extraConfig: { out: cfg.out, backend: cfg.backend, resolution: cfg.resolution, ensemble: cfg.ensemble, model: cfg.model, data: cfg.data, validation: cfg.validation, protocol: cfg.protocol },
        });
        if (r.bestCheckpoint) restoreVariables(loadCheckpoint(r.bestCheckpoint), namedVariables('model', model.variables()));
        const weights = path.join(cfg.out, k === 1 ? 'segmenter.safetensors' : `segmenter-member-${i}.safetensors`);
        writeSafetensors(weights, model.stateDict(), { model: 'unet', config: JSON.stringify(cfg.model), step: String(r.step) });
        summaries.push({ step: r.step, secondsPerStep: r.secondsPerStep, bestMetric: r.bestMetric, bestCheckpoint: r.bestCheckpoint, weights });
      } finally {
        progress.stop();
      }
    }
    const ensemble = new UNetEnsemble(members);
    const final = val ? await validateUNet(ensemble, val, cfg.protocol) : {};
    out.result({ out: cfg.out, ...(k === 1 ? (summaries[0] as object) : { members: summaries }), validation: final });
    return sig.signal.aborted ? 130 : 0;
  } finally {
    sig.dispose();
    tf.dispose([train.images, train.masks, ...(val ? [val.images, val.masks] : [])]);
    for (const m of members) m.dispose();
  }
};

/**
 * `gan-segmenter train-segmenter [--config c.yaml] [--resume runs/x] [key=value …]`.
 *
 * @example
 * ```ts
 * await trainSegmenterCommand.run(['train.steps=500', 'out=runs/unet']);
 * ```
 */
export const trainSegmenterCommand: Command = {
  name: 'train-segmenter',
  summary: 'train a UNet on (image, mask) pairs with validation, best/last checkpoints and logs',
  usage: [
    'usage: gan-segmenter train-segmenter [--config|-c file.(json|yaml)] [--resume <run folder>] [key=value …]',
    '',
    'Config fields: out, backend, resolution, ensemble, model.{inChannels,nClasses,width,depth,bilinear},',
    'data.kind=shapes|folder (data.count, data.seed | data.images, data.masks), validation (same, or null), protocol,',
    'train.{steps,batchSize,optimizer.lr,schedule.kind=constant|step|cosine,bceWeight,diceWeight,flipProbability,validateEvery,…}.',
    'Augmentation (seeded by train.seed and the step, so --resume stays bit-identical): train.augment=[flip,crop,color]',
    '  (any subset, applied crop → flip → color; default [flip]); crop and flip move image and mask together (mask: nearest),',
    '  color jitters the image only. train.flipProbability (0.5), train.cropScale=[lo,hi] area fraction (default [0.5,1]),',
    '  train.cropRatio=[lo,hi] aspect ratio (default [0.75,1.333]), train.colorJitter=j, factors in [1-j,1+j] (default 0.2).',
    'Examples:',
    '  gan-segmenter train-segmenter out=runs/unet train.steps=1000',
    '  gan-segmenter train-segmenter out=runs/unet-aug train.augment=[flip,crop,color] train.cropScale=[0.6,1] train.colorJitter=0.3',
    '  gan-segmenter train-segmenter validation.kind=folder validation.images=horse/images validation.masks=horse/masks resolution=64',
    'Writes out/checkpoints/ (step-* and best-*), out/log.jsonl, out/tb/, out/segmenter.safetensors (best weights).',
    'stdout: one JSON object {"out", "step", "secondsPerStep", "bestMetric", "bestCheckpoint", "weights", "validation"}',
    '  (with ensemble=K: {"out", "members": […], "validation"}). Ctrl-C writes a checkpoint and stops (exit 130).',
  ].join('\n'),
  run,
};
