/**
 * The inputs of a run: the generator (loaded from a file of any supported
 * family, or a DCGAN trained in the run on unlabeled images), the unlabeled
 * training images, and the labelled evaluation set. No mask is read before the
 * evaluation.
 *
 * @module
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Json } from '../core/json.ts';
import type { PipelineEvent } from '../core/events.ts';
import type { Rng } from '../core/rng.ts';
import { loadImageFolder, loadLabelledFolder, loadShapes, resolveImageDir, resolveLabelledDir, type ImageSet, type LabelledSet } from '../data/tensors.ts';
import { writeGrid } from '../io/image-file.ts';
import { writeSafetensors } from '../io/safetensors-file.ts';
import { createDCGANDiscriminator, createDCGANGenerator, dcganSmall32 } from '../models/dcgan/index.ts';
import type { Generator } from '../models/generator.ts';
import { dcganTrainDefaults, trainGan, type GanTrainConfig, type TrainableDiscriminator } from '../train/gan.ts';
import { epochBatches } from '../data/batches.ts';
import { loadGeneratorFile } from './generators.ts';
import { evalSetName, type RunConfig } from './run-config.ts';

/**
 * The unlabeled training images of a run: `train.count` `shapes` images (seed stream `gan-train-images`),
 * or every image of a folder, at the run's resolution.
 *
 * @example
 * ```ts
 * const reals = await loadTrainImages(cfg, new Rng(0)); // reals.images: [N,32,32,3]
 * ```
 */
export const loadTrainImages = async (c: Pick<RunConfig, 'train' | 'resolution'>, rng: Rng): Promise<ImageSet> => {
  const d = c.train.dataset;
  if (d === 'shapes') {
    const s = await loadShapes(rng.fork('gan-train-images'), c.train.count, c.resolution);
    s.masks.dispose(); // nothing trains on masks
    return { name: 'shapes', images: s.images };
  }
  return loadImageFolder(typeof d === 'string' ? resolveImageDir(d) : d.images, c.resolution);
};

/**
 * The labelled evaluation set of a run: `eval.count` `shapes` images of the chosen split, or a folder's
 * photos and masks at the run's resolution.
 *
 * @example
 * ```ts
 * const set = await loadEvalSet(cfg, new Rng(0));
 * ```
 */
export const loadEvalSet = async (c: Pick<RunConfig, 'eval' | 'resolution'>, rng: Rng): Promise<LabelledSet> => {
  const d = c.eval.dataset;
  if (d === 'shapes') return loadShapes(rng.fork(evalSetName(c.eval.split)), c.eval.count, c.resolution);
  return loadLabelledFolder(typeof d === 'string' ? resolveLabelledDir(d) : d, c.resolution);
};

/** How the evaluation set is named in reports. */
export const evalSetLabel = (c: Pick<RunConfig, 'eval'>): string => {
  const d = c.eval.dataset;
  return d === 'shapes' ? `${evalSetName(c.eval.split)} shapes` : typeof d === 'string' ? d : d.images;
};

/** How the training images are named in ids and reports. */
const trainSetLabel = (c: Pick<RunConfig, 'train'>): string => {
  const d = c.train.dataset;
  const p = d === 'shapes' ? 'shapes' : typeof d === 'string' ? d : d.images;
  return p.replace(/\/+$/, '').split('/').filter((s) => s !== '' && s !== 'images').pop() ?? p;
};

/** The generator of a run and where it came from. */
export interface RunGenerator {
  /** The generator (the EMA weights when trained here). */
  readonly generator: Generator;
  /** The discriminator, when the run trained one. */
  readonly discriminator?: TrainableDiscriminator;
  /** JSON summary. */
  readonly record: Json;
  /** Seconds taken. */
  readonly seconds: number;
  /** True when loaded from `gan.weights`. */
  readonly loaded: boolean;
}

const dcganConfig = (c: RunConfig): typeof dcganSmall32 => ({ ...dcganSmall32, resolution: c.resolution as number as typeof dcganSmall32.resolution, width: c.gan.width, dWidth: c.gan.width });

/**
 * Load `gan.weights` (any family `loadGeneratorFile` reads), or train a DCGAN on the run's unlabeled
 * images (checkpoints in `<out>/gan`, resumable; the EMA generator saved as `<out>/generator.safetensors`).
 *
 * @example
 * ```ts
 * const { generator } = await loadOrTrainGenerator(cfg, new Rng(0), console.log, () => loadTrainImages(cfg, rng));
 * ```
 */
export const loadOrTrainGenerator = async (c: RunConfig, rng: Rng, emit: (e: PipelineEvent) => void, reals: () => Promise<ImageSet>): Promise<RunGenerator> => {
  const t0 = performance.now();
  if (c.gan.weights !== '') {
    const g = loadGeneratorFile(c.gan.weights);
    return { generator: g, record: { source: c.gan.weights, id: g.id }, seconds: (performance.now() - t0) / 1000, loaded: true };
  }
  emit({ type: 'stage-start', stage: 'train-gan' });
  const real = await reals();
  const nTrain = real.images.shape[0];
  const id = `dcgan-${c.resolution}-w${c.gan.width}/${trainSetLabel(c)}-seed${String(c.seed)}-steps${c.gan.steps}${c.gan.augment.length > 0 ? `-diffaug-${c.gan.augment.join('-')}` : ''}`;
  const g = createDCGANGenerator(dcganConfig(c), rng.fork('g-init'), id);
  const gEma = createDCGANGenerator(dcganConfig(c), rng.fork('g-init'), id);
  const d = createDCGANDiscriminator(dcganConfig(c), rng.fork('d-init'));
  const config: GanTrainConfig = {
    ...dcganTrainDefaults, seed: String(c.seed), steps: c.gan.steps, batchSize: c.gan.batchSize,
    sampleEvery: 0 as GanTrainConfig['sampleEvery'], checkpointEvery: Math.max(100, Math.floor(c.gan.steps / 5)) as GanTrainConfig['checkpointEvery'],
    logEvery: 25 as GanTrainConfig['logEvery'], emaKimg: 0, augment: c.gan.augment,
  };
  await trainGan({
    config, networks: { generator: g, generatorEma: gEma, discriminator: d }, reals: epochBatches(real.images, `${String(c.seed)}/gan`), out: join(c.out, 'gan'), resume: true,
    writeSamples: (x: tf.Tensor4D, f: string) => writeGrid(f, [x], { maxColumns: 16 }),
    onEvent: (e) => { if (e.type === 'step') emit({ type: 'stage-progress', stage: 'train-gan', step: e.step, total: e.totalSteps, scalars: e.scalars }); },
  });
  g.dispose();
  writeSafetensors(join(c.out, 'generator.safetensors'), gEma.stateDict(), { model: 'dcgan', id, config: JSON.stringify(dcganConfig(c)) });
  const seconds = (performance.now() - t0) / 1000;
  const record: Json = { source: 'trained in this run', id, steps: c.gan.steps, batchSize: c.gan.batchSize, trainImages: nTrain, augment: [...c.gan.augment], weights: join(c.out, 'generator.safetensors') };
  emit({ type: 'stage-end', stage: 'train-gan', seconds, record });
  return { generator: gEma, discriminator: d, record, seconds, loaded: false };
};
