/**
 * The latent-direction method (seeds 000/001) as a pipeline method and stage.
 *
 * @module
 */
import type { Generator } from '../../models/generator.ts';
import { LatentDirectionFinder } from '../../methods/latent-direction/train.ts';
import { decodeLatentDirectionConfig, type LatentDirectionConfig } from '../../methods/latent-direction/config.ts';
import type { LatentDirection } from '../../methods/latent-direction/model.ts';
import { emptyStats, sampleSyntheticBatch } from '../../methods/latent-direction/synthetic.ts';
import type { SegmentationMethod } from '../registry.ts';
import { stage } from '../stage.ts';
import type { GeneratorArtifact, Json, MaskSourceArtifact, PipelineContext, Stage } from '../types.ts';

/** A mask source backed by a latent direction. */
export interface DirectionArtifact extends MaskSourceArtifact {
  /** The learned direction. */
  readonly direction: LatentDirection;
  /** The config it was found with. */
  readonly config: LatentDirectionConfig;
}

const configRecord = (c: LatentDirectionConfig): Json => JSON.parse(JSON.stringify(c)) as Json;

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
    generator,
    direction,
    config,
    sample: (n, rng) => sampleSyntheticBatch(generator, direction, n, rng, { filters: config.filters, truncation: config.truncation, generationBatchSize: Math.max(n, 8) }, stats),
    dispose: () => direction.dispose(),
    get record(): Json {
      return { method: 'latent-direction', generatorId: generator.id, variant: config.variant, space: config.space, config: configRecord(config), filterStats: { ...stats }, ...extra };
    },
  };
};

const prepare = async (generator: Generator, config: LatentDirectionConfig, ctx: PipelineContext, stageName = 'find-direction'): Promise<DirectionArtifact> => {
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
 * The registry entry of the latent-direction method.
 *
 * @example
 * ```ts
 * registry.register(latentDirectionMethod);
 * ```
 */
export const latentDirectionMethod: SegmentationMethod<LatentDirectionConfig> = {
  name: 'latent-direction',
  paper: 'Melas-Kyriazi et al. 2021, Finding an Unsupervised Image Segmenter in each of your Deep Generative Models, https://arxiv.org/abs/2105.08127; Voynov et al. 2021, https://arxiv.org/abs/2006.04988',
  decodeConfig: (input) => decodeLatentDirectionConfig(input),
  configRecord,
  prepare: (g, c, ctx) => prepare(g, c, ctx),
};

/**
 * Stage: generator → learned direction (as a mask source).
 *
 * @example
 * ```ts
 * const run = pipe(TE.right(useGenerator(g)), TE.chain(findDirection(PAPER_CONFIG, { rng: new Rng(0) })));
 * ```
 */
export const findDirection = (config: LatentDirectionConfig, ctx: PipelineContext): Stage<GeneratorArtifact, DirectionArtifact> =>
  stage('find-direction', ctx, (input: GeneratorArtifact) => prepare(input.generator, config, ctx));

