/**
 * Generic stages: wrap a generator, run any method of a method table, generate a
 * synthetic training set. (Segmenter training and evaluation are in
 * `segmenter.ts`.)
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import * as TE from 'fp-ts/lib/TaskEither.js';
import * as E from 'fp-ts/lib/Either.js';
import type { Generator } from '../models/generator.ts';
import type { PairBatch } from '../train/segmenter.ts';
import { epochBatchesOf } from '../data/batches.ts';
import { stage, toStageError } from './stage.ts';
import { decodeMethodConfig, type AnyMethodSpec, type InputsFor, type MethodNeed, type MethodSpec } from '../methods/spec.ts';
import { ConfigError } from '../core/errors.ts';
import { findMethod, type MethodTable } from '../methods/table.ts';
import { latentDirectionMethod, type DirectionArtifact } from '../methods/latent-direction/method.ts';
import type { LatentDirectionConfig } from '../methods/latent-direction/config.ts';
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
 * Stage: generator → mask source through one method spec (its `prepare`, reported as the spec's stage).
 *
 * @example
 * ```ts
 * pipe(TE.right(useGenerator(g)), TE.chain(prepareStage(latentDirectionMethod, PAPER_CONFIG, ctx)));
 * ```
 */
export const prepareStage = <C, S extends MaskSourceArtifact>(spec: MethodSpec<string, C, 'generator', S>, config: C, ctx: PipelineContext): Stage<GeneratorArtifact, S> =>
  stage(spec.stage, ctx, (input: GeneratorArtifact) => spec.prepare({ generator: input.generator }, config, ctx));

/**
 * Stage: generator → learned latent direction (as a mask source): {@link prepareStage} of the latent-direction method.
 *
 * @example
 * ```ts
 * const run = pipe(TE.right(useGenerator(g)), TE.chain(findDirection(PAPER_CONFIG, { rng: new Rng(0) })));
 * ```
 */
export const findDirection = (config: LatentDirectionConfig, ctx: PipelineContext): Stage<GeneratorArtifact, DirectionArtifact> =>
  prepareStage(latentDirectionMethod, config, ctx);

/**
 * Stage: generator → mask source, through the method called `name` in a method table, with its config
 * decoded over the paper defaults (partial configs allowed). An unknown name or a bad config is a typed Left.
 *
 * @example
 * ```ts
 * pipe(TE.right(useGenerator(g)), TE.chain(prepareMethod(METHODS, 'latent-direction', { iterations: 100 }, ctx)));
 * ```
 */
export const prepareMethod = (table: MethodTable, name: string, rawConfig: unknown, ctx: PipelineContext): Stage<GeneratorArtifact, MaskSourceArtifact> =>
  (input) => {
    let spec: AnyMethodSpec;
    try {
      spec = findMethod(table, name);
    } catch (e) {
      return TE.left(toStageError(`prepare:${name}`)(e));
    }
    const more = spec.needs.filter((n) => n !== 'generator');
    if (more.length > 0) return TE.left(new ConfigError(`prepare:${name}`, [{ path: 'method', expected: 'a method that needs only a generator (use runMethodPipeline for the others)', given: `${name} (needs ${spec.needs.join(', ')})` }]));
    const cfg = decodeMethodConfig(spec, rawConfig);
    if (E.isLeft(cfg)) return TE.left(cfg.left);
    return stage(spec.stage, ctx, (g: GeneratorArtifact) => spec.prepare({ generator: g.generator } as InputsFor<MethodNeed>, cfg.right, ctx))(input);
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
      pairs: epochBatchesOf({ images, masks }, `${rng.seed}/batches`), // step-indexed, each epoch a fresh permutation
      preview,
      record,
      dispose: () => { for (const t of [images, masks, preview.images, preview.masks]) t.dispose(); },
    };
  });
