/**
 * The benchmark: every requested method and the baselines (centre ellipse, Otsu, GrabCut) on one honest
 * protocol, written as one leaderboard (`report.md`, `report.json`, PNG grids of the hardest photos).
 *
 * Protocol. A labelled photo set (`<dataset>/images`, `<dataset>/masks`) is split once, seeded and
 * recorded (`assets/splits/<name>.json` when the package ships one, else made here and written to
 * `<out>/split.json`). The GAN and the methods use every photo *unlabeled*; the evaluation levers
 * (test-time flip averaging, GrabCut refinement of the segmenter's mask) are chosen on the masks of
 * the validation part only; the leaderboard's number is the test part's. Scores are per-image IoU
 * (p > 0.5), accuracy and max F-β of the melas-kyriazi protocol at the photos' own resolution
 * (`benchmark-eval.ts`).
 *
 * Resumable: the GAN is trained once per benchmark folder and settings (`<out>/gan/<key>`, its
 * checkpoints resumed), each method's UNet resumes from its checkpoints, and each finished method's and
 * the baselines' results are cached as JSON (atomic files); a killed benchmark run again continues.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { decodeWithDefaults, PositiveInt } from '../core/codec.ts';
import { ConfigError, DataError, type GanSegmenterError } from '../core/errors.ts';
import type { PipelineContext, PipelineEvent } from '../core/events.ts';
import { toJson, type Json } from '../core/json.ts';
import type { Raster } from '../core/raster.ts';
import { Rng } from '../core/rng.ts';
import { centerPriorMask, otsuMask } from '../data/baselines.ts';
import { fitSquare } from '../data/augment.ts';
import { epochBatchesOf } from '../data/batches.ts';
import { SegmentationFolder } from '../data/folder.ts';
import type { RefineOptions } from '../data/refine.ts';
import { grabcutMask } from '../data/grabcut.ts';
import { checkSplit, makeSplit, readSplit, writeSplit, type DataSplit } from '../data/split.ts';
import { resolveLabelledDir, type ImageSet } from '../data/tensors.ts';
import { readImage, writeFileAtomic, writeGrid } from '../io/image-file.ts';
import { channel, resize, toRgb } from '../io/image.ts';
import { createAccumulator } from '../metrics/protocols.ts';
import { createUNet } from '../models/unet/index.ts';
import { decodeMethodConfig, type AnyMethodSpec, type InputsFor, type MethodInputs, type MethodNeed } from '../methods/spec.ts';
import { findMethod, METHODS, type MethodTable } from '../methods/table.ts';
import type { AdamConfig, LrSchedule } from '../train/adam.ts';
import { DiffAugmentPolicy } from '../train/augment.ts';
import { melasKyriaziSegmenterDefaults, SegmenterAugmentation, type SegmenterTrainConfig, type TrainableSegmenter } from '../train/segmenter.ts';
import { benchmarkJson, benchmarkMarkdown, type BenchmarkResult, type LeaderboardRow, type LeverRow, type PartScores } from './benchmark-report.ts';
import { imageIou, photoMask, predictPhoto, variantName, type PhotoVariant } from './benchmark-eval.ts';
import { decodeRunConfig } from './run-config.ts';
import { loadOrTrainGenerator, loadTrainImages } from './run-inputs.ts';
import { trainSegmenterStage } from './segmenter.ts';
import { generateData } from './stages.ts';
import { stage } from './stage.ts';

// ---------------------------------------------------------------------------
// Config
// ---------------------------------------------------------------------------

/** The benchmark's settings (defaults: {@link BENCHMARK_DEFAULTS}; `--quick`: {@link BENCHMARK_QUICK}). */
export const BenchmarkConfig = t.type({
  /** A directory with `images/` and `masks/` (same stems). */
  dataset: t.string,
  /** `auto` (the package's `assets/splits/<dataset folder name>.json` if there is one, else a new split), or a split file. */
  split: t.string,
  /** Validation photos of a new split (the rest is test). */
  validation: PositiveInt,
  /** Score only the first `limit` photos of each part (0: all) — for `--quick`. */
  limit: t.number,
  /** Seed of every draw. */
  seed: t.union([t.number, t.string]),
  /** Output folder (also the cache: GAN, UNets, results). */
  out: t.string,
  /** Methods of the method table to run. */
  methods: t.array(t.string),
  /** The GAN's and the UNet's side. */
  resolution: PositiveInt,
  /** The DCGAN trained on every photo (unlabeled), once per folder and settings, or a generator file. */
  gan: t.type({
    /** A generator file to use instead of training a DCGAN (any family `loadGeneratorFile` reads; its side must be `resolution`). Default '' (train). */ weights: t.string,
    /** Training steps. Default 6000. */ steps: PositiveInt,
    /** Batch size. Default 32. */ batchSize: PositiveInt,
    /** DCGAN width (channels of the last G block). Default 32. */ width: PositiveInt,
    /** DiffAugment policy. Default none. */ augment: DiffAugmentPolicy,
  }),
  /** Synthetic pairs (in memory). */
  data: t.type({
    /** Pairs per method. Default 2000. */ count: PositiveInt,
  }),
  /** The UNet trained on each method's pairs. */
  unet: t.type({
    /** Channels of the first level. Default 16. */ width: PositiveInt,
    /** Levels. Default 3. */ depth: PositiveInt,
    /** Training steps. Default 1000. */ steps: PositiveInt,
    /** Batch size. Default 16. */ batchSize: PositiveInt,
    /** Adam learning rate. Default 1e-3. */ lr: t.number,
    /** Augmentations of the pairs. Default flip, crop, color. */ augment: t.array(SegmenterAugmentation),
  }),
  /** Test-time flip averaging: on, off, or `auto` (chosen on validation). */
  segment: t.type({
    /** Average the probabilities of the photo and its mirror image. Default `auto`. */ flip: t.union([t.boolean, t.literal('auto')]),
  }),
  /** GrabCut refinement of the segmenter's mask: `grabcut`, `none`, or `auto` (chosen on validation); its seeding. */
  refine: t.type({
    /** `grabcut`, `none`, or `auto` (chosen on validation). Default `auto`. */ method: t.union([t.literal('none'), t.literal('grabcut'), t.literal('auto')]),
    /** Probabilities ≥ this (≤ 1 − this) seed definite foreground (background); > 1 = only probable labels. Default 1.1. */ definite: t.number,
    /** GrabCut iterations. Default 5. */ iterations: PositiveInt,
    /** Definite background outside the predicted mask's box enlarged by this fraction of its size; < 0 = off. Default −1. */ box: t.number,
    /** Refine on the photo downscaled to this longer side (0 = full size). Default 0. */ maxSide: t.number,
    /** Definite background outside the central rectangle with these margins (fraction of the side); < 0 = off. Default 0.05. */ rect: t.number,
  }),
  /** Self-training: `rounds` 1 trains a fresh UNet `steps` steps on the method's masks of the photos (0: off; the first `photos`, 0 = all); chosen on validation like the other levers. */
  selftrain: t.type({
    /** Rounds (0 = off, 1 = one fresh UNet on the refined masks). Default 1. */ rounds: t.number,
    /** Its training steps. Default 1000. */ steps: PositiveInt,
    /** Photos it labels (the first `photos`; 0 = all). Default 0. */ photos: t.number,
  }),
  /** Score the test part too (false: validation only, for choosing settings without looking at test masks). */
  test: t.boolean,
  /** Hardest test photos shown per entry. */
  grid: t.number,
}, 'BenchmarkConfig');
/** See {@link BenchmarkConfig}. */
export type BenchmarkConfig = t.TypeOf<typeof BenchmarkConfig>;

/**
 * The default benchmark (22 minutes from scratch in one run on 2 shared CPU cores): the Weizmann horse
 * dev set beside the project, its committed split (60 validation, 140 test), a 32² DCGAN trained 6000
 * steps on the 200 unlabeled photos, 2000 pairs, a UNet w16/d3 trained 1000 steps, one round of
 * self-training, flip averaging and GrabCut refinement chosen on validation. The refinement's seeding
 * (the UNet's probability as probable labels only, definite background outside the central rectangle
 * with 5 % margins) was chosen on the validation part (docs/measurements.md).
 */
export const BENCHMARK_DEFAULTS: Readonly<Record<string, unknown>> = {
  dataset: '../shared/datasets/weizmann-horse',
  split: 'auto',
  validation: 60,
  limit: 0,
  seed: 0,
  out: 'out/benchmark',
  methods: ['latent-direction'],
  resolution: 32,
  gan: { weights: '', steps: 6000, batchSize: 32, width: 32, augment: [] },
  data: { count: 2000 },
  unet: { width: 16, depth: 3, steps: 1000, batchSize: 16, lr: 1e-3, augment: ['flip', 'crop', 'color'] },
  segment: { flip: 'auto' },
  refine: { method: 'auto', definite: 1.1, iterations: 5, box: -1, maxSide: 0, rect: 0.05 },
  selftrain: { rounds: 1, steps: 1000, photos: 0 },
  test: true,
  grid: 8,
};

/** `--quick` (CI, ~2–3 minutes): 300 GAN steps, 50 direction steps, 256 pairs, 100 UNet steps, 6 photos per part. */
export const BENCHMARK_QUICK: Readonly<Record<string, unknown>> = {
  out: 'out/benchmark-quick',
  limit: 6,
  gan: { steps: 300 },
  data: { count: 256 },
  unet: { steps: 100 },
  'latent-direction': { iterations: 50 },
  selftrain: { steps: 50, photos: 12 },
  grid: 4,
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A decoded benchmark config with the raw blocks of the methods (each spec decodes its own). */
export interface DecodedBenchmarkConfig extends BenchmarkConfig {
  /** Method name → its block as given. */
  readonly methodConfigs: Readonly<Record<string, unknown>>;
}

/**
 * Decode a (partial) benchmark config over {@link BENCHMARK_DEFAULTS} (every wrong field in one `ConfigError`).
 *
 * @example
 * ```ts
 * const c = decodeBenchmarkConfig({ unet: { steps: 500 } });
 * ```
 */
export const decodeBenchmarkConfig = (input: unknown, where = 'benchmark'): E.Either<GanSegmenterError, DecodedBenchmarkConfig> => {
  const u = isObject(input) ? input : {};
  const d = decodeWithDefaults(BenchmarkConfig, BENCHMARK_DEFAULTS, u, where);
  if (E.isLeft(d)) return d;
  const methodConfigs = Object.fromEntries(d.right.methods.map((m) => [m, u[m] ?? {}]));
  return E.right({ ...d.right, methodConfigs });
};

// ---------------------------------------------------------------------------
// Photos and scores
// ---------------------------------------------------------------------------

/** A labelled photo at full resolution. */
interface Photo {
  readonly file: string;
  /** RGB in [0, 1]. */
  readonly image: Raster;
  /** Mask, 1 channel, in [0, 1]. */
  readonly mask: Raster;
}

const loadPhotos = (dataset: string, files: readonly string[], pairs: ReadonlyMap<string, string>): Photo[] => {
  const f = resolveLabelledDir(dataset);
  return files.map((file) => ({ file, image: toRgb(readImage(join(f.images, file))), mask: channel(readImage(join(f.masks, pairs.get(file) as string)), 0) }));
};

/** Scores of predictions (probabilities or 0/1 masks at each photo's size) and the per-image IoUs. */
const scorePart = (preds: readonly Raster[], photos: readonly Photo[]): { scores: PartScores; ious: number[] } => {
  if (preds.length === 0) return { scores: { n: 0, iou: NaN, acc: NaN, fmax: NaN }, ious: [] };
  const acc = createAccumulator('melas-kyriazi');
  const ious = preds.map((p, i) => {
    const gt = (photos[i] as Photo).mask.data;
    acc.add(p.data, gt);
    return imageIou(p.data, gt);
  });
  const r = acc.report();
  return { scores: { n: preds.length, iou: r.iou ?? NaN, acc: r.acc ?? NaN, fmax: r.fmax ?? NaN }, ious };
};

/** One row of the hardest-photos grid: photo, truth, prediction at a height of 96 px, as [3,H,W,3] in [-1, 1]. */
const gridRow = (photo: Photo, pred: Raster): tf.Tensor4D => {
  const h = 96, w = Math.max(8, Math.round((photo.image.width * h) / photo.image.height));
  const img = resize(photo.image, w, h, 'area'), gt = resize(photo.mask, w, h, 'nearest'), pr = resize(pred, w, h, 'bilinear');
  const data = new Float32Array(3 * h * w * 3);
  for (let i = 0; i < h * w; i++)
    for (let k = 0; k < 3; k++) {
      data[i * 3 + k] = (img.data[i * 3 + k] as number) * 2 - 1;
      data[(h * w + i) * 3 + k] = ((gt.data[i] as number) > 0.5 ? 1 : 0) * 2 - 1;
      data[(2 * h * w + i) * 3 + k] = ((pr.data[i] as number) > 0.5 ? 1 : 0) * 2 - 1;
    }
  return tf.tensor4d(data, [3, h, w, 3]);
};

/** Write the `k` lowest-IoU photos as a grid (one photo per row: image · truth · prediction). */
const writeHardest = (file: string, photos: readonly Photo[], preds: readonly Raster[], ious: readonly number[], k: number): void => {
  const order = ious.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]).slice(0, k);
  if (order.length === 0) return;
  const rows = order.map(([, i]) => gridRow(photos[i] as Photo, preds[i] as Raster));
  writeGrid(file, rows);
  tf.dispose(rows);
};

const hash = (x: unknown): string => createHash('sha1').update(JSON.stringify(x)).digest('hex').slice(0, 10);
/** A file's content digest (10 hex digits): the cache key of a loaded generator; a missing file is a `DataError`. */
const fileDigest = (file: string): string => {
  if (!existsSync(file)) throw new DataError('benchmark', `gan.weights: no such file ${file}`);
  return createHash('sha1').update(readFileSync(file)).digest('hex').slice(0, 10);
};

const readJson = <T>(path: string): T | undefined => (existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined);
const writeJson = (path: string, x: unknown): void => writeFileAtomic(path, `${JSON.stringify(x, null, 1)}\n`);

// ---------------------------------------------------------------------------
// Split
// ---------------------------------------------------------------------------

/** The package's folder of committed splits. */
const SPLITS_DIR = fileURLToPath(new URL('../../assets/splits/', import.meta.url));

/** A split and where it is recorded. */
export interface ResolvedSplit {
  /** The split. */
  readonly split: DataSplit;
  /** The file it was read from or written to. */
  readonly file: string;
}

/**
 * The split a benchmark uses: the file `split` names, or for `auto` the package's
 * `assets/splits/<dataset folder name>.json` when it exists, else a new one ({@link makeSplit} with
 * `seed` and `validation`). It must partition `files` exactly.
 *
 * @example
 * ```ts
 * const { split, file } = resolveSplit(config, files);
 * ```
 */
export const resolveSplit = (c: Pick<BenchmarkConfig, 'split' | 'dataset' | 'seed' | 'validation'>, files: readonly string[]): ResolvedSplit => {
  const name = basename(c.dataset.replace(/\/+$/, ''));
  const shipped = join(SPLITS_DIR, `${name}.json`);
  const file = c.split !== 'auto' ? c.split : existsSync(shipped) ? shipped : '';
  const split = file === '' ? makeSplit(name, files, c.validation, c.seed) : readSplit(file);
  checkSplit(split, files, `benchmark split ${file || '(new)'}`);
  return { split, file: file === '' ? 'split.json (made by this run)' : file.startsWith(SPLITS_DIR) ? `assets/splits/${name}.json` : file };
};

// ---------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------

/** Options of {@link runBenchmark}. */
export interface BenchmarkOptions {
  /** Receives every stage's events. */
  readonly onEvent?: (e: PipelineEvent) => void;
  /** The method table. Default {@link METHODS}. */
  readonly methods?: MethodTable;
}

/** What {@link runBenchmark} returns. */
export interface BenchmarkRunResult {
  /** The leaderboard record (also in `report.json`). */
  readonly result: BenchmarkResult;
  /** Paths of `report.md` and `report.json`. */
  readonly report: {
    /** Path of `report.md`. */ readonly markdown: string;
    /** Path of `report.json`. */ readonly json: string;
  };
}

/** A cached entry: the leaderboard row, its levers, its grid. */
interface EntryRecord {
  readonly row: LeaderboardRow;
  readonly levers: readonly LeverRow[];
  readonly image?: string;
  readonly timings: Readonly<Record<string, number>>;
}

const variantsOf = (c: BenchmarkConfig): PhotoVariant[] => {
  const flips = c.segment.flip === 'auto' ? [false, true] : [c.segment.flip];
  const refines: Array<PhotoVariant['refine']> = c.refine.method === 'auto' ? ['none', 'grabcut'] : [c.refine.method];
  return refines.flatMap((refine) => flips.map((flip) => ({ flip, refine })));
};

/** Masks of every photo for one variant (probabilities for `none`, GrabCut's 0/1 masks for `grabcut`). */
const refineOptions = (c: BenchmarkConfig): RefineOptions => ({ definite: c.refine.definite, iterations: c.refine.iterations, ...(c.refine.box >= 0 ? { box: c.refine.box } : {}), ...(c.refine.maxSide > 0 ? { maxSide: c.refine.maxSide } : {}), ...(c.refine.rect >= 0 ? { rect: c.refine.rect } : {}) });

const variantMasks = async (photos: readonly Photo[], probs: { plain: Raster[]; flip?: Raster[] }, v: PhotoVariant, c: BenchmarkConfig): Promise<Raster[]> => {
  const p = v.flip ? (probs.flip as Raster[]) : probs.plain;
  const out: Raster[] = [];
  for (let i = 0; i < photos.length; i++) out.push(await photoMask((photos[i] as Photo).image, p[i] as Raster, v, refineOptions(c)));
  return out;
};

/** One scored variant of one segmenter on the validation part. */
interface Scored {
  /** `''` for the method's UNet, `self-trained` for the student. */
  readonly model: string;
  readonly v: PhotoVariant;
  readonly s: PartScores;
}

const leverName = (x: Pick<Scored, 'model' | 'v'>): string => (x.model === '' ? variantName(x.v) : `${x.model}, ${variantName(x.v)}`);

/** Every variant of a segmenter on the validation part. */
const scoreValidation = async (model: TrainableSegmenter, label: string, c: BenchmarkConfig, val: readonly Photo[]): Promise<Scored[]> => {
  const variants = variantsOf(c);
  const multiple = 2 ** c.unet.depth;
  const predict = (flip: boolean): Raster[] => val.map((p) => predictPhoto(model, c.resolution, p.image, { flip, multiple }));
  const probs = { plain: predict(false), ...(variants.some((v) => v.flip) ? { flip: predict(true) } : {}) };
  const out: Scored[] = [];
  for (const v of variants) out.push({ model: label, v, s: scorePart(await variantMasks(val, probs, v, c), val).scores });
  return out;
};

/** The chosen variant on the test part, and the plain one; writes the hardest-photos grid. */
const scoreTest = async (model: TrainableSegmenter, v: PhotoVariant, c: BenchmarkConfig, test: readonly Photo[], gridFile: string): Promise<{ test: PartScores; plain: PartScores }> => {
  const multiple = 2 ** c.unet.depth;
  const predict = (flip: boolean): Raster[] => test.map((p) => predictPhoto(model, c.resolution, p.image, { flip, multiple }));
  const probs = { plain: predict(false), ...(v.flip ? { flip: predict(true) } : {}) };
  const masks = await variantMasks(test, probs, v, c);
  const t = scorePart(masks, test);
  if (c.grid > 0 && test.length > 0) writeHardest(gridFile, test, masks, t.ious, c.grid);
  return { test: t.scores, plain: variantName(v) === 'plain' ? t.scores : scorePart(probs.plain, test).scores };
};

/**
 * Self-training on the unlabeled photos: the segmenter's masks of every photo (its best validation
 * variant, e.g. flip + GrabCut at full resolution) become the labels of a fresh UNet trained on the real
 * photos (short side to the run's side, centre crop — as the GAN saw them). No mask is read.
 */
const pseudoLabelled = async (model: TrainableSegmenter, v: PhotoVariant, c: BenchmarkConfig, imagesDir: string, files: readonly string[]): Promise<{ images: tf.Tensor4D; masks: tf.Tensor4D }> => {
  const s = c.resolution, multiple = 2 ** c.unet.depth, n = files.length;
  const img = new Float32Array(n * s * s * 3), msk = new Float32Array(n * s * s);
  for (const [i, f] of files.entries()) {
    const image = toRgb(readImage(join(imagesDir, f)));
    const p = predictPhoto(model, s, image, { flip: v.flip, multiple });
    const mask = await photoMask(image, p, v, refineOptions(c));
    const sq = fitSquare({ image, mask: { ...mask, data: mask.data.map((x) => (x > 0.5 ? 1 : 0)) } }, s);
    for (let k = 0; k < s * s * 3; k++) img[i * s * s * 3 + k] = (sq.image.data[k] as number) * 2 - 1;
    msk.set((sq.mask as Raster).data.subarray(0, s * s), i * s * s);
  }
  return { images: tf.tensor4d(img, [n, s, s, 3]), masks: tf.tensor4d(msk, [n, s, s, 1]) };
};

/** The baselines on both parts (cached by the split). */
const runBaselines = async (c: BenchmarkConfig, val: readonly Photo[], test: readonly Photo[], dir: string): Promise<EntryRecord[]> => {
  const entries: Array<[string, string, (p: Photo) => Promise<Raster> | Raster]> = [
    ['baseline: centre ellipse', 'ellipse with semi-axes 0.35·W, 0.35·H', (p) => centerPriorMask(p.image.width, p.image.height)],
    ['baseline: Otsu', 'Otsu threshold of the luma, the side touching the border less is foreground', (p) => otsuMask(p.image)],
    ['baseline: GrabCut', 'OpenCV grabCut from the central rectangle (5 % margins), 5 iterations', (p) => grabcutMask(p.image)],
  ];
  const out: EntryRecord[] = [];
  for (const [name, settings, f] of entries) {
    const t0 = performance.now();
    const run = async (photos: readonly Photo[]): Promise<Raster[]> => { const r: Raster[] = []; for (const p of photos) r.push(await f(p)); return r; };
    const v = scorePart(await run(val), val);
    const testPreds = await run(test);
    const tt = scorePart(testPreds, test);
    const image = name === 'baseline: GrabCut' && c.grid > 0 ? 'hardest-grabcut.png' : undefined;
    if (image) writeHardest(join(dir, image), test, testPreds, tt.ious, c.grid);
    const seconds = (performance.now() - t0) / 1000;
    out.push({ row: { name, kind: 'baseline', settings, validation: v.scores, test: tt.scores, seconds }, levers: [], ...(image ? { image } : {}), timings: { [name]: seconds } });
  }
  return out;
};

const segmenterConfig = (c: BenchmarkConfig, spec: AnyMethodSpec): SegmenterTrainConfig => ({
  ...melasKyriaziSegmenterDefaults, seed: String(c.seed), steps: c.unet.steps, batchSize: c.unet.batchSize,
  optimizer: { ...melasKyriaziSegmenterDefaults.optimizer, lr: c.unet.lr } as AdamConfig,
  augment: c.unet.augment,
  ...(spec.segmenterLoss ? { bceWeight: spec.segmenterLoss.crossEntropy, diceWeight: spec.segmenterLoss.dice } : {}),
  // As `run`: the paper's ×0.2 every 8000 of 18000 steps, at the same fractions of this run.
  schedule: { kind: 'step', every: Math.max(1, Math.round((c.unet.steps * 8000) / 18000)), factor: 0.2 } as LrSchedule,
  validateEvery: 0 as SegmenterTrainConfig['validateEvery'], checkpointEvery: Math.max(100, Math.floor(c.unet.steps / 4)) as SegmenterTrainConfig['checkpointEvery'], logEvery: 25 as SegmenterTrainConfig['logEvery'],
});

/** Whether a method runs on the benchmark's shared GAN (its generator or discriminator) rather than training its own. */
const usesSharedGan = (spec: AnyMethodSpec): boolean => spec.needs.includes('generator') || spec.needs.includes('discriminator');

const unwrap = async <A>(te: () => Promise<E.Either<GanSegmenterError, A>>): Promise<A> => {
  const r = await te();
  if (E.isLeft(r)) throw r.left;
  return r.right;
};

/**
 * Run the benchmark (see the module doc) and write `<out>/report.md`, `<out>/report.json`, the split
 * used (`<out>/split.json`) and `hardest-<entry>.png` grids. A method that fails to run is listed with
 * its error; the others go on.
 *
 * @example
 * ```ts
 * const { result } = await runBenchmark({ dataset: '../shared/datasets/weizmann-horse', ...BENCHMARK_QUICK });
 * console.log(result.rows[0]);
 * ```
 */
export const runBenchmark = async (config: unknown, options: BenchmarkOptions = {}): Promise<BenchmarkRunResult> => {
  const d = decodeBenchmarkConfig(config);
  if (E.isLeft(d)) throw d.left;
  const c = d.right;
  const table = options.methods ?? METHODS;
  const specs = c.methods.map((m) => findMethod(table, m)); // unknown names fail before any work
  const decodedMethodCfgs = specs.map((s) => {
    const m = decodeMethodConfig(s, c.methodConfigs[s.name], s.name, true);
    if (E.isLeft(m)) throw m.left;
    return m.right;
  });
  const folders = resolveLabelledDir(c.dataset);
  const sf = new SegmentationFolder(folders.images, folders.masks);
  const pairs = new Map(sf.pairs.map((p) => [p.image, p.mask]));
  const { split, file: splitFile } = resolveSplit(c, [...pairs.keys()]);
  // The GAN's cache key (a loaded file's by its content: a missing file fails here, before any work).
  const ganKey = c.gan.weights !== ''
    ? `file-${basename(c.gan.weights).replace(/[^\w.-]+/g, '_')}-${fileDigest(c.gan.weights)}`
    : `${basename(c.dataset.replace(/\/+$/, ''))}-r${c.resolution}-w${c.gan.width}-b${c.gan.batchSize}-s${c.gan.steps}-seed${String(c.seed)}${c.gan.augment.length > 0 ? `-${c.gan.augment.join('-')}` : ''}`;
  writeSplit(join(c.out, 'split.json'), split);
  const lim = (xs: readonly string[]): readonly string[] => (c.limit > 0 ? xs.slice(0, c.limit) : xs);
  const val = loadPhotos(c.dataset, lim(split.validation), pairs), test = c.test ? loadPhotos(c.dataset, lim(split.test), pairs) : [];
  const timings: Record<string, number> = {};
  const evalKey = hash({ split, limit: c.limit, grid: c.grid, segment: c.segment, refine: c.refine, test: c.test, selftrain: c.selftrain });
  const allFiles = [...split.validation, ...split.test].sort();

  // Baselines (cached by the split and the photos scored).
  const baseFile = join(c.out, `baselines-${hash({ split, limit: c.limit, grid: c.grid, test: c.test })}.json`);
  let baselines = readJson<EntryRecord[]>(baseFile);
  if (!baselines) {
    options.onEvent?.({ type: 'stage-start', stage: 'baselines' });
    const t0 = performance.now();
    baselines = await runBaselines(c, val, test, c.out);
    writeJson(baseFile, baselines);
    options.onEvent?.({ type: 'stage-end', stage: 'baselines', seconds: (performance.now() - t0) / 1000, record: baselines.map((b) => b.row.name) });
  }
  for (const b of baselines) Object.assign(timings, b.timings);

  // The GAN: trained once per folder and settings, on every photo unlabeled.
  const runCfg = decodeRunConfig({ out: join(c.out, 'gan', ganKey), seed: c.seed, resolution: c.resolution, train: { dataset: c.dataset }, gan: c.gan, resume: true }, 'benchmark');
  if (E.isLeft(runCfg)) throw runCfg.left;
  const rc = runCfg.right;
  const rng = new Rng(c.seed);
  let reals: ImageSet | undefined;
  const getReals = async (): Promise<ImageSet> => (reals ??= await loadTrainImages(rc, rng));
  let gen: Awaited<ReturnType<typeof loadOrTrainGenerator>> | undefined;

  const entries: EntryRecord[] = [...baselines];
  for (const [k, spec] of specs.entries()) {
    const methodCfg = decodedMethodCfgs[k];
    const key = hash({ method: spec.name, methodCfg: toJson(methodCfg), ganKey, dataset: c.dataset, data: c.data, unet: c.unet, resolution: c.resolution });
    const dir = join(c.out, 'methods', `${spec.name}-${key}`);
    const resultFile = join(dir, `result-${evalKey}.json`);
    const cached = readJson<EntryRecord>(resultFile);
    if (cached) { entries.push(cached); Object.assign(timings, cached.timings); continue; }
    const t0 = performance.now();
    const mine: Record<string, number> = {};
    const memit = (e: PipelineEvent): void => {
      if (e.type === 'stage-end') mine[`${spec.name}: ${e.stage}`] = (mine[`${spec.name}: ${e.stage}`] ?? 0) + e.seconds;
      options.onEvent?.(e);
    };
    const made: TrainableSegmenter[] = []; // UNets of this entry, freed whatever happens
    try {
      const needs = new Set<MethodNeed>(spec.needs);
      if (usesSharedGan(spec) && gen === undefined) {
        gen = await loadOrTrainGenerator(rc, rng, memit, getReals);
        if (gen.generator.resolution !== c.resolution) {
          const side = gen.generator.resolution;
          gen.generator.dispose();
          gen = undefined;
          throw new ConfigError('benchmark', [{ path: 'resolution', expected: `the side of gan.weights' generator (${side}): resolution=${side}`, given: String(c.resolution) }]);
        }
      }
      const inputs: Partial<MethodInputs> = {
        ...(gen ? { generator: gen.generator } : {}),
        ...(gen?.discriminator ? { discriminator: gen.discriminator } : {}),
        ...(needs.has('reals') ? { reals: await getReals() } : {}),
      };
      const mrng = rng.fork(`method-${spec.name}`);
      const ctx: PipelineContext = { rng: mrng, onEvent: memit, outDir: dir };
      const source = await unwrap(stage(spec.stage, ctx, (_: null) => spec.prepare(inputs as InputsFor<MethodNeed>, methodCfg, ctx))(null));
      spec.save?.(source, dir, 0);
      let data;
      try {
        data = await unwrap(generateData({ mode: 'memory', count: c.data.count, previewCount: 16 }, ctx)(source));
      } catch (e) {
        const relaxed = e instanceof DataError ? spec.relax?.(source, e) : undefined;
        if (!relaxed) throw e;
        data = await unwrap(generateData({ mode: 'memory', count: c.data.count, previewCount: 16 }, ctx)(relaxed.source));
      }
      const unetCfg = { inChannels: 3, nClasses: source.classes === 1 ? 2 : source.classes, width: c.unet.width, depth: c.unet.depth, bilinear: false };
      const model = createUNet(unetCfg, mrng.fork('unet-init'));
      made.push(model);
      await unwrap(trainSegmenterStage({
        config: segmenterConfig(c, spec), model: () => model, resolution: c.resolution,
        out: join(dir, 'unet'), resume: true, modelRecord: { ...unetCfg, resolution: c.resolution },
      }, ctx)(data));
      data.dispose();
      source.dispose();
      memit({ type: 'stage-start', stage: 'evaluate' });
      let te = performance.now();
      const scored = await scoreValidation(model, '', c, val);
      memit({ type: 'stage-end', stage: 'evaluate', seconds: (performance.now() - te) / 1000, record: null });
      let student: TrainableSegmenter | undefined;
      if (c.selftrain.rounds > 0) {
        // The teacher's best validation variant labels every photo (no mask read); a fresh UNet learns them.
        const teacher = scored.reduce((a, b) => (b.s.iou > a.s.iou ? b : a));
        memit({ type: 'stage-start', stage: 'pseudo-labels' });
        te = performance.now();
        const files = c.selftrain.photos > 0 ? allFiles.slice(0, c.selftrain.photos) : allFiles;
        const set = await pseudoLabelled(model, teacher.v, c, folders.images, files);
        memit({ type: 'stage-end', stage: 'pseudo-labels', seconds: (performance.now() - te) / 1000, record: { photos: files.length, variant: variantName(teacher.v) } });
        const st = createUNet(unetCfg, mrng.fork('selftrain-init'));
        made.push(st);
        const pairs = epochBatchesOf(set, `${String(c.seed)}/selftrain`);
        const preview = { images: tf.slice(set.images, 0, Math.min(8, files.length)), masks: tf.slice(set.masks, 0, Math.min(8, files.length)) };
        await unwrap(trainSegmenterStage({
          config: { ...segmenterConfig(c, spec), steps: c.selftrain.steps as SegmenterTrainConfig['steps'], schedule: { kind: 'step', every: Math.max(1, Math.round((c.selftrain.steps * 8000) / 18000)), factor: 0.2 } as LrSchedule, checkpointEvery: Math.max(100, Math.floor(c.selftrain.steps / 4)) as SegmenterTrainConfig['checkpointEvery'] },
          model: () => st, resolution: c.resolution, out: join(dir, `selftrain-${hash({ selftrain: c.selftrain, refine: c.refine, teacher: teacher.v, split })}`), resume: true, modelRecord: { ...unetCfg, resolution: c.resolution },
        }, { ...ctx, onEvent: (e) => memit(e.type === 'stage-start' || e.type === 'stage-end' || e.type === 'stage-progress' ? { ...e, stage: 'self-train' } : e) })({
          kind: 'synthetic-data', pairs, preview, record: { photos: files.length }, dispose: () => tf.dispose([preview.images, preview.masks]),
        }));
        tf.dispose([set.images, set.masks, preview.images, preview.masks]);
        student = st;
        memit({ type: 'stage-start', stage: 'evaluate' });
        te = performance.now();
        scored.push(...(await scoreValidation(st, 'self-trained', c, val)));
        memit({ type: 'stage-end', stage: 'evaluate', seconds: (performance.now() - te) / 1000, record: null });
      }
      const best = scored.reduce((a, b) => (b.s.iou > a.s.iou ? b : a));
      memit({ type: 'stage-start', stage: 'evaluate' });
      te = performance.now();
      const image = `hardest-${spec.name}.png`;
      const tt = await scoreTest(best.model === '' ? model : (student as TrainableSegmenter), best.v, c, test, join(c.out, image));
      memit({ type: 'stage-end', stage: 'evaluate', seconds: (performance.now() - te) / 1000, record: null });
      const rec: EntryRecord = {
        row: { name: spec.name, kind: 'method', settings: leverName(best), validation: best.s, test: tt.test, testPlain: tt.plain, seconds: (performance.now() - t0) / 1000 },
        levers: scored.map((x) => ({ method: spec.name, variant: leverName(x), validationIou: x.s.iou, chosen: x === best })),
        ...(c.grid > 0 && test.length > 0 ? { image } : {}), timings: mine,
      };
      writeJson(resultFile, rec);
      entries.push(rec);
      Object.assign(timings, mine);
    } catch (e) {
      const nan: PartScores = { n: 0, iou: NaN, acc: NaN, fmax: NaN };
      entries.push({ row: { name: spec.name, kind: 'method', settings: '', validation: nan, test: nan, seconds: (performance.now() - t0) / 1000, error: e instanceof Error ? e.message : String(e) }, levers: [], timings: mine });
      Object.assign(timings, mine);
    } finally {
      for (const m of made) m.dispose();
    }
  }
  reals?.images.dispose();
  gen?.discriminator?.dispose();
  gen?.generator.dispose();

  const n = entries.filter((x) => x.row.kind === 'method' && x.row.error === undefined);
  const ganNote = !specs.some(usesSharedGan)
    ? 'no shared GAN (every method trains its own generator)'
    : `the GAN (${c.gan.weights !== '' ? `loaded from ${c.gan.weights}${gen ? `, ${String((gen.record as { id?: unknown }).id)}` : ''}, ${c.resolution}²` : `DCGAN ${c.resolution}², width ${c.gan.width}, ${c.gan.steps} steps of batch ${c.gan.batchSize}${c.gan.augment.length > 0 ? `, DiffAugment ${c.gan.augment.join('+')}` : ''}`})`;
  const result: BenchmarkResult = {
    title: `gan-segmenter benchmark — ${basename(c.dataset.replace(/\/+$/, ''))}`,
    dataset: c.dataset,
    split: { file: splitFile, validation: val.length, test: test.length, seed: split.seed },
    notes: [
      `Protocol: ${ganNote} and the methods use all ${pairs.size} photos unlabeled; evaluation settings are chosen on the validation masks; the leaderboard is the test part.`,
      `Scoring at the photos' own resolution: the photo's short side resized (area filter) to ${c.resolution}, the long side in proportion (a multiple of ${2 ** c.unet.depth}); the foreground probability upsampled bilinearly (half-pixel centres, as PyTorch's align_corners=False) to the full size, thresholded at 0.5; per-image IoU, accuracy and max F-β (melas-kyriazi protocol), mean over photos. Baselines run on the full-size photos.`,
      `Synthetic pairs: ${c.data.count}; UNet width ${c.unet.width}, depth ${c.unet.depth}, ${c.unet.steps} steps of batch ${c.unet.batchSize}, Adam ${c.unet.lr}, augmentation ${c.unet.augment.join('+') || 'none'}.`,
      `Levers: test-time flip averaging (${String(c.segment.flip)}), self-training (${c.selftrain.rounds > 0 ? `a fresh UNet, ${c.selftrain.steps} steps on the teacher's best validation variant's masks of ${c.selftrain.photos > 0 ? `the first ${c.selftrain.photos}` : 'all'} unlabeled photos` : 'off'}), GrabCut refinement seeded from the UNet's probability (${c.refine.method}; ${c.refine.definite > 1 ? 'the probability as probable labels only (p > 0.5 probable foreground)' : `definite where p ≥ ${c.refine.definite} or ≤ ${(1 - c.refine.definite).toFixed(2)}`}${c.refine.box >= 0 ? `, definite background outside the predicted mask's box enlarged by ${c.refine.box} of its size` : ''}${c.refine.rect >= 0 ? `, definite background outside the central rectangle with ${c.refine.rect} margins` : ''}${c.refine.maxSide > 0 ? `, at a longer side of at most ${c.refine.maxSide} px, mask upsampled bilinearly` : ''}, ${c.refine.iterations} iterations).`,
      ...(c.test ? [] : ['test=false: the test part was not scored (its columns are empty).']),
      ...(n.length === 0 ? ['No method ran.'] : []),
      `Seed ${String(c.seed)}, backend ${tf.getBackend()}.`,
    ],
    rows: entries.map((x) => x.row),
    levers: entries.flatMap((x) => x.levers),
    timings,
    images: Object.fromEntries(entries.filter((x) => x.image !== undefined).map((x) => [x.row.name, x.image as string])),
    config: toJson({ ...c, methodConfigs: Object.fromEntries(specs.map((s, i) => [s.name, toJson(decodedMethodCfgs[i])])) }) as Json,
  };
  const md = join(c.out, 'report.md'), js = join(c.out, 'report.json');
  writeFileAtomic(md, benchmarkMarkdown(result));
  writeFileAtomic(js, benchmarkJson(result));
  return { result, report: { markdown: md, json: js } };
};
