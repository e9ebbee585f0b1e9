/**
 * `gan-segmenter train-ilsgan`: train ILSGAN's layered generator alone (qrzou/ILSGAN
 * `train_ILS_64.py` / `training_loop_ILS.py`) on the embedded `shapes` benchmark or a folder of
 * photos, through `trainIlsgan`: checkpoints and exact resume, progress, a PNG grid of the layers
 * (foreground, background, mask, composite, foreground on black and on white) every `sampleEvery`
 * steps and at the end, and `G_ema` as safetensors (NVlabs names, config in the metadata) for
 * `sample-layers` and the method's pair source.
 *
 * @module
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as t from 'io-ts';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendName } from '../../backend/init.ts';
import { NonNegativeInt, PositiveInt } from '../../core/codec.ts';
import { Rng } from '../../core/rng.ts';
import type { ImageBatch } from '../../core/tensor.ts';
import { epochBatches } from '../../data/batches.ts';
import { loadImageFolder, loadShapes } from '../../data/tensors.ts';
import { writeFileAtomic } from '../../io/image-file.ts';
import {
  drawLayers, ILSGAN_DEFAULTS, ILSGAN_PRESETS, IlsganConfig, ilsganPreset, saveLayeredGenerator, trainIlsgan, writeLayerGrid, type IlsganPreset, type LayeredGenerator,
} from '../../methods/ilsgan/index.ts';
import { UsageError } from '../args.ts';
import { cliOutput, type CliOutput } from '../output.ts';
import type { Command } from '../command.ts';
import { abortOnSigint, BackendChoice, parseMethodTrainingArgs, progressReporter } from '../training.ts';

/**
 * The `train-ilsgan` config (file, `key=value` overrides, `--data` flag).
 *
 * @example
 * ```ts
 * const cfg = commandConfig(TrainIlsganCliConfig, undefined, ['data=shapes', 'ilsgan.kimg=40'], trainIlsganCliDefaults);
 * ```
 */
export const TrainIlsganCliConfig = t.type({
  /** Output folder: checkpoints/, samples/, ilsgan-generator.safetensors, layers.png, train-ilsgan.json. */
  out: t.string,
  /** Backend. Default `auto`. */
  backend: BackendChoice,
  /** `shapes` (the embedded benchmark, `count` images) or a folder of photos (short side resized, centre-cropped). */
  data: t.string,
  /** Images drawn from `shapes` (ignored for a folder). */
  count: PositiveInt,
  /** Side of the images and the generator when `ilsgan.resolution` is null. Default 64 (train_ILS_64.py). */
  resolution: PositiveInt,
  /** Seed of every draw (initialisation, latents, noise, shifts, permutations, the shapes, the grid's latents). */
  seed: t.union([t.number, t.string]),
  /** Layer grid every this many steps (0 = only at the end). */
  sampleEvery: NonNegativeInt,
  /** Columns of the layer grid. */
  samples: PositiveInt,
  /** ILSGAN's settings (the reference's `ILS_predL` by default; `--preset` picks another). */
  ilsgan: IlsganConfig,
}, 'TrainIlsganCliConfig');
/** See {@link TrainIlsganCliConfig}. */
export type TrainIlsganCliConfig = t.TypeOf<typeof TrainIlsganCliConfig>;

/**
 * Defaults every `train-ilsgan` config is merged over (`ILS_predL`, 20 000 `shapes` images at 64², a grid every 500 steps).
 *
 * @example
 * ```ts
 * trainIlsganCliDefaults.ilsgan.batchSize; // 32
 * ```
 */
export const trainIlsganCliDefaults = {
  out: 'runs/train-ilsgan', backend: 'auto', data: 'shapes', count: 20000, resolution: 64, seed: 0, sampleEvery: 500, samples: 8, ilsgan: ILSGAN_DEFAULTS,
};

const CONFIG_FILE = 'train-ilsgan.json';
const PRESETS = Object.keys(ILSGAN_PRESETS) as IlsganPreset[];

/** The config from argv (see `parseMethodTrainingArgs`); `--data` must be `shapes` or a folder. */
const parse = (argv: readonly string[]): { cfg: TrainIlsganCliConfig; resume: boolean } => {
  const presets = Object.fromEntries(PRESETS.map((p) => [p, { ilsgan: ilsganPreset(p) }]));
  const r = parseMethodTrainingArgs(argv, { name: 'train-ilsgan', codec: TrainIlsganCliConfig, defaults: trainIlsganCliDefaults, configFile: CONFIG_FILE, presets, keyFlags: ['data'] });
  if (r.cfg.data !== 'shapes' && !existsSync(r.cfg.data)) throw new UsageError('train-ilsgan', [{ path: '--data', expected: "'shapes' or an existing folder of photos", given: r.cfg.data }]);
  return r;
};

/** Fixed latents of the grid: the same columns at every step. */
const gridWriter = (seed: number | string, n: number) => (g: LayeredGenerator, file: string): void => {
  const l = drawLayers(g, n, new Rng(`${seed}/samples`), 1);
  try {
    writeLayerGrid(l, file);
  } finally {
    tf.dispose([l.foreground, l.background, l.mask, l.composite]);
  }
};

const run = async (argv: readonly string[], out: CliOutput = cliOutput()): Promise<number> => {
  const { cfg, resume } = parse(argv);
  const info = await initBackend({ backend: cfg.backend as BackendName });
  out.info(`train-ilsgan: backend ${info.tfBackend} (${info.reason})`);
  const side = cfg.ilsgan.resolution ?? cfg.resolution;
  let images: ImageBatch;
  if (cfg.data === 'shapes') {
    const set = await loadShapes(new Rng(`${cfg.seed}/shapes`), cfg.count, side);
    set.masks.dispose(); // unlabeled training: the shapes' masks are not used
    images = set.images;
  } else images = loadImageFolder(cfg.data, side).images;
  const c = cfg.ilsgan;
  const write = gridWriter(cfg.seed, cfg.samples);
  const progress = progressReporter('train-ilsgan', ['loss/G', 'loss/D', 'loss/binarization', 'loss/independence'], Math.max(1, c.logEvery), out);
  const sig = abortOnSigint();
  try {
    out.info(`train-ilsgan: ${images.shape[0]} real images ${side}×${side} from ${cfg.data}; ${c.kimg} kimg at batch ${c.batchSize}`);
    mkdirSync(cfg.out, { recursive: true });
    writeFileAtomic(join(cfg.out, CONFIG_FILE), JSON.stringify(cfg, null, 2));
    const samplesDir = join(cfg.out, 'samples');
    const { generator, generatorEma, discriminator, run: r } = await trainIlsgan({
      reals: epochBatches(images, `${cfg.seed}/reals`), resolution: side, config: c, seed: cfg.seed, out: cfg.out, resume,
      onEvent: progress.onEvent, signal: sig.signal,
      samples: { every: cfg.sampleEvery, write: (g, step) => write(g, join(samplesDir, `step-${String(step).padStart(8, '0')}.png`)) },
    });
    try {
      const weights = join(cfg.out, 'ilsgan-generator.safetensors'), grid = join(cfg.out, 'layers.png');
      saveLayeredGenerator(generatorEma, weights, { step: String(r.step) });
      write(generatorEma, grid);
      out.result({ out: cfg.out, step: r.step, secondsPerStep: r.secondsPerStep, checkpoint: r.lastCheckpoint, generator: weights, grid, scalars: r.lastScalars });
    } finally {
      generator.dispose();
      generatorEma.dispose();
      discriminator.dispose();
    }
    return sig.signal.aborted ? 130 : 0;
  } finally {
    progress.stop();
    sig.dispose();
    images.dispose();
  }
};

/**
 * `gan-segmenter train-ilsgan [--data shapes|<photos>] [config.yaml] [--preset ILS_predL|ILS] [--resume dir] [key=value …]`.
 *
 * @example
 * ```ts
 * await trainIlsganCommand.run(['--data', 'shapes', 'ilsgan.kimg=40', 'out=runs/ils']);
 * ```
 */
export const trainIlsganCommand: Command = {
  name: 'train-ilsgan',
  summary: "train ILSGAN's layered generator alone on shapes or photos (checkpoints, resume, layer grids)",
  usage: [
    'usage: gan-segmenter train-ilsgan [--data shapes|<photos folder>] [config.(json|yaml) | --config|-c file] [--preset name] [--resume <out folder>] [key=value …]',
    '',
    'Config fields: out, backend, data (shapes, or a folder), count (shapes images), resolution (side when ilsgan.resolution is null),',
    '  seed, sampleEvery (layer grid every N steps, 0 = end only), samples (grid columns),',
    '  ilsgan.{kimg,batchSize,lr,gRegInterval,dRegInterval,r1Gamma,emaKimg,zDim,wDim,mappingLayers,channelBase,channelMax,xintMax,',
    '  perturb,binarizationWeight,maskSizeWeight,minMaskSize,ada,independence,sigma,initialSigma,truncation,maskThreshold,checkpointEvery,logEvery,…}',
    `  (the reference's ILS_predL by default). --preset: ${PRESETS.join(', ')} (train_ILS_64.py, train_ILS_128.py).`,
    '--resume <out>: continue from the newest complete checkpoint with the stored config (overrides apply on top).',
    'Examples:',
    '  gan-segmenter train-ilsgan --data shapes ilsgan.kimg=40 out=runs/ils-shapes',
    '  gan-segmenter train-ilsgan --data horses/images --preset ILS_predL out=runs/ils-horse',
    '  gan-segmenter train-ilsgan --resume runs/ils-shapes ilsgan.kimg=80',
    'Writes out/checkpoints/, out/samples/step-*.png and out/layers.png (rows foreground, background, mask, composite,',
    'foreground on black, foreground on white), out/ilsgan-generator.safetensors (G_ema), out/train-ilsgan.json, out/log.jsonl, out/tb/.',
    'stdout: one JSON object {"out", "step", "secondsPerStep", "checkpoint", "generator", "grid", "scalars"}.',
    'Ctrl-C writes a checkpoint and stops (exit 130).',
  ].join('\n'),
  run,
};
