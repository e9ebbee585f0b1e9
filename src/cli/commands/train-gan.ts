/**
 * `gan-segmenter train-gan`: train a DCGAN or a StyleGAN2 on the synthetic `shapes` benchmark
 * or an image folder, from a JSON/YAML config with `key=value` overrides;
 * `--resume <run folder>` continues a run from its newest complete checkpoint.
 *
 * @module
 */
import * as path from 'node:path';
import * as t from 'io-ts';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendName } from '../../backend/init.ts';
import { PositiveInt } from '../../core/codec.ts';
import { Rng } from '../../core/rng.ts';
import { dcganSmall32 } from '../../models/dcgan/index.ts';
import { createGanDiscriminator, createGanGenerator, GanModelConfig, ganModelFields } from '../../models/gan-model.ts';
import { saveGenerator } from '../../models/registry/files.ts';
import { dcganTrainDefaults, GanTrainConfig, trainGan } from '../../train/gan.ts';
import { epochBatches } from '../../data/batches.ts';
import type { Command } from '../command.ts';
import { deepMerge } from '../config.ts';
import { commandConfig } from '../args.ts';
import { cliOutput, type CliOutput } from '../output.ts';
import { abortOnSigint, BackendChoice, parseTrainArgs, progressReporter, resumeBaseConfig } from '../training.ts';
import * as fs from 'node:fs';
import { loadImageFolder, loadShapes } from '../../data/tensors.ts';
import { writeGrid } from '../../io/image-file.ts';

// ---------------------------------------------------------------------------
// Config
// ---------------------------------------------------------------------------

/** Where a GAN's real images come from. */
export const GanDataSpec = t.union([
  /** The synthetic `shapes` benchmark: `count` images drawn from `seed`. */
  t.type({ kind: t.literal('shapes'), count: PositiveInt, seed: t.union([t.number, t.string]) }),
  /** Every image in a folder (center-cropped, resized to the model resolution). */
  t.type({ kind: t.literal('folder'), path: t.string }),
]);
/** Where a GAN's real images come from. */
export type GanDataSpec = t.TypeOf<typeof GanDataSpec>;

/** The `train-gan` config file. */
export const TrainGanCliConfig = t.type({
  /** Output folder (checkpoints/, samples/, log.jsonl, tb/, generator.safetensors). */
  out: t.string,
  /** Backend. Default `auto`. */
  backend: BackendChoice,
  /** Architecture: a DCGAN (default `dcganSmall32`) or `kind: stylegan2` with a StyleGAN2 config. */
  model: GanModelConfig,
  /** Real images. */
  data: GanDataSpec,
  /** Training settings (defaults: DCGAN's Adam 2e-4/β1 0.5). */
  train: GanTrainConfig,
});
/** The `train-gan` config file. */
export type TrainGanCliConfig = t.TypeOf<typeof TrainGanCliConfig>;

/** Defaults every `train-gan` config is merged over. */
export const trainGanCliDefaults = {
  out: 'runs/train-gan',
  backend: 'auto',
  model: dcganSmall32,
  data: { kind: 'shapes', count: 2000, seed: 'shapes-train' },
  train: dcganTrainDefaults,
};

// ---------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------

/** Raster in [0,1] → square RGB raster of side `size`. */
/**
 * Load a GAN's real images into memory: [N,R,R,3] in [-1,1], through the data layer's loaders
 * (`shapes` images drawn from `seed`; a folder's images with the short side resized and centre-cropped).
 *
 * @example
 * ```ts
 * const reals = await loadGanImages({ kind: 'folder', path: 'horses/images' }, 64);
 * ```
 */
export const loadGanImages = async (spec: GanDataSpec, size: number): Promise<tf.Tensor4D> => {
  if (spec.kind === 'shapes') {
    const s = await loadShapes(new Rng(spec.seed), spec.count, size);
    s.masks.dispose();
    return s.images;
  }
  return loadImageFolder(spec.path, size).images;
};

/**
 * Write a sample grid, 8 per row, as PNG.
 *
 * @example
 * ```ts
 * writeSampleGrid(images, 'samples/step-100.png');
 * ```
 */
export const writeSampleGrid = (images: tf.Tensor4D, file: string, perRow = 8): void => {
  const n = images.shape[0];
  const rows = tf.tidy(() => Array.from({ length: Math.ceil(n / perRow) }, (_, r) => tf.slice(images, [r * perRow, 0, 0, 0], [Math.min(perRow, n - r * perRow), -1, -1, -1]) as tf.Tensor4D));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeGrid(file, rows, { maxColumns: perRow });
  tf.dispose(rows);
};

// ---------------------------------------------------------------------------
// Command
// ---------------------------------------------------------------------------

const run = async (argv: readonly string[], out: CliOutput = cliOutput()): Promise<number> => {
  const args = parseTrainArgs(argv, 'train-gan');
  const base = args.resume !== undefined && args.config === undefined ? deepMerge(trainGanCliDefaults, resumeBaseConfig(args.resume)) : trainGanCliDefaults;
  const overrides = args.resume !== undefined && args.config === undefined ? [`out=${args.resume}`, ...args.overrides] : args.overrides;
  const decoded = commandConfig(TrainGanCliConfig, args.config, overrides, base, 'train-gan');
  const cfg = { ...decoded, model: ganModelFields(decoded.model) };
  const info = await initBackend({ backend: cfg.backend as BackendName });
  out.info(`train-gan: backend ${info.tfBackend} (${info.reason})`);
  const reals = await loadGanImages(cfg.data, cfg.model.resolution);
  out.info(`train-gan: ${reals.shape[0]} real images ${reals.shape.slice(1).join('×')}`);
  const rng = new Rng(`${cfg.train.seed}/init`);
  const networks = {
    generator: createGanGenerator(cfg.model, rng.fork('G')),
    generatorEma: createGanGenerator(cfg.model, rng.fork('G')),
    discriminator: createGanDiscriminator(cfg.model, rng.fork('D')),
  };
  const progress = progressReporter('train-gan', ['loss/G', 'loss/D', 'loss/r1'], cfg.train.logEvery, out);
  const sig = abortOnSigint();
  try {
    const r = await trainGan({
      config: cfg.train,
      networks,
      reals: epochBatches(reals, `${cfg.train.seed}/data`),
      out: cfg.out,
      resume: args.resume !== undefined ? args.resume : false,
      writeSamples: writeSampleGrid,
      onEvent: progress.onEvent,
      signal: sig.signal,
      extraConfig: { out: cfg.out, backend: cfg.backend, model: cfg.model, data: cfg.data },
    });
    const weights = path.join(cfg.out, 'generator.safetensors');
    // The config as trained (a GanModelConfig, `kind` included), so the file and the checkpoints agree.
    saveGenerator(weights, networks.generatorEma, { config: cfg.model, metadata: { step: String(r.step) } });
    out.result({ out: cfg.out, step: r.step, secondsPerStep: r.secondsPerStep, skippedSteps: r.skippedSteps, checkpoint: r.lastCheckpoint, generator: weights, scalars: r.lastScalars });
    return sig.signal.aborted ? 130 : 0;
  } finally {
    progress.stop();
    sig.dispose();
    reals.dispose();
    networks.generator.dispose();
    networks.generatorEma.dispose();
    networks.discriminator.dispose();
  }
};

/**
 * `gan-segmenter train-gan [--config c.yaml] [--resume runs/x] [key=value …]`.
 *
 * @example
 * ```ts
 * await trainGanCommand.run(['--config', 'configs/shapes-gan.yaml', 'train.steps=2000']);
 * ```
 */
export const trainGanCommand: Command = {
  name: 'train-gan',
  summary: 'train a DCGAN or StyleGAN2 (shapes or an image folder) with checkpoints, sample grids and logs',
  usage: [
    'usage: gan-segmenter train-gan [--config|-c file.(json|yaml)] [--resume <run folder>] [key=value …]',
    '',
    'Config fields (all optional, defaults shown by the codec): out, backend, model.{resolution,latentDim,width,dWidth,channels,dBatchNorm}',
    '  (or model.kind=stylegan2 with model.{resolution,styleDim,nMlp,channelMultiplier,lrMlp,blurKernel,meanWSamples,channels}),',
    'data.kind=shapes|folder (data.count, data.seed | data.path), train.{steps,batchSize,loss,g.lr,d.lr,r1Gamma,r1Interval,emaKimg,augment,…}.',
    'Examples:',
    '  gan-segmenter train-gan out=runs/shapes train.steps=2000',
    '  gan-segmenter train-gan --config horse.yaml data.path=/data/horses/images model.resolution=64',
    '  gan-segmenter train-gan --resume runs/shapes train.steps=4000   # continue (config from the checkpoint)',
    'Writes out/checkpoints/, out/samples/*.png, out/log.jsonl, out/tb/ (TensorBoard), out/generator.safetensors.',
    'stdout: one JSON object {"out", "step", "secondsPerStep", "skippedSteps", "checkpoint", "generator", "scalars"}.',
    'Ctrl-C writes a checkpoint and stops (exit 130); --resume continues it.',
  ].join('\n'),
  run,
};
