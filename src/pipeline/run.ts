/**
 * One run of any method, end to end — what `gan-segmenter run` and `npm run demo`
 * execute: inputs (a generator loaded or trained, unlabeled images) → the
 * method's `prepare` → synthetic (image, mask) pairs → UNet → evaluation on a
 * labelled set (the `shapes` benchmark or a folder of photos with masks) next
 * to the centre-ellipse, Otsu and GrabCut baselines → `report.md`, `report.json` and PNG grids.
 *
 * No mask of a real image is used before the evaluation.
 *
 * @module
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { ConfigError, DataError, type GanSegmenterError } from '../core/errors.ts';
import type { PipelineContext, PipelineEvent } from '../core/events.ts';
import { toJson, type Json } from '../core/json.ts';
import { Rng } from '../core/rng.ts';
import { centreEllipseMasks, otsuMasks } from '../data/baselines.ts';
import { grabcutMasks } from '../data/grabcut.ts';
import { resolveImageDir, resolveLabelledDir, type ImageSet } from '../data/tensors.ts';
import { writeGrid } from '../io/image-file.ts';
import { createUNet } from '../models/unet/index.ts';
import { decodeMethodConfig, type AnyMethodSpec, type InputsFor, type MaskSource, type MethodInputs, type MethodNeed } from '../methods/spec.ts';
import { findMethod, METHODS, type MethodTable } from '../methods/table.ts';
import type { AdamConfig, LrSchedule } from '../train/adam.ts';
import { melasKyriaziSegmenterDefaults, type SegmenterTrainConfig } from '../train/segmenter.ts';
import { decodeRunConfig, type RunConfig } from './run-config.ts';
import { evalSetLabel, loadEvalSet, loadOrTrainGenerator, loadTrainImages, type RunGenerator } from './run-inputs.ts';
import { argmaxForegroundSegmenter, ensembleSegmenters, evaluateStage, protocolMetrics, trainSegmenterStage } from './segmenter.ts';
import { generateData } from './stages.ts';
import { stage } from './stage.ts';
import { writeReport, type ReportPaths, type ReportRow } from './report.ts';
import type { SegmenterArtifact, SyntheticDataArtifact } from './types.ts';

/** What {@link runMethodPipeline} returns. */
export interface MethodRunResult {
  /** Metrics of the segmenter on the evaluation set (the method's protocol). */
  readonly metrics: Readonly<Record<string, number>>;
  /** Seconds per stage. */
  readonly timings: Readonly<Record<string, number>>;
  /** Paths of `report.md` and `report.json`. */
  readonly report: ReportPaths;
}

/** Options of {@link runMethodPipeline}. */
export interface RunOptions {
  /** Receives every stage's events. */
  readonly onEvent?: (e: PipelineEvent) => void;
  /** The method table to pick `method` from. Default: the built-in {@link METHODS}. */
  readonly methods?: MethodTable;
}

/** One ensemble member's products. */
interface Member {
  readonly source: MaskSource;
  readonly data: SyntheticDataArtifact;
  readonly segmenter: SegmenterArtifact;
}

/** Foreground of a K-channel mask batch: itself for one channel, else 1 − background (channel 0). */
const foreground = (masks: tf.Tensor4D): tf.Tensor4D =>
  masks.shape[3] === 1 ? masks : tf.tidy(() => tf.sub(1, tf.slice(masks, [0, 0, 0, 0], [-1, -1, -1, 1])) as tf.Tensor4D);

/** Missing data folders are found before any work (a {@link DataError} naming the folder). */
const checkFolders = (c: RunConfig): void => {
  if (typeof c.eval.dataset === 'string' && c.eval.dataset !== 'shapes') resolveLabelledDir(c.eval.dataset);
  const train = c.train.dataset === 'shapes' ? undefined : typeof c.train.dataset === 'string' ? resolveImageDir(c.train.dataset) : c.train.dataset.images;
  if (train !== undefined && !existsSync(train)) throw new DataError('run', `no folder ${train} (train.dataset)`, train);
};

/**
 * Run the method named by `config.method` (a partial config over {@link RUN_DEFAULTS}; the method's
 * block, under its name, over the method's defaults) and write the report into `config.out`.
 * Bad settings are a {@link ConfigError} naming each wrong field, before any work.
 *
 * @example
 * ```ts
 * const r = await runMethodPipeline({ method: 'latent-direction', gan: { weights: 'assets/dcgan-shapes-32.safetensors' }, unet: { steps: 300 } });
 * console.log(r.metrics.iou, r.report.markdown);
 * ```
 */
export const runMethodPipeline = async (config: unknown, options: RunOptions = {}): Promise<MethodRunResult> => {
  const decoded = decodeRunConfig(config, 'run');
  if (E.isLeft(decoded)) throw decoded.left;
  const c = decoded.right;
  const spec: AnyMethodSpec = findMethod(options.methods ?? METHODS, c.method);
  const methodCfg = decodeMethodConfig(spec, c.methodConfig, c.method, true);
  if (E.isLeft(methodCfg)) throw methodCfg.left;
  return execute(c, spec, methodCfg.right, options);
};

const execute = async (c: RunConfig, spec: AnyMethodSpec, methodCfg: unknown, options: RunOptions): Promise<MethodRunResult> => {
  checkFolders(c);
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
    options.onEvent?.(e);
  };
  const ctx: PipelineContext = { rng, onEvent: emit, outDir: c.out };

  // Inputs: only what the method needs (a method that trains its own generator gets no GAN here).
  const needs = new Set<MethodNeed>(spec.needs);
  let reals: ImageSet | undefined;
  const getReals = async (): Promise<ImageSet> => (reals ??= await loadTrainImages(c, rng));
  const gen: RunGenerator | undefined = needs.has('generator') || needs.has('discriminator') ? await loadOrTrainGenerator(c, rng, emit, getReals) : undefined;
  if (gen?.loaded) { timings['load-generator'] = gen.seconds; records['load-generator'] = gen.record; }
  if (gen && gen.generator.resolution !== c.resolution) {
    gen.generator.dispose();
    throw new ConfigError('run', [{ path: 'resolution', expected: `the generator's side, ${gen.generator.resolution} (${c.gan.weights})`, given: String(c.resolution) }]);
  }
  if (needs.has('discriminator') && gen?.discriminator === undefined) {
    throw new DataError(`run:${spec.name}`, `the method needs the generator's discriminator; train the GAN in the run (gan.weights='') to have one`, c.gan.weights);
  }
  const inputs: Partial<MethodInputs> = {
    ...(gen ? { generator: gen.generator } : {}),
    ...(gen?.discriminator ? { discriminator: gen.discriminator } : {}),
    ...(needs.has('reals') ? { reals: await getReals() } : reals ? { reals } : {}),
  };
  const evalSet = await loadEvalSet(c, rng);
  const nEval = evalSet.images.shape[0];

  const segCfg: SegmenterTrainConfig = {
    ...melasKyriaziSegmenterDefaults, seed: String(c.seed), steps: c.unet.steps, batchSize: c.unet.batchSize,
    optimizer: { ...melasKyriaziSegmenterDefaults.optimizer, lr: c.unet.lr } as AdamConfig,
    augment: c.unet.augment,
    ...(spec.segmenterLoss ? { bceWeight: spec.segmenterLoss.crossEntropy, diceWeight: spec.segmenterLoss.dice } : {}),
    // Paper: ×0.2 every 8000 of 18000 steps — the same fractions of our run.
    schedule: { kind: 'step', every: Math.max(1, Math.round((c.unet.steps * 8000) / 18000)), factor: 0.2 } as LrSchedule,
    validateEvery: 0 as SegmenterTrainConfig['validateEvery'], checkpointEvery: Math.max(100, c.unet.steps) as SegmenterTrainConfig['checkpointEvery'], logEvery: 25 as SegmenterTrainConfig['logEvery'],
  };
  const notes: string[] = [];
  const saved: string[] = [];
  // One member: method → synthetic pairs → UNet. Member 0 draws from the run's own streams (a run
  // with ensemble 1 is exactly the single-model run); member m from the fork `member-m`.
  const member = (m: number): TE.TaskEither<GanSegmenterError, Member> => {
    const mrng = m === 0 ? rng : rng.fork(`member-${m}`);
    const mctx: PipelineContext = m === 0 ? ctx : { ...ctx, rng: mrng };
    const tag = m === 0 ? '' : ` (ensemble member ${m})`;
    const prepare = stage(spec.stage, mctx, (_: null) => spec.prepare(inputs as InputsFor<MethodNeed>, methodCfg, mctx));
    return pipe(
      prepare(null),
      TE.chain((source) => {
        if (spec.save) saved.push(...spec.save(source, c.out, m));
        const gen = generateData({ mode: c.data.mode, count: c.data.count, previewCount: 16 }, mctx);
        return pipe(gen(source), TE.orElse((e) => {
          const relaxed = e instanceof DataError ? spec.relax?.(source, e) : undefined;
          if (!relaxed) return TE.left(e);
          notes.push(`${relaxed.note.replace(/\.$/, '')}${tag}.`);
          return gen(relaxed.source);
        }), TE.map((data) => ({ source, data })));
      }),
      TE.chain(({ source, data }) => {
        const unetCfg = { inChannels: 3, nClasses: source.classes === 1 ? 2 : source.classes, width: c.unet.width, depth: c.unet.depth, bilinear: false };
        return pipe(
          trainSegmenterStage({
            config: m === 0 ? segCfg : { ...segCfg, seed: `${String(c.seed)}/member-${m}` },
            model: () => createUNet(unetCfg, mrng.fork('unet-init')), resolution: c.resolution, out: unetDir(m), resume: c.resume, modelRecord: { ...unetCfg, resolution: c.resolution },
          }, mctx)(data),
          TE.map((segmenter) => ({ source, data, segmenter })),
        );
      }),
    );
  };
  const members: Member[] = [];
  const result = await pipe(
    Array.from({ length: c.ensemble }, (_, m) => m).reduce<TE.TaskEither<GanSegmenterError, void>>(
      (acc, m) => pipe(acc, TE.chain(() => member(m)), TE.map((r) => {
        // Keep member 0's pairs and source for the pictures; later members' are freed once trained.
        if (m > 0) { r.data.dispose(); r.source.dispose(); }
        members.push(r);
      })),
      TE.right(undefined),
    ),
    TE.chain(() => {
      const seg = ensembleSegmenters(members.map((r) => r.segmenter));
      // GANSeg scores K-class segmenters by the argmax over classes, not by 1 − p(background) > 0.5.
      return evaluateStage(evalSet, protocolMetrics(spec.protocol ?? 'melas-kyriazi'), ctx)(spec.protocol === 'ganseg' ? argmaxForegroundSegmenter(seg) : seg);
    }),
  )();
  if (E.isLeft(result)) throw result.left;
  const ev = result.right;
  const first = members[0] as Member;

  // Pictures: the method's own, the synthetic pairs, the evaluation set's predictions.
  const pictures: Record<string, string> = { ...(spec.pictures?.(first.source, methodCfg, c.out, rng) ?? {}) };
  const previewMasks = foreground(first.data.preview.masks);
  writeGrid(join(c.out, 'synthetic.png'), [first.data.preview.images, previewMasks, { image: first.data.preview.images, mask: previewMasks }], { maxColumns: 16 });
  if (previewMasks !== first.data.preview.masks) previewMasks.dispose();
  pictures['synthetic training pairs (image, mask, overlay)'] = 'synthetic.png';
  const show = tf.tidy(() => tf.slice(evalSet.images, [0, 0, 0, 0], [Math.min(16, nEval), c.resolution, c.resolution, 3]) as tf.Tensor4D);
  const showMasks = tf.tidy(() => tf.slice(evalSet.masks, [0, 0, 0, 0], [show.shape[0], c.resolution, c.resolution, 1]) as tf.Tensor4D);
  const pred = ev.segmenter.predict(show);
  const predBin = tf.tidy(() => tf.cast(tf.greater(pred, 0.5), 'float32') as tf.Tensor4D);
  writeGrid(join(c.out, 'held-out.png'), [show, showMasks, predBin, { image: show, mask: predBin }], { maxColumns: 16 });
  tf.dispose([show, showMasks, pred, predBin]);
  pictures['held-out: image, ground truth, prediction, overlay'] = 'held-out.png';

  // Baselines on the same images.
  const metrics = protocolMetrics(spec.protocol ?? 'melas-kyriazi');
  const centre = centreEllipseMasks(nEval, c.resolution);
  const centreMetrics = await metrics(centre, evalSet.masks);
  centre.dispose();
  const otsu = otsuMasks(evalSet.images);
  const otsuMetrics = await metrics(otsu, evalSet.masks);
  otsu.dispose();
  const grabcut = await grabcutMasks(evalSet.images);
  const grabcutMetrics = await metrics(grabcut, evalSet.masks);
  grabcut.dispose();

  const onShapes = c.eval.dataset === 'shapes';
  const rows: ReportRow[] = [
    { name: `${c.ensemble > 1 ? `mean of ${c.ensemble} UNets` : 'UNet'} trained on ${spec.name} masks (${evalSetLabel(c)}, n=${nEval})`, metrics: ev.metrics },
    { name: 'baseline: centre ellipse', metrics: centreMetrics },
    { name: 'baseline: Otsu threshold of the grey image', metrics: otsuMetrics },
    { name: 'baseline: GrabCut from a central rectangle', metrics: grabcutMetrics },
  ];
  const report = writeReport(c.out, {
    title: `gan-segmenter — ${spec.name} method on ${onShapes ? '`shapes`' : evalSetLabel(c)}`,
    description: [
      ...(gen ? [`Generator: ${JSON.stringify(gen.record)}.`] : []),
      ...(c.ensemble > 1 ? [`Ensemble of ${c.ensemble} members, each with its own ${spec.name} run, synthetic pairs and UNet (seeds forked from the run's); the evaluation averages their foreground probabilities. Pictures show member 0.`] : []),
      `${spec.describe(methodCfg)} Synthetic pairs: ${c.data.count} (${c.data.mode}).`,
      ...notes,
      `UNet width ${c.unet.width}, depth ${c.unet.depth}, ${c.unet.steps} steps of batch ${c.unet.batchSize}, Adam ${c.unet.lr}, augmentation ${c.unet.augment.join('+') || 'none'}. Metrics: \`${spec.protocol ?? 'melas-kyriazi'}\` protocol (per-image IoU at 0.5, accuracy, max F-beta) on ${onShapes ? `${nEval} ${evalSetLabel(c)} images never seen in training` : `the ${nEval} photos of ${evalSetLabel(c)} at ${c.resolution}² (their masks used only here)`}. Seed ${String(c.seed)}, backend ${tf.getBackend()}.`,
    ],
    rows,
    timings,
    images: pictures,
    records: { ...records, notes, saved, method: { name: spec.name, paper: spec.paper, config: toJson(methodCfg) }, config: toJson(c) },
  });
  first.data.dispose();
  first.source.dispose();
  evalSet.images.dispose(); evalSet.masks.dispose();
  reals?.images.dispose();
  gen?.discriminator?.dispose();
  gen?.generator.dispose();
  return { metrics: ev.metrics, timings, report };
};
