/**
 * `gan-segmenter train-alpha`: train Labels4Free's alpha branch alone (RameenAbdal/Labels4Free
 * `train.py`) on a pretrained StyleGAN2 and a folder of real photos, through `trainAlphaBranch`:
 * checkpoints and exact resume, progress, a PNG grid fg / bg / α / composite every `sampleEvery`
 * steps and at the end, and the alpha net as safetensors (official `bg_extractor` key names).
 *
 * @module
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as t from 'io-ts';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendName } from '../../backend/init.ts';
import { NonNegativeInt, PositiveInt } from '../../core/codec.ts';
import { Rng } from '../../core/rng.ts';
import type { ImageBatch } from '../../core/tensor.ts';
import { epochBatches } from '../../data/batches.ts';
import { loadImageFolder } from '../../data/tensors.ts';
import { writeFileAtomic, writeGrid } from '../../io/image-file.ts';
import { writeSafetensors } from '../../io/safetensors-file.ts';
import { readTorchCheckpoint } from '../../io/torch/checkpoint.ts';
import { createStyleGAN2Discriminator } from '../../models/stylegan2/discriminator.ts';
import { loadDiscriminatorStateDict } from '../../models/stylegan2/weights.ts';
import {
  LABELS4FREE_DEFAULTS, LABELS4FREE_PRESETS, Labels4FreeConfig, labels4freePreset, requireStyleGAN2, trainAlphaBranch, type AlphaBranch, type Labels4FreePreset,
} from '../../methods/labels4free/index.ts';
import { loadGeneratorFile } from '../../pipeline/generators.ts';
import { UsageError } from '../args.ts';
import { cliOutput, type CliOutput } from '../output.ts';
import type { Command } from '../command.ts';
import { abortOnSigint, BackendChoice, parseMethodTrainingArgs, progressReporter } from '../training.ts';

/**
 * The `train-alpha` config (file, `key=value` overrides, `--generator`/`--data` flags).
 *
 * @example
 * ```ts
 * const cfg = loadConfig(TrainAlphaCliConfig, 'alpha.yaml', ['labels4free.iterations=500'], trainAlphaCliDefaults);
 * ```
 */
export const TrainAlphaCliConfig = t.type({
  /** Output folder: checkpoints/, samples/, alpha-net.safetensors, alpha.png, train-alpha.json. */
  out: t.string,
  /** Backend. Default `auto`. */
  backend: BackendChoice,
  /** The pretrained StyleGAN2: rosinality `.pt` (`g_ema`, and `d` with `labels4free.useDiscriminator`) or our safetensors. */
  generator: t.string,
  /** Folder of real photos (short side resized to the generator's size, centre-cropped). */
  data: t.string,
  /** Seed of every draw (alpha-net init, latents, noise, flips, the sample grid's latents). */
  seed: t.union([t.number, t.string]),
  /** Sample grid every this many steps (0 = only at the end). train.py: 100. */
  sampleEvery: NonNegativeInt,
  /** Columns of the sample grid (fixed latents z and a separate z₂ for the background, test_sample.py's ψ). */
  samples: PositiveInt,
  /** Labels4Free's settings (train.py's defaults; `--preset` picks the official README's commands). */
  labels4free: Labels4FreeConfig,
}, 'TrainAlphaCliConfig');
/** See {@link TrainAlphaCliConfig}. */
export type TrainAlphaCliConfig = t.TypeOf<typeof TrainAlphaCliConfig>;

/**
 * Defaults every `train-alpha` config is merged over (train.py's `labels4free` settings, a grid every 100 steps).
 *
 * @example
 * ```ts
 * trainAlphaCliDefaults.labels4free.iterations; // 1001
 * ```
 */
export const trainAlphaCliDefaults = {
  out: 'runs/train-alpha', backend: 'auto', generator: '', data: '', seed: 0, sampleEvery: 100, samples: 8, labels4free: LABELS4FREE_DEFAULTS,
};

const CONFIG_FILE = 'train-alpha.json';
const PRESETS = Object.keys(LABELS4FREE_PRESETS) as Labels4FreePreset[];

/** The config from argv (see `parseMethodTrainingArgs`); `--generator` and `--data` are required. */
const parse = (argv: readonly string[]): { cfg: TrainAlphaCliConfig; resume: boolean } => {
  const presets = Object.fromEntries(PRESETS.map((p) => [p, { labels4free: labels4freePreset(p) }]));
  const r = parseMethodTrainingArgs(argv, { name: 'train-alpha', codec: TrainAlphaCliConfig, defaults: trainAlphaCliDefaults, configFile: CONFIG_FILE, presets, keyFlags: ['generator', 'data'] });
  const missing = [
    ...(r.cfg.generator === '' ? [{ path: '--generator', expected: 'a StyleGAN2 .pt or safetensors file', given: 'nothing' }] : []),
    ...(r.cfg.data === '' ? [{ path: '--data', expected: 'a folder of real photos', given: 'nothing' }] : []),
  ];
  if (missing.length > 0) throw new UsageError('train-alpha', missing);
  return r;
};

/** Rows fg / bg / α / composite of test_sample.py's latents (z, separate z₂, ψ `sampleTruncation`, stored noise). */
const writeAlphaGrid = (branch: AlphaBranch, z: tf.Tensor2D, z2: tf.Tensor2D, file: string): void => {
  const rows = tf.tidy(() => {
    const l = branch.layers(z, { latents: 'sample', zBackground: z2 });
    const clip = (x: tf.Tensor4D): ImageBatch => tf.clipByValue(x, -1, 1) as ImageBatch;
    return [clip(l.foreground), clip(l.background), l.alpha, clip(l.composite)];
  });
  writeGrid(file, rows, { maxColumns: z.shape[0] });
  tf.dispose(rows);
};

const run = async (argv: readonly string[], out: CliOutput = cliOutput()): Promise<number> => {
  const { cfg, resume } = parse(argv);
  const info = await initBackend({ backend: cfg.backend as BackendName });
  out.info(`train-alpha: backend ${info.tfBackend} (${info.reason})`);
  const g = requireStyleGAN2(loadGeneratorFile(cfg.generator), 'train-alpha');
  const c = cfg.labels4free;
  const d = createStyleGAN2Discriminator(g.config, new Rng(`${cfg.seed}/labels4free-d`));
  const reals = loadImageFolder(cfg.data, g.resolution).images;
  const rng = new Rng(`${cfg.seed}/samples`);
  const z = g.sampleLatent(cfg.samples, rng.fork('z')), z2 = g.sampleLatent(cfg.samples, rng.fork('z-bg'));
  const progress = progressReporter('train-alpha', ['loss/G', 'loss/D', 'loss/binarization', 'alpha/mean'], Math.max(1, c.logEvery), out);
  const sig = abortOnSigint();
  try {
    if (c.useDiscriminator) loadDiscriminatorStateDict(d, readTorchCheckpoint(new Uint8Array(readFileSync(cfg.generator)), { key: 'd', where: cfg.generator }), `${cfg.generator}:d`);
    out.info(`train-alpha: ${g.id} (${g.resolution}²), ${reals.shape[0]} real images from ${cfg.data}`);
    mkdirSync(cfg.out, { recursive: true });
    writeFileAtomic(join(cfg.out, CONFIG_FILE), JSON.stringify(cfg, null, 2));
    const samplesDir = join(cfg.out, 'samples');
    const { branch, ema, run: r } = await trainAlphaBranch({
      generator: g, discriminator: d, reals: epochBatches(reals, `${cfg.seed}/reals`), config: c, seed: cfg.seed,
      out: cfg.out, resume, onEvent: progress.onEvent, signal: sig.signal,
      samples: { every: cfg.sampleEvery, write: (b, step) => writeAlphaGrid(b, z, z2, join(samplesDir, `step-${String(step).padStart(8, '0')}.png`)) },
    });
    try {
      const weights = join(cfg.out, 'alpha-net.safetensors'), grid = join(cfg.out, 'alpha.png');
      writeSafetensors(weights, branch.stateDict(), { model: 'labels4free-alpha-net', generator: g.id, alphaBranch: JSON.stringify(branch.config), step: String(r.step) });
      writeAlphaGrid(branch, z, z2, grid);
      out.result({ out: cfg.out, step: r.step, secondsPerStep: r.secondsPerStep, checkpoint: r.lastCheckpoint, alphaNet: weights, grid, scalars: r.lastScalars });
    } finally {
      branch.dispose();
      ema.dispose();
    }
    return sig.signal.aborted ? 130 : 0;
  } finally {
    progress.stop();
    sig.dispose();
    tf.dispose([reals, z, z2]);
    d.dispose();
    g.dispose();
  }
};

/**
 * `gan-segmenter train-alpha --generator <StyleGAN2> --data <photos> [config.yaml] [--preset name] [--resume dir] [key=value …]`.
 *
 * @example
 * ```ts
 * await trainAlphaCommand.run(['--generator', 'horse.pt', '--data', 'horses/images', '--preset', 'lsun-horse-single-gpu', 'out=runs/alpha']);
 * ```
 */
export const trainAlphaCommand: Command = {
  name: 'train-alpha',
  summary: "train Labels4Free's alpha branch alone on a frozen StyleGAN2 and real photos (checkpoints, resume, grids)",
  usage: [
    'usage: gan-segmenter train-alpha --generator <StyleGAN2 .pt|.safetensors> --data <photos folder> [config.(json|yaml) | --config|-c file] [--preset name] [--resume <out folder>] [key=value …]',
    '',
    'Config fields: out, backend, generator, data, seed, sampleEvery (grid every N steps, 0 = end only), samples (grid columns),',
    '  labels4free.{iterations,batchSize,lr,r1,dRegEvery,gRegEvery,satWeight,lossMultiplier,fgCoverageValue,bgCoverageWeight,',
    '  bgCoverageValue,trainTruncation,sampleTruncation,maskThreshold,useDiscriminator,featureFrom,backgroundZero,checkpointEvery,logEvery}',
    '  (train.py\'s defaults; labels4free.useDiscriminator=true starts D from the .pt\'s `d`, as --use_disc).',
    `--preset: ${PRESETS.join(', ')} (the official README's commands).`,
    '--resume <out>: continue from the newest complete checkpoint with the stored config (overrides apply on top).',
    'Examples:',
    '  gan-segmenter train-alpha --generator horse.pt --data horses/images --preset lsun-horse-single-gpu out=runs/alpha',
    '  gan-segmenter train-alpha --resume runs/alpha labels4free.iterations=3000',
    'Writes out/checkpoints/, out/samples/step-*.png and out/alpha.png (rows fg, bg, α, composite), out/alpha-net.safetensors,',
    'out/train-alpha.json, out/log.jsonl and out/tb/ (TensorBoard).',
    'stdout: one JSON object {"out", "step", "secondsPerStep", "checkpoint", "alphaNet", "grid", "scalars"}.',
    'Ctrl-C writes a checkpoint and stops (exit 130).',
  ].join('\n'),
  run,
};
