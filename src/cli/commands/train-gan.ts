/**
 * `gan-segmenter train-gan`: train a DCGAN or a StyleGAN2 on the synthetic `shapes` benchmark
 * or an image folder, from a JSON/YAML config with `key=value` overrides;
 * `--resume <run folder>` continues a run from its newest complete checkpoint.
 *
 * @module
 */
import * as path from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import * as tf from '@tensorflow/tfjs';
import cliProgress from 'cli-progress';
import { initBackend, type BackendName } from '../../backend/init.ts';
import { PositiveInt, Resolution } from '../../core/codec.ts';
import { ConfigError } from '../../core/errors.ts';
import { Rng } from '../../core/rng.ts';
import { dcganSmall32 } from '../../models/dcgan/index.ts';
import { createGanDiscriminator, createGanGenerator, ganGeneratorWeights, GanModelConfig, ganModelFields } from '../../models/gan-model.ts';
import { loadLatestCheckpoint } from '../../train/checkpoint.ts';
import type { TrainEventHandler } from '../../train/events.ts';
import { dcganTrainDefaults, epochBatches, GanTrainConfig, trainGan } from '../../train/gan.ts';
import type { Command } from '../command.ts';
import { deepMerge, loadConfig } from '../config.ts';
import * as fs from 'node:fs';
import { shapesDataset } from '../../data/shapes.ts';
import { centerCrop, resize, toRgb, type Raster } from '../../io/image.ts';
import { readImage, writeGrid } from '../../io/image-file.ts';
import { writeSafetensors } from '../../io/safetensors-file.ts';

// ---------------------------------------------------------------------------
// Config
// ---------------------------------------------------------------------------

/** Backends the CLI accepts. */
export const BackendChoice = t.union([t.literal('auto'), t.literal('tensorflow'), t.literal('native'), t.literal('wasm'), t.literal('cpu')]);

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
const squareRgb = (img: Raster, size: number): Raster => resize(centerCrop(toRgb(img)), size, size, 'area');

/** Stack RGB rasters in [0,1] into an image batch in [-1,1]. */
const stackImages = (rasters: readonly Raster[], size: number): tf.Tensor4D => {
  const data = new Float32Array(rasters.length * size * size * 3);
  rasters.forEach((r, i) => data.set(r.data, i * size * size * 3));
  return tf.tidy(() => tf.sub(tf.mul(tf.tensor4d(data, [rasters.length, size, size, 3]), 2), 1));
};

const IMAGE_EXT = /\.(png|jpe?g)$/i;

/**
 * Load a GAN's real images into memory: [N,R,R,3] in [-1,1].
 *
 * @example
 * ```ts
 * const reals = await loadGanImages({ kind: 'folder', path: 'horses/images' }, 64);
 * ```
 */
export const loadGanImages = async (spec: GanDataSpec, size: number): Promise<tf.Tensor4D> => {
  if (spec.kind === 'shapes') {
    const ds = shapesDataset(new Rng(spec.seed), spec.count, { size });
    const rasters: Raster[] = [];
    for (let i = 0; i < ds.length; i++) rasters.push((await ds.get(i)).image);
    return stackImages(rasters, size);
  }
  let files: string[];
  try {
    files = fs.readdirSync(spec.path).filter((f) => IMAGE_EXT.test(f)).sort();
  } catch (e) {
    throw new ConfigError('train-gan', [{ path: 'data.path', expected: 'a readable folder of images', given: `${JSON.stringify(spec.path)} (${(e as Error).message})` }]);
  }
  if (files.length === 0) throw new ConfigError('train-gan', [{ path: 'data.path', expected: 'a folder with .png/.jpg images', given: JSON.stringify(spec.path) }]);
  return stackImages(files.map((f) => squareRgb(readImage(path.join(spec.path, f)), size)), size);
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

/**
 * The config to start from when resuming without `--config`: the one stored in the run's newest checkpoint.
 *
 * @example
 * ```ts
 * const base = resumeBaseConfig('runs/shapes-gan'); // { out, backend, model, data, train }
 * ```
 */
export const resumeBaseConfig = (runDir: string): unknown => {
  const ck = loadLatestCheckpoint(path.join(runDir, 'checkpoints')) ?? loadLatestCheckpoint(runDir);
  if (!ck) throw new ConfigError('--resume', [{ path: '<argv>', expected: 'a run folder with a complete checkpoint', given: JSON.stringify(runDir) }]);
  return (ck.meta as { config?: unknown }).config ?? {};
};

const run = async (argv: readonly string[]): Promise<number> => {
  const args = parseTrainArgs(argv, 'train-gan');
  const base = args.resume !== undefined && args.config === undefined ? deepMerge(trainGanCliDefaults, resumeBaseConfig(args.resume)) : trainGanCliDefaults;
  const overrides = args.resume !== undefined && args.config === undefined ? [`out=${args.resume}`, ...args.overrides] : args.overrides;
  const decoded = loadConfig(TrainGanCliConfig, args.config, overrides, base);
  if (E.isLeft(decoded)) throw decoded.left;
  const cfg = { ...decoded.right, model: ganModelFields(decoded.right.model) };
  const info = await initBackend({ backend: cfg.backend as BackendName });
  console.error(`train-gan: backend ${info.tfBackend} (${info.reason})`);
  const reals = await loadGanImages(cfg.data, cfg.model.resolution);
  console.error(`train-gan: ${reals.shape[0]} real images ${reals.shape.slice(1).join('×')}`);
  const rng = new Rng(`${cfg.train.seed}/init`);
  const networks = {
    generator: createGanGenerator(cfg.model, rng.fork('G')),
    generatorEma: createGanGenerator(cfg.model, rng.fork('G')),
    discriminator: createGanDiscriminator(cfg.model, rng.fork('D')),
  };
  const progress = progressReporter('train-gan', ['loss/G', 'loss/D', 'loss/r1'], cfg.train.logEvery);
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
    const { tensors, model } = ganGeneratorWeights(networks.generatorEma);
    writeSafetensors(weights, tensors, { model, config: JSON.stringify(cfg.model), step: String(r.step) });
    console.log(JSON.stringify({ out: cfg.out, step: r.step, secondsPerStep: r.secondsPerStep, skippedSteps: r.skippedSteps, checkpoint: r.lastCheckpoint, generator: weights, scalars: r.lastScalars }));
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
    'usage: gan-segmenter train-gan [--config file.(json|yaml)] [--resume <run folder>] [key=value …]',
    '',
    'Config fields (all optional, defaults shown by the codec): out, backend, model.{resolution,latentDim,width,dWidth,channels,dBatchNorm}',
    '  (or model.kind=stylegan2 with model.{resolution,styleDim,nMlp,channelMultiplier,lrMlp,blurKernel,meanWSamples,channels}),',
    'data.kind=shapes|folder (data.count, data.seed | data.path), train.{steps,batchSize,loss,g.lr,d.lr,r1Gamma,r1Interval,emaKimg,augment,…}.',
    'Examples:',
    '  gan-segmenter train-gan out=runs/shapes train.steps=2000',
    '  gan-segmenter train-gan --config horse.yaml data.path=/data/horses/images model.resolution=64',
    '  gan-segmenter train-gan --resume runs/shapes train.steps=4000   # continue (config from the checkpoint)',
    'Writes out/checkpoints/, out/samples/*.png, out/log.jsonl, out/tb/ (TensorBoard), out/generator.safetensors.',
  ].join('\n'),
  run,
};
// ---------------------------------------------------------------------------
// Shared by train-gan and train-segmenter: arguments, progress bar, Ctrl-C
// ---------------------------------------------------------------------------

/** Parsed arguments of a training command. */
export interface TrainArgs {
  /** `--config <file>` (JSON or YAML). */
  readonly config: string | undefined;
  /** `--resume <run folder>`. */
  readonly resume: string | undefined;
  /** `key=value` overrides, in order. */
  readonly overrides: readonly string[];
}

/**
 * Parse `[--config file] [--resume dir] [key=value …]`.
 *
 * @example
 * ```ts
 * parseTrainArgs(['--config', 'c.yaml', 'train.steps=10']);
 * ```
 */
export const parseTrainArgs = (argv: readonly string[], where: string): TrainArgs => {
  let config: string | undefined, resume: string | undefined;
  const overrides: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--config' || a === '-c') config = argv[++i];
    else if (a.startsWith('--config=')) config = a.slice(9);
    else if (a === '--resume') resume = argv[++i];
    else if (a.startsWith('--resume=')) resume = a.slice(9);
    else if (a.includes('=') && !a.startsWith('-')) overrides.push(a);
    else throw new ConfigError(where, [{ path: '<argv>', expected: '--config <file>, --resume <dir> or key=value', given: JSON.stringify(a) }]);
  }
  if ((config === undefined && argv.includes('--config')) || (resume === undefined && argv.includes('--resume'))) {
    throw new ConfigError(where, [{ path: '<argv>', expected: 'a value after --config / --resume', given: 'nothing' }]);
  }
  return { config, resume, overrides };
};

/**
 * A {@link TrainEventHandler} that draws a progress bar with rate and ETA on a
 * terminal (or prints a line per log interval otherwise). Call `stop()` at the end.
 *
 * @example
 * ```ts
 * const p = progressReporter('train-gan', ['loss/G', 'loss/D']);
 * await trainGan({ ...opts, onEvent: p.onEvent });
 * p.stop();
 * ```
 */
export const progressReporter = (label: string, keys: readonly string[], logEvery = 10): { onEvent: TrainEventHandler; stop: () => void } => {
  const tty = Boolean(process.stderr.isTTY);
  const bar = tty
    ? new cliProgress.SingleBar(
        { format: `${label} |{bar}| {value}/{total} | {rate} s/step | ETA {eta_formatted} | {scalars}`, hideCursor: true, etaBuffer: 50, stream: process.stderr },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  const fmt = (s: Readonly<Record<string, number>>): string => keys.filter((k) => k in s).map((k) => `${k} ${s[k]!.toFixed(4)}`).join(' ');
  const onEvent: TrainEventHandler = (e) => {
    switch (e.type) {
      case 'start':
        if (bar) bar.start(e.totalSteps, e.step, { rate: '-', scalars: '' });
        else console.error(`${label}: ${e.resumedFrom ? `resumed from ${e.resumedFrom} at` : 'starting at'} step ${e.step} of ${e.totalSteps}`);
        break;
      case 'step':
        if (bar) bar.update(e.step, { rate: e.secondsPerStep.toFixed(2), scalars: fmt(e.scalars) });
        else if (e.step % logEvery === 0 || e.step === e.totalSteps) {
          const eta = Math.round(e.secondsPerStep * (e.totalSteps - e.step));
          console.error(`${label}: step ${e.step}/${e.totalSteps} ${e.secondsPerStep.toFixed(2)} s/step ETA ${eta}s ${fmt(e.scalars)}`);
        }
        break;
      case 'checkpoint':
        if (!bar) console.error(`${label}: ${e.kind} checkpoint ${e.path}`);
        break;
      case 'validation':
        console.error(`${label}: validation at step ${e.step}: ${Object.entries(e.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(' ')}`);
        break;
      case 'skipped':
        console.error(`${label}: step ${e.step} skipped (non-finite in ${e.phase}; ${e.count} so far)`);
        break;
      case 'end':
        bar?.stop();
        console.error(`${label}: done at step ${e.step} (${e.seconds.toFixed(1)} s)`);
        break;
      default:
        break;
    }
  };
  return { onEvent, stop: () => bar?.stop() };
};

/**
 * An AbortSignal fired by the first Ctrl-C (the run checkpoints and stops); a second Ctrl-C exits at once.
 *
 * @example
 * ```ts
 * const { signal, dispose } = abortOnSigint();
 * ```
 */
export const abortOnSigint = (): { signal: AbortSignal; dispose: () => void } => {
  const ac = new AbortController();
  const handler = (): void => {
    if (ac.signal.aborted) process.exit(130);
    console.error('\ninterrupted: writing a checkpoint, then stopping (Ctrl-C again to quit now)');
    ac.abort();
  };
  process.on('SIGINT', handler);
  return { signal: ac.signal, dispose: () => process.off('SIGINT', handler) };
};
