/**
 * Generic stages: wrap a generator, run any registered method, generate a
 * synthetic training set. (Segmenter training and evaluation are in
 * `segmenter.ts`.)
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import * as TE from 'fp-ts/lib/TaskEither.js';
import * as E from 'fp-ts/lib/Either.js';
import type { Generator } from '../models/generator.ts';
import type { PairBatch, PairBatches } from '../train/segmenter.ts';
import { epochBatchIndices } from '../train/gan.ts';
import { stage, toStageError } from './stage.ts';
import type { MethodRegistry, SegmentationMethod } from './registry.ts';
import type { GeneratorArtifact, Json, MaskSourceArtifact, PipelineContext, Stage, SyntheticDataArtifact } from './types.ts';

/**
 * A generator as the first artifact of a pipeline.
 *
 * @example
 * ```ts
 * const start = TE.right(useGenerator(g, 'assets/shapes-dcgan.safetensors'));
 * ```
 */
export const useGenerator = (generator: Generator, source = 'in-memory'): GeneratorArtifact => ({
  kind: 'generator',
  generator,
  record: { id: generator.id, resolution: generator.resolution, latentDim: generator.latentDim, conditional: generator.numClasses !== undefined, source },
});

/**
 * Stage: generator → mask source, through any registered method, with its config decoded
 * (partial configs take the paper defaults).
 *
 * @example
 * ```ts
 * pipe(TE.right(useGenerator(g)), TE.chain(prepareMethod(registry, 'latent-direction', { iterations: 100 }, ctx)));
 * ```
 */
export const prepareMethod = (registry: MethodRegistry, name: string, rawConfig: unknown, ctx: PipelineContext): Stage<GeneratorArtifact, MaskSourceArtifact> =>
  (input) => {
    let method: SegmentationMethod<unknown>;
    try {
      method = registry.get(name);
    } catch (e) {
      return TE.left(toStageError(`prepare:${name}`)(e));
    }
    const cfg = method.decodeConfig(rawConfig);
    if (E.isLeft(cfg)) return TE.left(cfg.left);
    return stage(`prepare:${name}`, ctx, (g: GeneratorArtifact) => method.prepare(g.generator, cfg.right, ctx))(input);
  };

/** Options of {@link generateData}. */
export interface GenerateDataOptions {
  /** `memory`: draw `count` pairs once and cycle them, shuffled; `stream`: fresh pairs for every batch (official on-the-fly). */
  readonly mode: 'memory' | 'stream';
  /** Pairs to draw in `memory` mode. */
  readonly count: number;
  /** Pairs drawn per generator call while filling memory. Default 32. */
  readonly chunk?: number;
  /** Pairs kept as the preview. Default 8. */
  readonly previewCount?: number;
}

/** Step-indexed shuffled batches of an in-memory set (each epoch a fresh permutation from `seed`). */
const memoryPairs = (images: tf.Tensor4D, masks: tf.Tensor4D, seed: string): PairBatches => (step, batchSize) =>
  tf.tidy(() => {
    const ix = tf.tensor1d(epochBatchIndices(images.shape[0], batchSize, seed, step), 'int32');
    return { images: tf.gather(images, ix) as tf.Tensor4D, masks: tf.gather(masks, ix) as tf.Tensor4D };
  });

/**
 * Stage: mask source → synthetic training set.
 *
 * @example
 * ```ts
 * pipe(direction, TE.chain(generateData({ mode: 'memory', count: 2000 }, ctx)));
 * ```
 */
export const generateData = (opts: GenerateDataOptions, ctx: PipelineContext): Stage<MaskSourceArtifact, SyntheticDataArtifact> =>
  stage('generate-data', ctx, async (src: MaskSourceArtifact) => {
    const rng = ctx.rng.fork('generate-data');
    const previewCount = opts.previewCount ?? 8;
    const preview = src.sample(previewCount, rng.fork('preview'));
    if (opts.mode === 'stream') {
      return {
        kind: 'synthetic-data' as const,
        pairs: (step: number, batchSize: number) => src.sample(batchSize, rng.fork(`step-${step}`)),
        preview,
        get record(): Json { return { mode: 'stream', source: src.record }; },
        dispose: () => { preview.images.dispose(); preview.masks.dispose(); },
      };
    }
    const chunk = opts.chunk ?? 32;
    const parts: PairBatch[] = [];
    const fill = rng.fork('fill');
    for (let have = 0; have < opts.count; have += chunk) {
      const n = Math.min(chunk, opts.count - have);
      parts.push(src.sample(n, fill));
      ctx.onEvent?.({ type: 'stage-progress', stage: 'generate-data', step: have + n, total: opts.count, scalars: {} });
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    const images = tf.concat(parts.map((p) => p.images), 0);
    const masks = tf.concat(parts.map((p) => p.masks), 0);
    for (const p of parts) { p.images.dispose(); p.masks.dispose(); }
    const fg = tf.tidy(() => tf.mean(masks).dataSync()[0] as number);
    const record: Json = { mode: 'memory', count: opts.count, meanForegroundFraction: fg, source: src.record };
    return {
      kind: 'synthetic-data' as const,
      pairs: memoryPairs(images, masks, `${rng.seed}/batches`),
      preview,
      record,
      dispose: () => { for (const t of [images, masks, preview.images, preview.masks]) t.dispose(); },
    };
  });
