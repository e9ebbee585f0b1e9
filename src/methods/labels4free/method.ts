/**
 * Labels4Free's spec: what the method table, the pipeline and the CLI know of it. `prepare` trains
 * the alpha branch on a frozen StyleGAN2 (train.py) and returns a mask source that draws pairs as
 * test_sample.py: fg and bg from separate z at ψ 0.5, mask α > 0.9.
 *
 * @module
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ConfigError, DataError } from '../../core/errors.ts';
import type { PipelineContext } from '../../core/events.ts';
import { toJson, type Json } from '../../core/json.ts';
import type { Rng } from '../../core/rng.ts';
import type { ImageBatch, MaskBatch } from '../../core/tensor.ts';
import { epochBatches } from '../../data/batches.ts';
import { writeGrid } from '../../io/image-file.ts';
import { writeSafetensors } from '../../io/safetensors-file.ts';
import type { Generator } from '../../models/generator.ts';
import { createStyleGAN2Discriminator } from '../../models/stylegan2/discriminator.ts';
import { StyleGAN2Generator } from '../../models/stylegan2/generator.ts';
import { sampleInChunks } from '../../train/pair-chunks.ts';
import type { PairBatch } from '../../train/segmenter.ts';
import type { InputsFor, MaskSource, MethodSpec } from '../spec.ts';
import type { AlphaBranch } from './model.ts';
import { trainAlphaBranch } from './train.ts';
import { LABELS4FREE_DEFAULTS, Labels4FreeConfig } from './train-config.ts';

/** A mask source backed by a trained alpha branch. */
export interface AlphaMaskSource extends MaskSource {
  /** The frozen StyleGAN2. */
  readonly generator: StyleGAN2Generator;
  /** The trained alpha branch (owned: disposed with the source). */
  readonly branch: AlphaBranch;
  /** The settings it was trained and samples with. */
  readonly config: Labels4FreeConfig;
}

/**
 * Wrap a trained (or loaded) alpha branch as a mask source: `sample(n, rng)` draws test_sample.py's
 * pairs — z and a separate z₂ for the background, both at ψ `sampleTruncation`, random noise — and
 * returns `config.pairImage` (G(z) or the composite, clamped to [-1,1]) with the mask α > `maskThreshold`.
 *
 * @example
 * ```ts
 * const src = alphaMaskSource(branch, LABELS4FREE_DEFAULTS);
 * const { images, masks } = src.sample(8, new Rng(0)); // [8,R,R,3], [8,R,R,1] of 0/1
 * ```
 */
export const alphaMaskSource = (branch: AlphaBranch, config: Labels4FreeConfig, extra: Record<string, Json> = {}): AlphaMaskSource => {
  const g = branch.generator;
  const chunk = (n: number, rng: Rng): PairBatch => tf.tidy(() => {
    const l = branch.layers(g.sampleLatent(n, rng.fork('z')), { latents: 'sample', zBackground: g.sampleLatent(n, rng.fork('z-bg')), noise: 'random', rng: rng.fork('noise') });
    const images = tf.clipByValue(config.pairImage === 'original' ? l.foreground : l.composite, -1, 1) as ImageBatch;
    return { images, masks: l.mask as MaskBatch } as unknown as tf.TensorContainer;
  }) as unknown as PairBatch;
  return {
    kind: 'mask-source',
    method: 'labels4free',
    classes: 1,
    resolution: g.resolution,
    sourceId: `${g.id}/labels4free`,
    generator: g,
    branch,
    config,
    sample: (n, rng) => sampleInChunks(n, rng, chunk),
    dispose: () => branch.dispose(),
    record: { method: 'labels4free', generatorId: g.id, alphaBranch: toJson(branch.config), config: toJson(config), ...extra },
  };
};

/**
 * The generator as a StyleGAN2, or a {@link ConfigError} naming the family it is (Labels4Free reads StyleGAN2's StyledConv features).
 *
 * @example
 * ```ts
 * const g = requireStyleGAN2(loadGeneratorFile('ffhq.pt'), 'labels4free');
 * ```
 */
export const requireStyleGAN2 = (generator: Generator, where = 'labels4free'): StyleGAN2Generator => {
  if (generator instanceof StyleGAN2Generator) return generator;
  throw new ConfigError(where, [{ path: 'gan.weights', expected: 'a StyleGAN2 generator (Labels4Free reads its StyledConv feature maps)', given: `a ${generator.constructor.name} (${generator.id})` }]);
};

/**
 * Train an alpha branch on the run's StyleGAN2 and real images (progress as `stage-progress` events of
 * `stageName`; checkpoints in `<outDir>/labels4free`, resumed from) and wrap it as a mask source.
 *
 * @example
 * ```ts
 * const src = await trainLabels4Free({ generator: g, reals }, LABELS4FREE_DEFAULTS, { rng: new Rng(0), outDir: 'runs/l4f' });
 * ```
 */
export const trainLabels4Free = async (inputs: InputsFor<'generator' | 'reals'>, config: Labels4FreeConfig, ctx: PipelineContext, stageName = 'train-alpha'): Promise<AlphaMaskSource> => {
  const g = requireStyleGAN2(inputs.generator);
  if (config.useDiscriminator && inputs.discriminator === undefined) {
    throw new DataError('labels4free', 'useDiscriminator (--use_disc) needs the generator\'s discriminator, and the run has none');
  }
  const own = config.useDiscriminator ? undefined : createStyleGAN2Discriminator(g.config, ctx.rng.fork('labels4free-d'));
  const d = own ?? inputs.discriminator!;
  const seed = ctx.rng.fork('labels4free').tfSeed();
  const out = join(ctx.outDir ?? mkdtempSync(join(tmpdir(), 'labels4free-')), 'labels4free');
  const every = Math.max(1, config.logEvery);
  try {
    const { branch, ema, run } = await trainAlphaBranch({
      generator: g, discriminator: d, reals: epochBatches(inputs.reals.images, `${seed}/reals`), config, seed, out,
      onEvent: (e) => {
        if (e.type === 'step' && (e.step % every === 0 || e.step === e.totalSteps)) ctx.onEvent?.({ type: 'stage-progress', stage: stageName, step: e.step, total: e.totalSteps, scalars: e.scalars });
      },
    });
    ema.dispose();
    return alphaMaskSource(branch, config, { steps: run.step, seconds: run.seconds, finalScalars: toJson(run.lastScalars), checkpoint: run.lastCheckpoint ?? null, discriminator: own ? 'StyleGAN2, from scratch' : 'the run\'s' });
  } finally {
    own?.dispose();
  }
};

/**
 * Labels4Free (Abdal et al. 2021) as the method table holds it: config {@link Labels4FreeConfig} over
 * {@link LABELS4FREE_DEFAULTS} (train.py's defaults; presets in `LABELS4FREE_PRESETS`). Needs a StyleGAN2
 * generator and the run's real images (train.py's D sees real photos).
 *
 * @example
 * ```ts
 * const cfg = decodeMethodConfig(labels4freeMethod, labels4freePreset('lsun-horse-paper'));
 * if (E.isRight(cfg)) { const src = await labels4freeMethod.prepare({ generator: g, reals }, cfg.right, { rng: new Rng(0), outDir: 'out' }); }
 * ```
 */
export const labels4freeMethod: MethodSpec<'labels4free', Labels4FreeConfig, 'generator' | 'reals', AlphaMaskSource> = {
  name: 'labels4free',
  paper: 'Abdal, Zhu, Mitra, Wonka 2021, Labels4Free: Unsupervised Segmentation Using StyleGAN, ICCV, https://openaccess.thecvf.com/content/ICCV2021/html/Abdal_Labels4Free_Unsupervised_Segmentation_Using_StyleGAN_ICCV_2021_paper.html',
  codec: Labels4FreeConfig,
  defaults: LABELS4FREE_DEFAULTS,
  needs: ['generator', 'reals'],
  stage: 'train-alpha',
  protocol: 'labels4free',
  describe: (c) => `Alpha net on a frozen StyleGAN2: ${c.iterations} iterations, batch ${c.batchSize}, lr ${c.lr}, ψ ${c.trainTruncation}, sat_weight ${c.satWeight}, loss_multiplier ${c.lossMultiplier}, fg coverage ${c.fgCoverageValue}, bg coverage ${c.bgCoverageWeight}×(${c.bgCoverageValue}), R1 ${c.r1}/${c.dRegEvery}, D ${c.useDiscriminator ? "the run's" : 'from scratch'}; masks α > ${c.maskThreshold} at ψ ${c.sampleTruncation} paired with the ${c.pairImage} image.`,
  prepare: (inputs, config, ctx) => trainLabels4Free(inputs, config, ctx),
  save: (src, dir, member) => {
    const path = join(dir, member === 0 ? 'alpha-net.safetensors' : `alpha-net-${member}.safetensors`);
    writeSafetensors(path, src.branch.stateDict(), { model: 'labels4free-alpha-net', generator: src.generator.id, alphaBranch: JSON.stringify(src.branch.config) });
    return [path];
  },
  pictures: (src, _config, dir, rng) => {
    const g = src.generator, n = 8;
    const rows = tf.tidy(() => {
      const l = src.branch.layers(g.sampleLatent(n, rng.fork('z')), { latents: 'sample', zBackground: g.sampleLatent(n, rng.fork('z-bg')), noise: 'random', rng: rng.fork('noise') });
      const clip = (x: tf.Tensor4D): ImageBatch => tf.clipByValue(x, -1, 1) as ImageBatch;
      return [clip(l.foreground), clip(l.background), l.alpha, clip(l.composite)];
    }) as [ImageBatch, ImageBatch, MaskBatch, ImageBatch];
    writeGrid(join(dir, 'labels4free.png'), rows, { maxColumns: n });
    for (const x of rows) x.dispose();
    return { 'Labels4Free: foreground, background, α, composite (test_sample.py latents)': 'labels4free.png' };
  },
};
