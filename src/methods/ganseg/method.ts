/**
 * GANSeg's spec: what the method table, the pipeline and the CLI know of it. `prepare` trains a part
 * generator and its discriminator from the run's unlabeled images (`train_gan.py`) and returns a mask
 * source that generates as `train_seg.py`'s data set: the generator in eval mode (running statistics),
 * the image and the hard label map argmax(background, part 1…K), one-hot with channel 0 the background.
 *
 * @module
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { PipelineContext } from '../../core/events.ts';
import { toJson, type Json } from '../../core/json.ts';
import type { Rng } from '../../core/rng.ts';
import type { ImageBatch, MaskBatch } from '../../core/tensor.ts';
import { epochBatches } from '../../data/batches.ts';
import { writeGrid } from '../../io/image-file.ts';
import { writeSafetensors } from '../../io/safetensors-file.ts';
import { sampleInChunks } from '../../train/pair-chunks.ts';
import type { PairBatch } from '../../train/segmenter.ts';
import type { InputsFor, MaskSource, MethodSpec } from '../spec.ts';
import { keypointsToPixels, type PartGenerator } from './model.ts';
import { trainGanSeg } from './train.ts';
import { GANSEG_DEFAULTS, GanSegConfig } from './train-config.ts';

/** A mask source backed by a trained part generator: K + 1 classes, channel 0 the background. */
export interface PartMaskSource extends MaskSource {
  /** The trained part generator (owned: disposed with the source); `partGenerator.keypoints(zPoint)` gives its landmarks. */
  readonly partGenerator: PartGenerator;
  /** The settings it was trained with. */
  readonly config: GanSegConfig;
}

/**
 * One batch as `train_seg.py`'s `Dataset`: eval-mode generation, the image and the one-hot label map of
 * argmax over (background, parts) [N,S,S,K+1].
 *
 * @example
 * ```ts
 * const { images, masks } = generatePartPairs(g, 8, new Rng(0)); // [8,S,S,3], [8,S,S,K+1] one-hot
 * ```
 */
export const generatePartPairs = (g: PartGenerator, n: number, rng: Rng): PairBatch => tf.tidy(() => {
  const out = g.forward(g.sampleInputs(n, rng), { training: false });
  const masks = tf.oneHot(tf.argMax(out.masks, 3), g.config.parts + 1).toFloat() as MaskBatch;
  return { images: out.image, masks } as unknown as tf.TensorContainer;
}) as unknown as PairBatch;

/**
 * Wrap a trained (or loaded) part generator as a mask source (`classes` K + 1).
 *
 * @example
 * ```ts
 * const src = partMaskSource(g, GANSEG_DEFAULTS);
 * const { images, masks } = src.sample(8, new Rng(0)); // masks [8,S,S,K+1]
 * ```
 */
export const partMaskSource = (g: PartGenerator, config: GanSegConfig, extra: Record<string, Json> = {}): PartMaskSource => ({
  kind: 'mask-source',
  method: 'ganseg',
  classes: g.config.parts + 1,
  resolution: g.config.imageSize,
  sourceId: `ganseg/k${g.config.parts}/${g.config.featureMapSizes.join('-')}/${String(extra['seed'] ?? '')}`,
  partGenerator: g,
  config,
  sample: (n, rng) => sampleInChunks(n, rng, (k, r) => generatePartPairs(g, k, r)),
  dispose: () => g.dispose(),
  record: { method: 'ganseg', generator: toJson(g.config), config: toJson(config), ...extra },
});

/** K + 1 colours in [0,1]: black background, then hues spaced around the circle. */
const palette = (k: number): number[][] => [[0, 0, 0], ...Array.from({ length: k }, (_, i) => {
  const h = (i / k) * 6, x = 1 - Math.abs((h % 2) - 1);
  const [r, g, b] = h < 1 ? [1, x, 0] : h < 2 ? [x, 1, 0] : h < 3 ? [0, 1, x] : h < 4 ? [0, x, 1] : h < 5 ? [x, 0, 1] : [1, 0, x];
  return [r, g, b];
})];

/**
 * Write `ganseg.png`: generated images, their part masks (each part in its colour), the overlay, and the
 * images with the K part locations (`keypoints`) marked as crosses in their part's colour (eval mode).
 *
 * @example
 * ```ts
 * writePartPictures(g, 'out/ganseg.png', 8, new Rng(0));
 * ```
 */
export const writePartPictures = (g: PartGenerator, file: string, n: number, rng: Rng): void => {
  const k = g.config.parts, s = g.config.imageSize, colours = palette(k);
  const [image, coloured, overlay, kp] = tf.tidy(() => {
    const out = g.forward(g.sampleInputs(n, rng), { training: false });
    const hard = tf.oneHot(tf.argMax(out.masks, 3), k + 1).toFloat();
    const col = tf.sub(tf.mul(tf.matMul(hard.reshape([-1, k + 1]), tf.tensor2d(colours)).reshape([n, s, s, 3]), 2), 1);
    return [out.image, col, tf.add(tf.mul(out.image, 0.5), tf.mul(col, 0.5)), keypointsToPixels(out.keypoints, s)];
  }) as [ImageBatch, ImageBatch, ImageBatch, tf.Tensor3D];
  const px = image.dataSync().slice(), pts = kp.dataSync();
  const arm = Math.max(1, Math.round(s / 32));
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) {
    const r = Math.round(pts[(i * k + j) * 2]!), c = Math.round(pts[(i * k + j) * 2 + 1]!), rgb = colours[j + 1]!;
    for (let d = -arm; d <= arm; d++) for (const [y, x] of [[r + d, c], [r, c + d]] as const) {
      if (y < 0 || y >= s || x < 0 || x >= s) continue;
      for (let ch = 0; ch < 3; ch++) px[((i * s + y) * s + x) * 3 + ch] = 2 * rgb[ch]! - 1;
    }
  }
  const marked = tf.tensor4d(px, [n, s, s, 3]) as ImageBatch;
  writeGrid(file, [image, coloured, overlay, marked], { maxColumns: n });
  tf.dispose([image, coloured, overlay, kp, marked]);
};

/**
 * Train GANSeg on the run's real images (progress as `stage-progress` events of `stageName`; checkpoints in
 * `<outDir>/ganseg`, resumed from) and wrap the part generator as a mask source.
 *
 * @example
 * ```ts
 * const src = await trainGanSegSource({ reals }, GANSEG_DEFAULTS, { rng: new Rng(0), outDir: 'runs/ganseg' });
 * ```
 */
export const trainGanSegSource = async (inputs: InputsFor<'reals'>, config: GanSegConfig, ctx: PipelineContext, stageName = 'train-ganseg'): Promise<PartMaskSource> => {
  const images = inputs.reals.images;
  const seed = ctx.rng.fork('ganseg').tfSeed();
  const out = join(ctx.outDir ?? mkdtempSync(join(tmpdir(), 'ganseg-')), 'ganseg');
  const every = Math.max(1, config.logEvery);
  const { generator, discriminator, run } = await trainGanSeg({
    reals: epochBatches(images, `${seed}/reals`), count: images.shape[0], resolution: images.shape[1], config, seed, out,
    onEvent: (e) => {
      if (e.type === 'step' && (e.step % every === 0 || e.step === e.totalSteps)) ctx.onEvent?.({ type: 'stage-progress', stage: stageName, step: e.step, total: e.totalSteps, scalars: e.scalars });
    },
  });
  discriminator.dispose();
  return partMaskSource(generator, config, { seed, steps: run.step, seconds: run.seconds, finalScalars: toJson(run.lastScalars), checkpoint: run.lastCheckpoint ?? null });
};

/**
 * GANSeg (He, Wandt, Rhodin, CVPR 2022) as the method table holds it: config {@link GanSegConfig} over
 * {@link GANSEG_DEFAULTS} (`log/gan_cub_k8`; presets in `GANSEG_TRAIN_PRESETS`). Needs only the run's
 * unlabeled images: it trains its own part generator; the UNet gets K + 1 outputs.
 *
 * @example
 * ```ts
 * await runMethodPipeline({ method: 'ganseg', resolution: 64, ganseg: { iterations: 2000 } });
 * ```
 */
export const gansegMethod: MethodSpec<'ganseg', GanSegConfig, 'reals', PartMaskSource> = {
  name: 'ganseg',
  paper: 'He, Wandt, Rhodin 2022, GANSeg: Learning to Segment by Unsupervised Hierarchical Image Generation, CVPR, https://arxiv.org/abs/2112.01036',
  codec: GanSegConfig,
  defaults: GANSEG_DEFAULTS,
  // CPU-sized for `gan-segmenter run` (the official sizes take ~9 min a step at batch 64 on one CPU thread): a narrower
  // part generator, batch 8, 300 steps. The discriminator stays the official table. Measured in the README.
  runDefaults: {
    iterations: 300, batchSize: 8, checkpointEvery: 50,
    generator: { zDim: 64, embeddingDim: 32, featureMapChannels: [128, 64, 64, 32, 32, 16], spadeHidden: 16, adainHidden: 32 },
  },
  needs: ['reals'],
  stage: 'train-ganseg',
  protocol: 'ganseg',
  // train_seg.py: 0.5 · cross-entropy + 0.5 · soft Dice.
  segmenterLoss: { crossEntropy: 0.5, dice: 0.5 },
  describe: (c) => `Part generator (K = ${c.generator.parts}, ${c.generator.pointsPerPart} points per part, ${c.generator.useLinear ? 'linear' : 'Gaussian'} heatmaps) and its discriminator trained from scratch: ${c.iterations} steps, batch ${c.batchSize}, Adam ${c.lrG}/${c.lrD} (β ${c.beta1}, ${c.beta2}), gradient penalty ${c.gpWeight} every ${c.gpEvery}, centre ${c.conPenaltyCoef} and area ${c.areaPenaltyCoef} penalties every ${c.penaltyEvery}; pairs: eval-mode images and argmax label maps (K + 1 classes).`,
  prepare: (inputs, config, ctx) => trainGanSegSource(inputs, config, ctx),
  save: (src, dir, member) => {
    const path = join(dir, member === 0 ? 'ganseg-generator.safetensors' : `ganseg-generator-${member}.safetensors`);
    writeSafetensors(path, src.partGenerator.stateDict(), { model: 'ganseg-part-generator', config: JSON.stringify(src.partGenerator.config) });
    return [path];
  },
  pictures: (src, _config, dir, rng) => {
    writePartPictures(src.partGenerator, join(dir, 'ganseg.png'), 8, rng.fork('ganseg-pictures'));
    return { 'GANSeg: images, part masks (one colour per part), overlay, part locations (eval mode)': 'ganseg.png' };
  },
};
