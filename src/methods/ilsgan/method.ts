/**
 * ILSGAN's spec: what the method table, the pipeline and the CLI know of it. `prepare` trains the
 * layered generator and its discriminator on the run's real images (training_loop_ILS.py) and
 * returns a mask source that draws pairs as generate_segmentation_samples.py: `G_ema` at ψ 1,
 * const noise, no shift, the composite `img` with its `mask` binarized.
 *
 * @module
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { ConfigError, WeightsError } from '../../core/errors.ts';
import type { PipelineContext } from '../../core/events.ts';
import { toJson, type Json } from '../../core/json.ts';
import { Rng } from '../../core/rng.ts';
import type { ImageBatch, MaskBatch } from '../../core/tensor.ts';
import { epochBatches } from '../../data/batches.ts';
import { writeGrid } from '../../io/image-file.ts';
import { readSafetensors, writeSafetensors } from '../../io/safetensors-file.ts';
import { sampleInChunks } from '../../train/pair-chunks.ts';
import type { PairBatch } from '../../train/segmenter.ts';
import type { InputsFor, MaskSource, MethodSpec } from '../spec.ts';
import { foregroundOnBlack, foregroundOnWhite, LayeredGenerator, type Layers } from './model.ts';
import { decodeLayeredGeneratorConfig } from './config.ts';
import { MINE_DEFAULTS, estimateMutualInformation, type MineConfig, type MineLayers } from './mine.ts';
import { trainIlsgan } from './train.ts';
import { ILSGAN_DEFAULTS, IlsganConfig } from './train-config.ts';

/** A mask source backed by a trained layered generator. */
export interface LayeredMaskSource extends MaskSource {
  /** `G_ema` (owned: disposed with the source). */
  readonly layered: LayeredGenerator;
  /** The settings it was trained and samples with. */
  readonly config: IlsganConfig;
}

/**
 * `n` unshifted layer sets of `g` as generate_segmentation_samples.py draws them: z ~ N(0, I) from `rng`,
 * ψ `psi`, const noise. The caller disposes the four tensors.
 *
 * @example
 * ```ts
 * const l = drawLayers(gEma, 8, new Rng(0), 1); // foreground, background, mask, composite
 * ```
 */
export const drawLayers = (g: LayeredGenerator, n: number, rng: Rng, psi: number): Layers => tf.tidy(() => {
  const z = tf.tensor2d(rng.normalArray(n * g.config.zDim), [n, g.config.zDim]);
  return g.layers(z, { truncation: psi, noise: 'const' }) as unknown as tf.TensorContainer;
}) as unknown as Layers;

/** The rows of {@link writeLayerGrid}, top to bottom. */
export const LAYER_GRID_ROWS = ['foreground', 'background', 'mask', 'composite', 'foreground on black (m·fg)', 'foreground on white'] as const;

/**
 * A PNG grid of layer sets, one column per sample, rows {@link LAYER_GRID_ROWS} (images clipped to [-1, 1]).
 *
 * @example
 * ```ts
 * const l = drawLayers(gEma, 8, new Rng(0), 1);
 * writeLayerGrid(l, 'out/layers.png');
 * ```
 */
export const writeLayerGrid = (l: Layers, file: string): void => {
  const rows = tf.tidy(() => {
    const clip = (x: tf.Tensor4D): ImageBatch => tf.clipByValue(x, -1, 1) as ImageBatch;
    return [clip(l.foreground), clip(l.background), l.mask, clip(l.composite), clip(foregroundOnBlack(l)), clip(foregroundOnWhite(l))];
  });
  writeGrid(file, rows, { maxColumns: l.mask.shape[0] });
  tf.dispose(rows);
};

/** The metadata `model` field of a saved layered generator (`run method=ilsgan`, `train-ilsgan`). */
export const LAYERED_GENERATOR_MODEL = 'ilsgan-PerturbGenerator';

/**
 * Save a layered generator as safetensors: NVlabs parameter names, its config in the metadata.
 *
 * @example
 * ```ts
 * saveLayeredGenerator(gEma, 'out/ilsgan-generator.safetensors');
 * ```
 */
export const saveLayeredGenerator = (g: LayeredGenerator, file: string, extra: Readonly<Record<string, string>> = {}): void =>
  writeSafetensors(file, g.stateDict(), { ...extra, model: LAYERED_GENERATOR_MODEL, generator: JSON.stringify(g.config) });

/**
 * Load a layered generator saved by {@link saveLayeredGenerator}. A file of another model, or without a
 * valid config, is a {@link WeightsError}.
 *
 * @example
 * ```ts
 * const g = loadLayeredGenerator('out/ilsgan-generator.safetensors');
 * ```
 */
export const loadLayeredGenerator = (file: string): LayeredGenerator => {
  const where = `loadLayeredGenerator(${file})`;
  const { tensors, metadata } = readSafetensors(file);
  if (metadata['model'] !== LAYERED_GENERATOR_MODEL) throw new WeightsError(where, `not a layered generator file (metadata model ${JSON.stringify(metadata['model'] ?? null)}, expected ${LAYERED_GENERATOR_MODEL})`);
  let raw: unknown;
  try {
    raw = JSON.parse(metadata['generator'] ?? '');
  } catch {
    throw new WeightsError(where, 'metadata `generator` is not JSON');
  }
  const cfg = decodeLayeredGeneratorConfig(raw);
  if (E.isLeft(cfg)) throw new WeightsError(where, `metadata \`generator\`: ${cfg.left.message}`);
  const g = LayeredGenerator.create(cfg.right, new Rng('load'));
  try {
    g.loadStateDict(tensors, where);
    return g;
  } catch (e) {
    g.dispose();
    throw e;
  }
};

/**
 * Wrap a layered generator as a mask source: `sample(n, rng)` draws z ~ N(0, I), the unshifted
 * layers at ψ `truncation` with const noise, and returns the composite (clamped to [-1,1]) with the
 * mask m > `maskThreshold` (generate_segmentation_samples.py saves `img` and `mask`).
 *
 * @example
 * ```ts
 * const src = layeredMaskSource(gEma, ILSGAN_DEFAULTS);
 * const { images, masks } = src.sample(8, new Rng(0)); // [8,R,R,3], [8,R,R,1] of 0/1
 * ```
 */
export const layeredMaskSource = (g: LayeredGenerator, config: IlsganConfig, sourceId: string, extra: Record<string, Json> = {}): LayeredMaskSource => {
  const chunk = (n: number, rng: Rng): PairBatch => {
    const l = drawLayers(g, n, rng, config.truncation);
    const out = tf.tidy(() => ({
      images: tf.clipByValue(l.composite, -1, 1) as ImageBatch,
      masks: tf.cast(tf.greater(l.mask, config.maskThreshold), 'float32') as MaskBatch,
    }));
    tf.dispose([l.foreground, l.background, l.mask, l.composite]);
    return out;
  };
  return {
    kind: 'mask-source',
    method: 'ilsgan',
    classes: 1,
    resolution: g.config.resolution,
    sourceId,
    layered: g,
    config,
    sample: (n, rng) => sampleInChunks(n, rng, chunk),
    dispose: () => g.dispose(),
    record: { method: 'ilsgan', generator: toJson(g.config), config: toJson(config), ...extra },
  };
};

/**
 * Train ILSGAN on the run's real images (progress as `stage-progress` events of `stageName`;
 * checkpoints in `<outDir>/ilsgan`, resumed from) and wrap `G_ema` as a mask source.
 *
 * @example
 * ```ts
 * const src = await trainIlsganSource({ reals }, ILSGAN_DEFAULTS, { rng: new Rng(0), outDir: 'runs/ils' });
 * ```
 */
export const trainIlsganSource = async (inputs: InputsFor<'reals'>, config: IlsganConfig, ctx: PipelineContext, stageName = 'train-ilsgan'): Promise<LayeredMaskSource> => {
  const images = inputs.reals.images;
  const side = images.shape[1];
  if (config.resolution !== null && config.resolution !== side) {
    throw new ConfigError('ilsgan', [{ path: 'ilsgan.resolution', expected: `null or the run's image side ${side}`, given: String(config.resolution) }]);
  }
  const seed = ctx.rng.fork('ilsgan').tfSeed();
  const out = join(ctx.outDir ?? mkdtempSync(join(tmpdir(), 'ilsgan-')), 'ilsgan');
  const every = Math.max(1, config.logEvery);
  const { generator, generatorEma, discriminator, run } = await trainIlsgan({
    reals: epochBatches(images, `${seed}/reals`), resolution: side, config, seed, out,
    onEvent: (e) => {
      if (e.type === 'step' && (e.step % every === 0 || e.step === e.totalSteps)) ctx.onEvent?.({ type: 'stage-progress', stage: stageName, step: e.step, total: e.totalSteps, scalars: e.scalars });
    },
  });
  generator.dispose();
  discriminator.dispose();
  const mine: Record<string, Json> = config.mineIterations > 0 ? { mine: toJson(layeredMutualInformation(generatorEma, config, ctx.rng.fork('mine'), (p) => ctx.onEvent?.({ type: 'stage-progress', stage: `${stageName}/mine`, step: p.iteration, total: p.total, scalars: Object.fromEntries(p.values.map((v, i) => [`mi${i + 1}`, v])) }))) } : {};
  return layeredMaskSource(generatorEma, config, `ilsgan/${seed}/${side}`, { steps: run.step, seconds: run.seconds, finalScalars: toJson(run.lastScalars), checkpoint: run.lastCheckpoint ?? null, ...mine });
};

/** What {@link layeredMutualInformation} returns (nats). */
export interface LayeredMutualInformation {
  /** Separate regions: (fg·m, bg·m) and (bg·(1−m), fg·(1−m)). */
  readonly separate: number[];
  /** Whole layers: (fg, bg). */
  readonly single: number;
  /** MINE iterations of each estimate. */
  readonly iterations: number;
  /** Samples read. */
  readonly samples: number;
  /** Hidden units of the statistics network. */
  readonly hidden: number;
  /** Wall time of both estimates. */
  readonly seconds: number;
}

/**
 * ILSGAN's MINE evaluation of a layered generator (`generate_segmentation_samples.py` then
 * `eval_MI_MINE.py`): `config.mineSamples` unshifted layers at ψ `config.truncation` with const
 * noise, MINE on the separate regions (fg and bg under the mask; outside it) and on the whole
 * layers, `config.mineIterations` iterations each. Values in nats, for the run's record.
 *
 * @example
 * ```ts
 * const mi = layeredMutualInformation(gEma, { ...ILSGAN_DEFAULTS, mineIterations: 2000 as NonNegativeInt }, new Rng(0));
 * console.log(mi.separate, mi.single);
 * ```
 */
export const layeredMutualInformation = (
  g: LayeredGenerator, config: IlsganConfig, rng: Rng, onProgress?: Parameters<typeof estimateMutualInformation>[3],
): LayeredMutualInformation => {
  const t0 = Date.now();
  const n = config.mineSamples, chunk = 64;
  const parts: Layers[] = [];
  const draw = rng.fork('z');
  for (let s = 0; s < n; s += chunk) parts.push(drawLayers(g, Math.min(chunk, n - s), draw, config.truncation));
  const layers: MineLayers = tf.tidy(() => ({
    foreground: tf.concat(parts.map((p) => p.foreground)),
    background: tf.concat(parts.map((p) => p.background)),
    mask: tf.concat(parts.map((p) => p.mask)),
  }) as unknown as tf.TensorContainer) as unknown as MineLayers;
  tf.dispose(parts.flatMap((p) => [p.foreground, p.background, p.mask, p.composite]));
  const mc: MineConfig = { ...MINE_DEFAULTS, iterations: config.mineIterations as number as MineConfig['iterations'], hidden: config.mineHidden };
  try {
    const separate = estimateMutualInformation(layers, { ...mc, regions: 'separate' }, rng.fork('separate'), onProgress);
    const single = estimateMutualInformation(layers, { ...mc, regions: 'single' }, rng.fork('single'), onProgress);
    return { separate: [...separate.average], single: single.total, iterations: mc.iterations, samples: n, hidden: mc.hidden, seconds: (Date.now() - t0) / 1000 };
  } finally {
    tf.dispose([layers.foreground, layers.background, layers.mask]);
  }
};

/**
 * ILSGAN (Zou et al. 2023) as the method table holds it: config {@link IlsganConfig} over
 * {@link ILSGAN_DEFAULTS} (`ILS_predL`; presets `ILSGAN_PRESETS`). Needs only the run's real images:
 * it trains its own layered generator.
 *
 * @example
 * ```ts
 * const cfg = decodeMethodConfig(ilsganMethod, { kimg: 100 });
 * if (E.isRight(cfg)) { const src = await ilsganMethod.prepare({ reals }, cfg.right, { rng: new Rng(0), outDir: 'out' }); }
 * ```
 */
export const ilsganMethod: MethodSpec<'ilsgan', IlsganConfig, 'reals', LayeredMaskSource> = {
  name: 'ilsgan',
  paper: 'Zou, Yang, Wang, Zhang, Chen 2023, ILSGAN: Independent Layer Synthesis for Unsupervised Foreground-Background Segmentation, AAAI, https://arxiv.org/abs/2211.13974',
  codec: IlsganConfig,
  defaults: ILSGAN_DEFAULTS,
  runDefaults: { kimg: 4, batchSize: 16, zDim: 64, wDim: 64, mappingLayers: 2, channelBase: 1024, channelMax: 64, checkpointEvery: 50 },
  needs: ['reals'],
  stage: 'train-ilsgan',
  describe: (c) => `Layered GAN trained from scratch: ${c.kimg} kimg, batch ${c.batchSize}, lr ${c.lr}, R1 γ ${c.r1Gamma ?? '0.0002·res²/batch'} every ${c.dRegInterval}, z/w ${c.zDim}/${c.wDim}, ${c.mappingLayers} mapping layers, channels ${c.channelBase}/${c.channelMax}; shift ${c.perturb ? c.xintMax : 'off'}, binarization ${c.binarizationWeight}, mask size ${c.maskSizeWeight}×relu(${c.minMaskSize} − mean m), independence ${c.independence ? `σ ${c.initialSigma} → ${c.sigma} after 400 kimg` : 'off'}; pairs: composite at ψ ${c.truncation}, mask m > ${c.maskThreshold}.`,
  prepare: (inputs, config, ctx) => trainIlsganSource(inputs, config, ctx),
  save: (src, dir, member) => {
    const path = join(dir, member === 0 ? 'ilsgan-generator.safetensors' : `ilsgan-generator-${member}.safetensors`);
    saveLayeredGenerator(src.layered, path);
    return [path];
  },
  pictures: (src, _config, dir, rng) => {
    const l = drawLayers(src.layered, 8, rng.fork('z'), src.config.truncation);
    writeLayerGrid(l, join(dir, 'ilsgan.png'));
    tf.dispose([l.foreground, l.background, l.mask, l.composite]);
    return { [`ILSGAN: ${LAYER_GRID_ROWS.join(', ')} (G_ema, ψ ${src.config.truncation}, const noise)`]: 'ilsgan.png' };
  },
};
