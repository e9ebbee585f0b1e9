/**
 * The whole latent-direction method on the embedded `shapes` benchmark — what
 * `npm run demo` and `gan-segmenter run` execute: a generator (loaded, or a
 * small DCGAN trained on unlabeled `shapes` images in the run) → direction →
 * synthetic (image, mask) set → UNet → evaluation on held-out `shapes` images
 * with their exact masks → `report.md`, `report.json` and PNG grids.
 *
 * No mask of a real image is used before the evaluation.
 *
 * @module
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { listImages } from '../data/folder.ts';
import { fitSquare } from '../data/augment.ts';
import { centerPriorMask, otsuMask } from '../data/baselines.ts';
import { readImage } from '../io/image-file.ts';
import { channel, toRgb } from '../io/image.ts';
import * as t from 'io-ts';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { Rng } from '../core/rng.ts';
import { decode, PositiveInt } from '../core/codec.ts';
import { DataError, type ConfigError, type GanSegmenterError } from '../core/errors.ts';
import { createDCGANDiscriminator, createDCGANGenerator, dcganSmall32 } from '../models/dcgan/index.ts';
import type { Generator } from '../models/generator.ts';
import { createUNet } from '../models/unet/index.ts';
import { trainGan, dcganTrainDefaults, epochBatches, type GanTrainConfig } from '../train/gan.ts';
import { DiffAugmentPolicy } from '../train/augment.ts';
import { SegmenterAugmentation, seed000SegmenterDefaults, type SegmenterTrainConfig } from '../train/segmenter.ts';
import type { AdamConfig, LrSchedule } from '../train/adam.ts';
import { shapesDataset } from '../data/shapes.ts';
import { writeSafetensors } from '../io/safetensors-file.ts';
import { loadGeneratorFile } from './generators.ts';
import { writeGrid } from '../io/image-file.ts';
import { decodeLatentDirectionConfig } from '../methods/latent-direction/config.ts';
import { saveDirection } from '../methods/latent-direction/direction-file.ts';
import { directionMaskSource, findDirection, type DirectionArtifact } from './methods/latent-direction.ts';
import { generateData, useGenerator } from './stages.ts';
import { ensembleSegmenters, evaluateStage, protocolMetrics, trainSegmenterStage, type LabelledSet } from './segmenter.ts';
import { writeReport, type ReportPaths, type ReportRow } from './report.ts';
import type { Json, PipelineContext, PipelineEvent, SegmenterArtifact, SyntheticDataArtifact } from './types.ts';

// ---------------------------------------------------------------------------
// Config
// ---------------------------------------------------------------------------

/** A folder of photos with masks of the same stems. */
export const FolderDataset = t.type({
  /** Image folder (JPEG/PNG). */
  images: t.string,
  /** Mask folder (PNG, same stems; used only for evaluation). */
  masks: t.string,
}, 'FolderDataset');

/** Synthetic-set settings. */
export const RunDataConfig = t.type({
  /** Pairs kept in memory. */
  count: PositiveInt,
}, 'RunDataConfig');

/** Evaluation settings. */
export const RunEvalConfig = t.type({
  /** Held-out shapes images. */
  count: PositiveInt,
  /**
   * Which `shapes` images to score: `test` (the held-out set the report is about) or `validation` (a
   * second set from its own seed stream, for choosing settings without looking at the test set).
   * Folder datasets have one set and ignore it.
   */
  split: t.union([t.literal('test'), t.literal('validation')]),
}, 'RunEvalConfig');

/**
 * The name of an evaluation split's `shapes` images: the seed stream they are drawn from, and the word
 * reports use for them (`held-out` for the test split, `validation` for the other).
 *
 * @example
 * ```ts
 * evalSetName('test'); // 'held-out'
 * ```
 */
export const evalSetName = (split: t.TypeOf<typeof RunEvalConfig>['split']): 'held-out' | 'validation' => (split === 'test' ? 'held-out' : 'validation');

/** The shapes pipeline's settings (defaults: `gan-segmenter run --help`). */
export const ShapesRunConfig = t.type({
  /** Seed of every random draw. */
  seed: t.union([t.number, t.string]),
  /** Output folder. */
  out: t.string,
  /** Data: the embedded `shapes` benchmark, or a folder of photos (GAN trained on `images`; `masks` only for evaluation). */
  dataset: t.union([t.literal('shapes'), FolderDataset]),
  /** Image side (the GAN's and the UNet's). */
  resolution: PositiveInt,
  /** Generator: `weights` = a generator file `train-gan` wrote, DCGAN or StyleGAN2 ('' = train a DCGAN here). */
  gan: t.type({
    /** Generator weights to load (DCGAN or StyleGAN2 safetensors); '' trains a DCGAN on unlabeled shapes images in the run. */
    weights: t.string,
    /** Unlabeled training images. */
    trainImages: PositiveInt,
    /** GAN steps. */
    steps: PositiveInt,
    /** GAN batch size. */
    batchSize: PositiveInt,
    /** DCGAN `ngf`/`ndf`. */
    width: PositiveInt,
    /** DiffAugment policy for the discriminator's inputs (`color`, `translation`, `cutout`; [] = none), for GANs on few images. */
    augment: DiffAugmentPolicy,
  }),
  /** Latent-direction settings (partial; the paper's defaults fill the rest). */
  direction: t.unknown,
  /** Synthetic pairs kept in memory. */
  data: RunDataConfig,
  /** UNet and its training. */
  unet: t.type({
    /** Channels of the first level. */ width: PositiveInt,
    /** Down/up steps. */ depth: PositiveInt,
    /** Training steps. */ steps: PositiveInt,
    /** Batch size. */ batchSize: PositiveInt,
    /** Adam learning rate (paper 1e-3). */ lr: t.number,
    /** Seeded augmentation of the synthetic pairs (`flip`, `crop`, `color`). */ augment: t.array(SegmenterAugmentation),
  }),
  /**
   * Members of the ensemble: each runs its own direction, synthetic pairs and UNet (member 0 from
   * the run's seed, member m from its fork `member-m`); the evaluation averages their probabilities.
   */
  ensemble: PositiveInt,
  /** Held-out evaluation. */
  eval: RunEvalConfig,
  /** Continue a killed run from its checkpoints in `out` (false: start over, clearing `out/gan` and `out/unet`). */
  resume: t.boolean,
}, 'ShapesRunConfig');
/** See {@link ShapesRunConfig}. */
export type ShapesRunConfig = t.TypeOf<typeof ShapesRunConfig>;

/* The demo's defaults (sized for ~15 minutes on 2 CPU cores). */
const SHAPES_RUN_DEFAULTS = {
  seed: 0,
  out: 'out',
  dataset: 'shapes',
  resolution: 32,
  gan: { weights: '', trainImages: 4000, steps: 1500, batchSize: 32, width: 32, augment: [] },
  // Masks at a small shift rather than the paper's 5 (its BigBiGAN): on the small DCGANs a shift of 5
  // (~45 % of |z|) redraws the object as a centred blob. 1 was chosen among 0.5, 1, 1.5, 2 on the
  // validation split (src/methods/latent-direction/README.md has the measurements).
  direction: { batchSize: 32, iterations: 300, maskRadius: 1 },
  data: { count: 6000 },
  unet: { width: 16, depth: 3, steps: 2400, batchSize: 16, lr: 1e-3, augment: ['flip', 'crop', 'color'] },
  ensemble: 1,
  eval: { count: 200, split: 'test' },
  resume: false,
};

/**
 * Decode a (partial) config over the demo's defaults (see `gan-segmenter run --help`).
 *
 * @example
 * ```ts
 * const cfg = decodeShapesRunConfig({ unet: { steps: 100 } });
 * ```
 */
export const decodeShapesRunConfig = (input: unknown, where = 'shapes run config'): E.Either<ConfigError, ShapesRunConfig> => {
  const u = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const d = SHAPES_RUN_DEFAULTS as Record<string, unknown>;
  const merged: Record<string, unknown> = { ...d, ...u };
  for (const k of ['gan', 'data', 'unet', 'eval', 'direction']) {
    const a = d[k], b = u[k];
    if (typeof b === 'object' && b !== null && !Array.isArray(b)) merged[k] = { ...(a as object), ...b };
  }
  return decode(ShapesRunConfig, merged, where);
};

// ---------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------

/**
 * A folder of photos and masks (same stems) as tensors at `size`² (short side
 * resized, centre-cropped; nearest for masks): images [-1,1], masks {0,1}.
 *
 * @example
 * ```ts
 * const set = loadFolderPairs('horse/images', 'horse/masks', 32);
 * ```
 */
export const loadFolderPairs = (imagesDir: string, masksDir: string, size: number): LabelledSet => {
  const files = listImages(imagesDir);
  const n = files.length;
  const img = new Float32Array(n * size * size * 3), msk = new Float32Array(n * size * size);
  files.forEach((f, i) => {
    const stem = basename(f, extname(f));
    const p = fitSquare({ image: toRgb(readImage(join(imagesDir, f))), mask: channel(readImage(join(masksDir, `${stem}.png`)), 0) }, size);
    for (let k = 0; k < size * size * 3; k++) img[i * size * size * 3 + k] = (p.image.data[k] as number) * 2 - 1;
    for (let k = 0; k < size * size; k++) msk[i * size * size + k] = (p.mask?.data[k] as number) > 0.5 ? 1 : 0;
  });
  return { name: imagesDir, images: tf.tensor4d(img, [n, size, size, 3]), masks: tf.tensor4d(msk, [n, size, size, 1]) };
};

/** `n` shapes samples as tensors: images [-1,1], masks {0,1}. */
export const loadShapes = async (rng: Rng, n: number, size: number): Promise<LabelledSet> => {
  const ds = shapesDataset(rng, n, { size });
  const img = new Float32Array(n * size * size * 3), msk = new Float32Array(n * size * size);
  for (let i = 0; i < n; i++) {
    const s = await ds.get(i);
    const a = s.image.data, b = s.mask.data;
    for (let k = 0; k < size * size * 3; k++) img[i * size * size * 3 + k] = (a[k] as number) * 2 - 1;
    msk.set(b.subarray(0, size * size), i * size * size);
  }
  return { name: ds.name, images: tf.tensor4d(img, [n, size, size, 3]), masks: tf.tensor4d(msk, [n, size, size, 1]) };
};

// ---------------------------------------------------------------------------
// Generator
// ---------------------------------------------------------------------------

const dcganConfig = (c: ShapesRunConfig): typeof dcganSmall32 => ({ ...dcganSmall32, resolution: c.resolution as number as typeof dcganSmall32.resolution, width: c.gan.width, dWidth: c.gan.width });

const loadOrTrainGenerator = async (c: ShapesRunConfig, rng: Rng, emit: (e: PipelineEvent) => void): Promise<{ g: Generator; record: Json; seconds: number }> => {
  const t0 = performance.now();
  if (c.gan.weights !== '') {
    const g = loadGeneratorFile(c.gan.weights); // DCGAN or StyleGAN2 (use direction.space=w for the latter's W)
    return { g, record: { source: c.gan.weights, id: g.id }, seconds: (performance.now() - t0) / 1000 };
  }
  emit({ type: 'stage-start', stage: 'train-gan' });
  const real = c.dataset === 'shapes' ? await loadShapes(rng.fork('gan-train-images'), c.gan.trainImages, c.resolution) : loadFolderPairs(c.dataset.images, c.dataset.masks, c.resolution);
  real.masks.dispose(); // the GAN never sees masks
  const nTrain = real.images.shape[0];
  const id = `dcgan-${c.resolution}-w${c.gan.width}/${c.dataset === 'shapes' ? 'shapes' : basename(c.dataset.images)}-seed${String(c.seed)}-steps${c.gan.steps}${c.gan.augment.length > 0 ? `-diffaug-${c.gan.augment.join('-')}` : ''}`;
  const g = createDCGANGenerator(dcganConfig(c), rng.fork('g-init'), id);
  const gEma = createDCGANGenerator(dcganConfig(c), rng.fork('g-init'), id);
  const d = createDCGANDiscriminator(dcganConfig(c), rng.fork('d-init'));
  const config: GanTrainConfig = {
    ...dcganTrainDefaults, seed: String(c.seed), steps: c.gan.steps, batchSize: c.gan.batchSize,
    sampleEvery: 0 as GanTrainConfig['sampleEvery'], checkpointEvery: Math.max(100, Math.floor(c.gan.steps / 5)) as GanTrainConfig['checkpointEvery'],
    logEvery: 25 as GanTrainConfig['logEvery'], emaKimg: 0, augment: c.gan.augment,
  };
  const out = join(c.out, 'gan');
  await trainGan({
    config, networks: { generator: g, generatorEma: gEma, discriminator: d }, reals: epochBatches(real.images, `${String(c.seed)}/gan`), out, resume: true,
    writeSamples: (x, f) => writeGrid(f, [x], { maxColumns: 16 }),
    onEvent: (e) => { if (e.type === 'step') emit({ type: 'stage-progress', stage: 'train-gan', step: e.step, total: e.totalSteps, scalars: e.scalars }); },
  });
  real.images.dispose();
  d.dispose();
  g.dispose();
  writeSafetensors(join(c.out, 'generator.safetensors'), gEma.stateDict(), { model: 'dcgan', id, config: JSON.stringify(dcganConfig(c)) });
  const seconds = (performance.now() - t0) / 1000;
  const record: Json = { source: 'trained in this run', id, steps: c.gan.steps, batchSize: c.gan.batchSize, trainImages: nTrain, augment: c.gan.augment, weights: join(c.out, 'generator.safetensors') };
  emit({ type: 'stage-end', stage: 'train-gan', seconds, record });
  return { g: gEma, record, seconds };
};

// ---------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------

/** What {@link runShapesPipeline} returns. */
export interface ShapesRunResult {
  /** Metrics of the UNet on the held-out images (`melas-kyriazi` protocol). */
  readonly metrics: Readonly<Record<string, number>>;
  /** Seconds per stage. */
  readonly timings: Readonly<Record<string, number>>;
  /** Paths of `report.md` and `report.json`. */
  readonly report: ReportPaths;
}

/**
 * Run the whole method on `shapes` and write the report.
 *
 * @example
 * ```ts
 * const cfg = decodeShapesRunConfig({ out: 'out' });
 * if (E.isRight(cfg)) console.log((await runShapesPipeline(cfg.right)).metrics.iou);
 * ```
 */
export const runShapesPipeline = async (c: ShapesRunConfig, hooks: { onEvent?: (e: PipelineEvent) => void } = {}): Promise<ShapesRunResult> => {
  const dirCfg = decodeLatentDirectionConfig(c.direction, 'direction');
  if (E.isLeft(dirCfg)) throw dirCfg.left;
  mkdirSync(c.out, { recursive: true });
  const unetDir = (m: number): string => join(c.out, m === 0 ? 'unet' : `unet-${m}`);
  if (!c.resume) for (const dir of [join(c.out, 'gan'), ...Array.from({ length: c.ensemble }, (_, m) => unetDir(m))]) rmSync(dir, { recursive: true, force: true });
  const rng = new Rng(c.seed);
  const timings: Record<string, number> = {};
  const records: Record<string, Json> = {};
  const emit = (e: PipelineEvent): void => {
    // Ensemble members repeat the stages: their times add up, their records are listed.
    if (e.type === 'stage-end') {
      timings[e.stage] = (timings[e.stage] ?? 0) + e.seconds;
      const prev = records[e.stage];
      records[e.stage] = prev === undefined ? e.record : [...(c.ensemble > 1 && Array.isArray(prev) ? prev : [prev]), e.record];
    }
    hooks.onEvent?.(e);
  };
  const ctx: PipelineContext = { rng, onEvent: emit, outDir: c.out };

  const { g, record: genRecord, seconds: genSeconds } = await loadOrTrainGenerator(c, rng, emit);
  if (c.gan.weights !== '') { timings['load-generator'] = genSeconds; records['load-generator'] = genRecord; }
  const heldOut = c.dataset === 'shapes' ? await loadShapes(rng.fork(evalSetName(c.eval.split)), c.eval.count, c.resolution) : loadFolderPairs(c.dataset.images, c.dataset.masks, c.resolution);
  const nEval = heldOut.images.shape[0];
  const unetCfg = { inChannels: 3, nClasses: 2, width: c.unet.width, depth: c.unet.depth, bilinear: false };
  const segCfg: SegmenterTrainConfig = {
    ...seed000SegmenterDefaults, seed: String(c.seed), steps: c.unet.steps, batchSize: c.unet.batchSize,
    optimizer: { ...seed000SegmenterDefaults.optimizer, lr: c.unet.lr } as AdamConfig,
    augment: c.unet.augment,
    // Paper: ×0.2 every 8000 of 18000 steps — the same fractions of our run.
    schedule: { kind: 'step', every: Math.max(1, Math.round((c.unet.steps * 8000) / 18000)), factor: 0.2 } as LrSchedule,
    validateEvery: 0 as SegmenterTrainConfig['validateEvery'], checkpointEvery: Math.max(100, c.unet.steps) as SegmenterTrainConfig['checkpointEvery'], logEvery: 25 as SegmenterTrainConfig['logEvery'],
  };
  let direction: DirectionArtifact | undefined;
  const notes: string[] = [];
  // One member: direction → synthetic pairs → UNet. Member 0 draws from the run's own streams (a run
  // with ensemble 1 is exactly the single-model run); member m from the fork `member-m`.
  const member = (m: number): TE.TaskEither<GanSegmenterError, { seg: SegmenterArtifact; data: SyntheticDataArtifact; dir: DirectionArtifact }> => {
    const mrng = m === 0 ? rng : rng.fork(`member-${m}`);
    const mctx: PipelineContext = m === 0 ? ctx : { ...ctx, rng: mrng };
    const tag = m === 0 ? '' : ` (ensemble member ${m})`;
    return pipe(
      TE.right(useGenerator(g, String((genRecord as { source?: string }).source ?? ''))),
      TE.chain(findDirection(dirCfg.right, mctx)),
      TE.chain((d) => {
        saveDirection(join(c.out, m === 0 ? 'direction.safetensors' : `direction-${m}.safetensors`), d.direction);
        const gen = generateData({ mode: 'memory', count: c.data.count, previewCount: 16 }, mctx);
        // When the paper's filters keep nothing (the direction does not separate fg/bg on this generator),
        // keep the run going with the size and histogram filters off, and say so in the report.
        return pipe(gen(d), TE.orElse((e) => {
          if (!(e instanceof DataError)) return TE.left(e);
          notes.push(`The paper's mask filters kept no image${tag} (${e.message.split(': ').slice(1).join(': ')}); the synthetic set was made with the size and histogram filters OFF (connected components kept).`);
          return gen(directionMaskSource(g, d.direction, { ...d.config, filters: { ...d.config.filters, sizeRange: null, histogramBins: 0 as typeof d.config.filters.histogramBins } }));
        }), TE.map((data) => ({ d, data })));
      }),
      TE.chain(({ d, data }) => pipe(
        trainSegmenterStage({
          config: m === 0 ? segCfg : { ...segCfg, seed: `${String(c.seed)}/member-${m}` },
          model: () => createUNet(unetCfg, mrng.fork('unet-init')), resolution: c.resolution, out: unetDir(m), resume: c.resume, modelRecord: { ...unetCfg, resolution: c.resolution },
        }, mctx)(data),
        TE.map((seg) => ({ seg, data, dir: d })),
      )),
    );
  };
  const members: { seg: SegmenterArtifact; data: SyntheticDataArtifact; dir: DirectionArtifact }[] = [];
  const result = await pipe(
    Array.from({ length: c.ensemble }, (_, m) => m).reduce<TE.TaskEither<GanSegmenterError, void>>(
      (acc, m) => pipe(acc, TE.chain(() => member(m)), TE.map((r) => {
        // Keep member 0's pairs and direction for the pictures; later members' pairs are freed once trained.
        if (m > 0) { r.data.dispose(); r.dir.dispose(); }
        members.push(r);
      })),
      TE.right(undefined),
    ),
    TE.chain(() => {
      direction = members[0]?.dir;
      return evaluateStage(heldOut, protocolMetrics('melas-kyriazi'), ctx)(ensembleSegmenters(members.map((r) => r.seg)));
    }),
    TE.map((ev) => ({ ev, data: (members[0] as { data: SyntheticDataArtifact }).data })),
  )();
  if (E.isLeft(result)) throw result.left;
  const { ev, data } = result.right;

  // Pictures.
  const pic = (name: string): string => join(c.out, name);
  const found = direction ? direction.direction.synthesizeMasks(g, 8, rng.fork('grid'), dirCfg.right.filters) : undefined;
  if (found) writeGrid(pic('direction.png'), [found.images, found.shifted, found.rawMasks, found.masks], { maxColumns: 8 });
  if (found) for (const x of [found.images, found.shifted, found.rawMasks, found.masks]) x.dispose();
  writeGrid(pic('synthetic.png'), [data.preview.images, data.preview.masks, { image: data.preview.images, mask: data.preview.masks }], { maxColumns: 16 });
  const show = tf.tidy(() => tf.slice(heldOut.images, [0, 0, 0, 0], [Math.min(16, nEval), c.resolution, c.resolution, 3]) as tf.Tensor4D);
  const showMasks = tf.tidy(() => tf.slice(heldOut.masks, [0, 0, 0, 0], [show.shape[0], c.resolution, c.resolution, 1]) as tf.Tensor4D);
  const pred = ev.segmenter.predict(show);
  const predBin = tf.tidy(() => tf.cast(tf.greater(pred, 0.5), 'float32') as tf.Tensor4D);
  writeGrid(pic('held-out.png'), [show, showMasks, predBin, { image: show, mask: predBin }], { maxColumns: 16 });
  tf.dispose([show, showMasks, pred, predBin]);

  // Baselines on the same held-out images: the centre ellipse prior.
  const centre = centreEllipse(nEval, c.resolution);
  const centreMetrics = await protocolMetrics('melas-kyriazi')(centre, heldOut.masks);
  centre.dispose();

  const otsu = otsuMasks(heldOut.images);
  const otsuMetrics = await protocolMetrics('melas-kyriazi')(otsu, heldOut.masks);
  otsu.dispose();

  const rows: ReportRow[] = [
    { name: `${c.ensemble > 1 ? `mean of ${c.ensemble} UNets` : 'UNet'} trained on latent-direction masks (${c.dataset === 'shapes' ? `${evalSetName(c.eval.split)} shapes` : c.dataset.images}, n=${nEval})`, metrics: ev.metrics },
    { name: 'baseline: centre ellipse', metrics: centreMetrics },
    { name: 'baseline: Otsu threshold of the grey image', metrics: otsuMetrics },
  ];
  const report = writeReport(c.out, {
    title: `gan-segmenter — latent-direction method on ${c.dataset === 'shapes' ? '`shapes`' : c.dataset.images}`,
    description: [
      `Generator: ${JSON.stringify(genRecord)}.`,
      ...(c.ensemble > 1 ? [`Ensemble of ${c.ensemble} members, each with its own direction, synthetic pairs and UNet (seeds forked from the run's); the evaluation averages their foreground probabilities. Pictures show member 0.`] : []),
      `Direction: variant ${dirCfg.right.variant}, ${dirCfg.right.iterations} iterations, batch ${dirCfg.right.batchSize}, losses ${JSON.stringify(dirCfg.right.losses)}, masks at shift radius ${dirCfg.right.maskRadius}. Synthetic pairs: ${c.data.count}.`,
      ...notes,
      `UNet width ${c.unet.width}, depth ${c.unet.depth}, ${c.unet.steps} steps of batch ${c.unet.batchSize}, Adam ${c.unet.lr}, augmentation ${c.unet.augment.join('+') || 'none'}. Metrics: \`melas-kyriazi\` protocol (per-image IoU at 0.5, accuracy, max F-beta) on ${c.dataset === 'shapes' ? `${nEval} ${evalSetName(c.eval.split)} \`shapes\` images never seen in training` : `the ${nEval} photos of ${c.dataset.images} at ${c.resolution}² (the GAN trained on these photos without their masks)`}. Seed ${String(c.seed)}, backend ${tf.getBackend()}.`,
    ],
    rows,
    timings,
    images: { [`direction: G(z), G(z + ${dirCfg.right.maskRadius}d), raw mask, filtered mask`]: 'direction.png', 'synthetic training pairs (image, mask, overlay)': 'synthetic.png', 'held-out: image, ground truth, prediction, overlay': 'held-out.png' },
    records: { ...records, notes, config: JSON.parse(JSON.stringify(c)) as Json },
  });
  data.dispose();
  heldOut.images.dispose(); heldOut.masks.dispose();
  direction?.dispose();
  g.dispose();
  return { metrics: ev.metrics, timings, report };
};

/** The centre-ellipse baseline (the data module's `centerPriorMask`), repeated n times. */
const centreEllipse = (n: number, size: number): tf.Tensor4D =>
  tf.tidy(() => tf.tile(tf.tensor4d(centerPriorMask(size, size).data, [1, size, size, 1]), [n, 1, 1, 1]) as tf.Tensor4D);

/** Otsu masks of each image (the data module's `otsuMask`), [N,H,W,1]. */
const otsuMasks = (images: tf.Tensor4D): tf.Tensor4D => {
  const [n, h, w] = images.shape;
  const px = images.dataSync();
  const out = new Float32Array(n * h * w);
  for (let i = 0; i < n; i++) {
    const data = new Float32Array(h * w * 3);
    for (let k = 0; k < data.length; k++) data[k] = ((px[i * h * w * 3 + k] as number) + 1) / 2;
    out.set(otsuMask({ width: w, height: h, channels: 3, data }).data, i * h * w);
  }
  return tf.tensor4d(out, [n, h, w, 1]);
};

/** True when a file exists (for tools choosing a shipped generator). */
export const fileExists = (p: string): boolean => existsSync(p);
