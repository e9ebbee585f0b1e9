/**
 * The latent-direction method's spec: what the method table, the pipeline and
 * the CLI know of it. `prepare` optimises the direction on a generator; the
 * mask source draws (G(z), mask of the shift) pairs through the paper's filters.
 *
 * @module
 */
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { LatentDirectionConfig } from './config.ts';
import { PAPER_CONFIG } from './config.ts';
import { LatentDirectionFinder } from './train.ts';
import type { LatentDirection } from './model.ts';
import { emptyStats, sampleSyntheticBatch } from './synthetic.ts';
import { saveDirection } from './direction-file.ts';
import type { PipelineContext } from '../../core/events.ts';
import { toJson, type Json } from '../../core/json.ts';
import type { Generator } from '../../models/generator.ts';
import { writeGrid } from '../../io/image-file.ts';
import type { MaskSource, MethodSpec } from '../spec.ts';

/** A mask source backed by a latent direction. */
export interface DirectionArtifact extends MaskSource {
  /** The generator the direction belongs to. */
  readonly generator: Generator;
  /** The learned direction. */
  readonly direction: LatentDirection;
  /** The config it was found with. */
  readonly config: LatentDirectionConfig;
}

/**
 * Wrap an existing direction as a mask source (e.g. one loaded from disk).
 *
 * @example
 * ```ts
 * const src = directionMaskSource(g, direction, PAPER_CONFIG);
 * const { images, masks } = src.sample(16, new Rng(0));
 * ```
 */
export const directionMaskSource = (generator: Generator, direction: LatentDirection, config: LatentDirectionConfig, extra: Record<string, Json> = {}): DirectionArtifact => {
  direction.assertGenerator(generator, 'directionMaskSource');
  const stats = emptyStats();
  return {
    kind: 'mask-source',
    method: 'latent-direction',
    classes: 1,
    resolution: generator.resolution,
    sourceId: generator.id,
    generator,
    direction,
    config,
    sample: (n, rng) => sampleSyntheticBatch(generator, direction, n, rng, { filters: config.filters, truncation: config.truncation, generationBatchSize: Math.max(n, 8) }, stats),
    dispose: () => direction.dispose(),
    get record(): Json {
      return { method: 'latent-direction', generatorId: generator.id, variant: config.variant, space: config.space, config: toJson(config), filterStats: { ...stats }, ...extra };
    },
  };
};

/**
 * Optimise a direction on `generator` (progress as `stage-progress` events of `stageName`) and wrap it as a mask source.
 *
 * @example
 * ```ts
 * const src = await findLatentDirection(g, PAPER_CONFIG, { rng: new Rng(0) });
 * ```
 */
export const findLatentDirection = async (generator: Generator, config: LatentDirectionConfig, ctx: PipelineContext, stageName = 'find-direction'): Promise<DirectionArtifact> => {
  const t0 = performance.now();
  const finder = new LatentDirectionFinder(generator, config);
  const last: Record<string, number> = {};
  const direction = await finder.find(ctx.rng.fork('latent-direction'), {
    onProgress: (e) => {
      Object.assign(last, { loss: e.loss, radialPrior: e.radialPrior, sobelShift: e.sobelShift });
      ctx.onEvent?.({ type: 'stage-progress', stage: stageName, step: e.iteration, total: e.total, scalars: { loss: e.loss, radialPrior: e.radialPrior, sobelShift: e.sobelShift } });
    },
  });
  return directionMaskSource(generator, direction, config, { finalLosses: { ...last }, seconds: (performance.now() - t0) / 1000 });
};

/**
 * The latent-direction method (Melas-Kyriazi et al. 2021; Voynov et al. 2021) as the method table holds it.
 * Its config is {@link LatentDirectionConfig} over {@link PAPER_CONFIG}; `gan-segmenter run` makes masks at
 * shift radius 1 instead of the paper's 5 (see the method's README).
 *
 * @example
 * ```ts
 * const cfg = decodeMethodConfig(latentDirectionMethod, { iterations: 100 });
 * if (E.isRight(cfg)) { const src = await latentDirectionMethod.prepare({ generator: g }, cfg.right, { rng: new Rng(0) }); }
 * ```
 */
export const latentDirectionMethod: MethodSpec<'latent-direction', LatentDirectionConfig, 'generator', DirectionArtifact> = {
  name: 'latent-direction',
  paper: 'Melas-Kyriazi et al. 2021, Finding an Unsupervised Image Segmenter in each of your Deep Generative Models, https://arxiv.org/abs/2105.08127; Voynov et al. 2021, https://arxiv.org/abs/2006.04988',
  codec: LatentDirectionConfig,
  defaults: PAPER_CONFIG,
  // Masks at a small shift rather than the paper's 5 (its BigBiGAN): on the small DCGANs a shift of 5
  // (~45 % of |z|) redraws the object as a centred blob. 1 was chosen among 0.5, 1, 1.5, 2 on the
  // validation split (README.md beside this file).
  runDefaults: { maskRadius: 1 },
  needs: ['generator'],
  stage: 'find-direction',
  protocol: 'melas-kyriazi',
  describe: (c) => `Direction: variant ${c.variant}, ${c.iterations} iterations, batch ${c.batchSize}, losses ${JSON.stringify(c.losses)}, masks at shift radius ${c.maskRadius}.`,
  prepare: ({ generator }, config, ctx) => findLatentDirection(generator, config, ctx),
  save: (src, dir, member) => {
    const path = join(dir, member === 0 ? 'direction.safetensors' : `direction-${member}.safetensors`);
    saveDirection(path, src.direction);
    return [path];
  },
  pictures: (src, config, dir, rng) => {
    const found = src.direction.synthesizeMasks(src.generator, 8, rng.fork('grid'), config.filters);
    const rows: tf.Tensor4D[] = [found.images, found.shifted, found.rawMasks, found.masks];
    writeGrid(join(dir, 'direction.png'), rows, { maxColumns: 8 });
    for (const x of rows) x.dispose();
    return { [`direction: G(z), G(z + ${config.maskRadius}d), raw mask, filtered mask`]: 'direction.png' };
  },
  // When the paper's filters keep nothing (the direction does not separate fg/bg on this generator),
  // keep the run going with the size and histogram filters off, and say so in the report.
  relax: (src, error) => {
    if (src.config.filters.sizeRange === null && src.config.filters.histogramBins === 0) return undefined;
    const config = { ...src.config, filters: { ...src.config.filters, sizeRange: null, histogramBins: 0 as typeof src.config.filters.histogramBins } };
    return {
      source: directionMaskSource(src.generator, src.direction, config),
      note: `The paper's mask filters kept no image (${error.message.split(': ').slice(1).join(': ')}); the synthetic set was made with the size and histogram filters OFF (connected components kept).`,
    };
  },
};
