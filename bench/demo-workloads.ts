/**
 * The small workloads users actually run (the demo's sizes), built from the library's own
 * models, losses, `Adam` and `minimize` exactly as its training loops call them. PyTorch twins:
 * tools/bench/torch_bench.py (`demo-unet`, `dcgan32`, `direction`, `segment100`, and the opt-in `ilsgan64` and
 * `ganseg64`; `pairs1k` is tfjs only). GAN steps go through {@link ganStepWorkload}, `trainGan`'s step.
 *
 * @module
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../src/core/rng.ts';
import type { PositiveInt, PositiveNumber } from '../src/core/codec.ts';
import { Adam, type AdamConfig } from '../src/train/adam.ts';
import { minimize } from '../src/train/step.ts';
import { bceWithLogits, diceLoss } from '../src/train/losses.ts';
import { melasKyriaziSegmenterDefaults } from '../src/train/segmenter.ts';
import { defaultGanPhases, type GanPhase } from '../src/train/phases.ts';
import { createGanStepper, dcganTrainDefaults, type GanNetworks, type GanTrainConfig } from '../src/train/gan.ts';
import { ilsDiscriminatorConfig, ilsganGanConfig, ilsganGeneratorConfig, ilsganPhases, ilsganPreset, layeredTrainable, LayeredDiscriminator, LayeredGenerator } from '../src/methods/ilsgan/index.ts';
import { GANSEG_DEFAULTS, GanSegDiscriminator, ganSegDiscriminatorFor, gansegGanConfig, gansegPhases, PartGenerator, partGeneratorFor, partGeneratorModule, type GanSegConfig } from '../src/methods/ganseg/index.ts';
import { createUNet } from '../src/models/unet/model.ts';
import { createDCGANGenerator } from '../src/models/dcgan/generator.ts';
import { createDCGANDiscriminator } from '../src/models/dcgan/discriminator.ts';
import { dcganSmall32 } from '../src/models/dcgan/config.ts';
import { loadGenerator } from '../src/models/registry/files.ts';
import type { Generator } from '../src/models/generator.ts';
import { PAPER_CONFIG } from '../src/methods/latent-direction/config.ts';
import { directionLoss } from '../src/methods/latent-direction/losses.ts';
import { LatentDirection, sampleLatents, synthesizeBatch } from '../src/methods/latent-direction/model.ts';
import { directionMaskSource } from '../src/methods/latent-direction/method.ts';
import { segmentImage } from '../src/pipeline/segment.ts';
import { readImage } from '../src/io/image-file.ts';
import { toRgb } from '../src/io/image.ts';
import type { Raster } from '../src/core/raster.ts';
import type { Workload } from './workloads.ts';

/** The demo's shipped generator (`gan-segmenter run --gan.weights`, tools/train/shapes-gan.yaml). */
export const SHIPPED_DCGAN = 'assets/dcgan-shapes-32.safetensors';

const trainableCount = (vars: readonly tf.Variable[]): number => vars.filter((v) => v.trainable).reduce((n, v) => n + v.size, 0);

/** A seeded batch of binary masks [n,h,w,1] (discs of random centre and radius, as the shapes data's foregrounds). */
const discMasks = (n: number, size: number, rng: Rng): tf.Tensor4D => {
  const m = new Float32Array(n * size * size);
  for (let i = 0; i < n; i++) {
    const cx = rng.uniformArray(1, 0.3, 0.7)[0]! * size, cy = rng.uniformArray(1, 0.3, 0.7)[0]! * size, r = rng.uniformArray(1, 0.1, 0.3)[0]! * size;
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) m[(i * size + y) * size + x] = Math.hypot(x + 0.5 - cx, y + 0.5 - cy) < r ? 1 : 0;
  }
  return tf.tensor4d(m, [n, size, size, 1]);
};

/**
 * `demo-unet`: one step of `trainSegmenter` on the demo's UNet (run.ts: width 16, depth 3, 2 classes,
 * transposed-conv upsampling; RUN_DEFAULTS batch 16 at 32²): foreground logit l₁ − l₀, loss
 * 1·BCE + 0·Dice (the latent-direction method sets no segmenter loss, so the trainer's defaults),
 * `minimize` (loss and gradient-norm check, then the library's Adam, lr 1e-3). The trainer's seeded
 * flip + crop + colour augmentation is left out on both sides.
 */
export const demoUnetWorkload = (): Workload => {
  const unet = createUNet({ inChannels: 3, nClasses: 2, width: 16, depth: 3, bilinear: false }, new Rng('bench-demo-unet'));
  const cfg = melasKyriaziSegmenterDefaults;
  const opt = new Adam(unet.trainableVariables(), { ...cfg.optimizer, lr: 1e-3 } as AdamConfig);
  const rng = new Rng('bench-demo-unet-data');
  const images = tf.tensor4d(rng.uniformArray(16 * 32 * 32 * 3, -1, 1), [16, 32, 32, 3]);
  const masks = discMasks(16, 32, rng);
  let s = 0;
  return {
    step: () => {
      minimize(opt, () => {
        const logits = unet.logits(images, true);
        return tf.add(tf.mul(bceWithLogits(logits, masks), cfg.bceWeight), tf.mul(diceLoss(logits, masks), cfg.diceWeight)) as tf.Scalar;
      }, { step: s++, phase: 'segmenter', onNonFinite: 'stop' });
    },
    dispose: () => {
      opt.dispose();
      unet.dispose();
      tf.dispose([images, masks]);
    },
    info: { params: trainableCount(unet.variables()) },
  };
};

/** What {@link ganStepWorkload} needs: a GAN run as `trainGan` gets it, with one fixed batch of reals. */
interface GanRun {
  readonly config: GanTrainConfig;
  readonly networks: GanNetworks;
  readonly phases: readonly GanPhase[];
  readonly reals: tf.Tensor4D;
  /** Frees what `networks` does not own (e.g. the wrapped models). */
  readonly dispose: () => void;
}

/**
 * One step of `trainGan` (src/train/gan.ts) with the run's own phases: the library's own step
 * (`createGanStepper`: each phase due at this step through `minimize`, ADA and its controller when on,
 * the EMA of G and its buffers), on one fixed batch of reals, without the checkpointing loop around it.
 * Steps count from `firstStep`: 1 keeps the lazy regularizers (due at step 0, then every 16 steps) out of short runs.
 */
const ganStepWorkload = (r: GanRun, info: Record<string, unknown>, firstStep = 0): Workload => {
  const { generator: g, generatorEma: gEma, discriminator: d } = r.networks;
  const stepper = createGanStepper({ config: r.config, networks: r.networks, phases: r.phases, reals: () => tf.clone(r.reals) });
  let s = firstStep;
  return {
    step: () => {
      stepper.step(s);
      s++;
    },
    dispose: () => {
      stepper.dispose();
      g.dispose();
      gEma.dispose();
      d.dispose();
      r.reals.dispose();
      r.dispose();
    },
    info: { params: trainableCount(g.variables()) + trainableCount(d.variables()), ...info },
  };
};

const uniformReals = (n: number, size: number, label: string): tf.Tensor4D =>
  tf.tensor4d(new Rng(label).uniformArray(n * size * size * 3, -1, 1), [n, size, size, 3]);

/**
 * `dcgan32`: one `trainGan` step as `train-gan --config tools/train/shapes-gan.yaml` runs it for the shipped
 * generator: `dcganSmall32` (G 128-64-32 with BN, D 32-64-128 without), batch 32, the default phases `Gmain`
 * and `Dmain` (non-saturating logistic loss), Adam 2e-4 (β 0.5, 0.999) each, EMA of G (emaKimg 1).
 */
export const dcgan32Workload = (): Workload => {
  const rng = new Rng('bench-dcgan32');
  const adam = { lr: 2e-4, beta1: 0.5, beta2: 0.999, eps: 1e-8 } as AdamConfig;
  const config: GanTrainConfig = { ...dcganTrainDefaults, seed: 0, batchSize: 32 as PositiveInt, loss: 'logistic', g: adam, d: adam, r1Gamma: 0, emaKimg: 1, augment: [], ada: null };
  const networks: GanNetworks = {
    generator: createDCGANGenerator(dcganSmall32, rng.fork('G')),
    generatorEma: createDCGANGenerator(dcganSmall32, rng.fork('G')),
    discriminator: createDCGANDiscriminator(dcganSmall32, rng.fork('D')),
  };
  return ganStepWorkload({ config, networks, phases: defaultGanPhases(config), reals: uniformReals(32, 32, 'bench-dcgan32-reals'), dispose: () => {} }, {});
};

/**
 * `ilsgan64`: one step of `trainIlsgan` at the `ILS_predL` preset (64², batch 32; layered StyleGAN2 G, z 512,
 * channel max 256; ADA bgc at p = 0; CLUB independence term; the reference's lazy R1 every 16 steps).
 */
export const ilsgan64Workload = (): Workload => {
  const cfg = ilsganPreset('ILS_predL');
  const init = new Rng('bench-ilsgan64');
  const gcfg = ilsganGeneratorConfig(cfg, 64);
  const generator = LayeredGenerator.create(gcfg, init.fork('G'));
  const generatorEma = LayeredGenerator.create(gcfg, init.fork('G'));
  const discriminator = LayeredDiscriminator.create({ ...ilsDiscriminatorConfig(64), channelBase: cfg.channelBase, channelMax: cfg.channelMax, mbstdGroup: cfg.mbstdGroup }, init.fork('D'));
  const config = ilsganGanConfig(cfg, 64, 0);
  return ganStepWorkload({
    config,
    networks: { generator: layeredTrainable(generator), generatorEma: layeredTrainable(generatorEma), discriminator },
    phases: ilsganPhases(generator, cfg, config),
    reals: uniformReals(32, 64, 'bench-ilsgan64-reals'),
    dispose: () => {},
  }, { r1Every: config.r1Interval }, 1);
};

/**
 * `ganseg64`: one step of `trainGanSeg` at GANSEG_DEFAULTS (`gan_cub_k8`, the part generator scaled to 64²,
 * batch 64, Adam 1e-4 / 4e-4 β (0.5, 0.9)): its own D and G phases, with the gradient penalty every 16 and
 * the part-area penalty every 2 steps as `gansegPhases` schedules them, and `recompute` on (SPADE activation
 * checkpointing: the same numbers, bit for bit; without it G's update needs ~23 GB at batch 64, with it ~14 GB).
 * `batch` and `recompute` override the defaults for measurements at other sizes.
 */
export const ganseg64Workload = (batch: number = GANSEG_DEFAULTS.batchSize, recompute = true): Workload => {
  const c: GanSegConfig = { ...GANSEG_DEFAULTS, batchSize: batch as PositiveInt, recompute };
  const gc = partGeneratorFor(c.generator, 64);
  const init = new Rng('bench-ganseg64');
  const g = PartGenerator.create(gc, init.fork('G'));
  const copy = PartGenerator.create(gc, init.fork('G'));
  const d = GanSegDiscriminator.create(c.discriminator ?? ganSegDiscriminatorFor(64), 64, init.fork('D'));
  return ganStepWorkload({
    config: gansegGanConfig(c, 0),
    networks: { generator: partGeneratorModule(g), generatorEma: partGeneratorModule(copy), discriminator: d },
    phases: gansegPhases(g, c, c.maxEpochBatches),
    reals: uniformReals(c.batchSize, 64, 'bench-ganseg64-reals'),
    dispose: () => {},
  }, { recompute }, 1);
};

/** `tf.train.adam(lr)`'s settings, as latent-direction/train.ts uses them. */
const tfjsAdam = (lr: number): AdamConfig => ({ lr, beta1: 0.9, beta2: 0.999, eps: tf.backend().epsilon() }) as AdamConfig;

/**
 * `direction`: one iteration of `LatentDirectionFinder` (latent-direction/train.ts) at the paper's settings
 * (PAPER_CONFIG: batch 32 in z, radius N(2, 0.5²) ≥ 0.1 per entry, loss 2·radial prior + 10·Sobel shift,
 * Adam 5e-3 with tfjs's arithmetic) on the shipped 32² DCGAN (frozen, eval-mode batch norm): the original
 * images outside the tape, `minimize` on the shifted ones, then the direction renormalised.
 */
export const directionWorkload = (): Workload => {
  const g = loadGenerator(SHIPPED_DCGAN);
  const c = PAPER_CONFIG;
  const rng = new Rng('bench-direction');
  const dim = g.latentDim;
  const d = tf.tidy(() => tf.variable(tf.tensor1d(rng.normalArray(dim, 0, 0.1)), true));
  const opt = new Adam([d], tfjsAdam(c.learningRate), { arithmetic: 'tfjs' });
  let s = 0;
  return {
    step: () => {
      const batch = sampleLatents(g, c.batchSize, c.space, rng);
      const r = tf.tensor2d(rng.normalArray(c.batchSize * dim, c.radius.mean, c.radius.std).map((v) => Math.max(v, c.radius.min)), [c.batchSize, dim]);
      const original = tf.tidy(() => synthesizeBatch(g, batch, batch.latents, c.truncation));
      minimize(opt, () => {
        const unit = tf.div(d, tf.norm(d));
        const shifted = synthesizeBatch(g, batch, tf.add(batch.latents, tf.mul(r, unit)) as tf.Tensor2D, c.truncation);
        return directionLoss(shifted, original, c.losses).total;
      }, { step: s++, phase: 'direction/light', onNonFinite: 'stop' });
      tf.tidy(() => { d.assign(tf.div(d, tf.norm(d))); });
      tf.dispose([original, r, batch.latents]);
    },
    dispose: () => {
      opt.dispose();
      d.dispose();
      g.dispose();
    },
    info: { params: trainableCount(g.variables()) + dim },
  };
};

/** A direction for `g` from `iterations` steps of the search above (seeded), for the pairs workload. */
const quickDirection = (g: Generator, iterations: number): LatentDirection => {
  const c = PAPER_CONFIG, rng = new Rng('bench-pairs-direction'), dim = g.latentDim;
  const d = tf.tidy(() => tf.variable(tf.tensor1d(rng.normalArray(dim, 0, 0.1)), true));
  const opt = new Adam([d], tfjsAdam(c.learningRate), { arithmetic: 'tfjs' });
  for (let s = 0; s < iterations; s++) {
    const batch = sampleLatents(g, c.batchSize, c.space, rng);
    const r = tf.tensor2d(rng.normalArray(c.batchSize * dim, c.radius.mean, c.radius.std).map((v) => Math.max(v, c.radius.min)), [c.batchSize, dim]);
    const original = tf.tidy(() => synthesizeBatch(g, batch, batch.latents, c.truncation));
    minimize(opt, () => directionLoss(synthesizeBatch(g, batch, tf.add(batch.latents, tf.mul(r, tf.div(d, tf.norm(d)))) as tf.Tensor2D, c.truncation), original, c.losses).total,
      { step: s, phase: 'direction/light', onNonFinite: 'stop' });
    tf.tidy(() => { d.assign(tf.div(d, tf.norm(d))); });
    tf.dispose([original, r, batch.latents]);
  }
  opt.dispose();
  const out = LatentDirection.fromVectors(g, d.dataSync(), { variant: 'single', space: 'z', maskRadius: 1 });
  d.dispose();
  return out;
};

/**
 * `pairs1k`: 1000 synthetic pairs as `gan-segmenter run`'s `generate-data` stage draws them in memory mode
 * (stages.ts: chunks of 32 from the mask source, then one concat): G(z), G(z + 1·d) and the paper's filters
 * (connected components ≥ 0.2, foreground fraction in [0, 0.5], ≥ 2 histogram peaks of 12 bins) per image
 * (`directionMaskSource`, masks at shift radius 1 as `run` makes them). The direction: 100 seeded iterations
 * of the search on the shipped DCGAN, found once before timing. tfjs only.
 */
export const pairs1kWorkload = (): Workload => {
  const g = loadGenerator(SHIPPED_DCGAN);
  const direction = quickDirection(g, 100);
  const src = directionMaskSource(g, direction, { ...PAPER_CONFIG, maskRadius: 1 as PositiveNumber });
  let s = 0;
  return {
    step: () => {
      const fill = new Rng(`bench-pairs1k/${s++}`);
      const parts = [];
      for (let have = 0; have < 1000; have += 32) parts.push(src.sample(Math.min(32, 1000 - have), fill));
      const images = tf.concat(parts.map((p) => p.images), 0), masks = tf.concat(parts.map((p) => p.masks), 0);
      for (const p of parts) tf.dispose([p.images, p.masks]);
      masks.dataSync();
      tf.dispose([images, masks]);
    },
    dispose: () => {
      src.dispose();
      g.dispose();
    },
    get info() {
      const stats = (src.record as { filterStats: { generated: number; kept: number } }).filterStats;
      return { params: trainableCount(g.variables()), generated: stats.generated, kept: stats.kept };
    },
  };
};

/** Where `segment100` reads its photos: `GAN_SEGMENTER_BENCH_PHOTOS`, else the dev horse photos beside the project. */
export const benchPhotosDir = (): string => process.env['GAN_SEGMENTER_BENCH_PHOTOS'] ?? join('..', 'shared', 'datasets', 'weizmann-horse', 'images');

/**
 * `segment100`: what `gan-segmenter segment` does per photo for 100 photos (the first 100 by name of
 * {@link benchPhotosDir}, decoded before timing; file reading and PNG writing are not timed):
 * `segmentImage` — area resize to 64², the demo's UNet (width 16, depth 3, transposed-conv up) in
 * eval mode, sigmoid of l₁ − l₀, bilinear back to the photo's size (align_corners), threshold 0.5 —
 * one photo at a time, as `segmentFolder` calls it. The UNet's weights are seeded, not trained (the
 * time does not depend on them).
 */
export const segment100Workload = (): Workload => {
  const dir = benchPhotosDir();
  if (!existsSync(dir)) throw new Error(`segment100: no photo folder ${dir} (set GAN_SEGMENTER_BENCH_PHOTOS)`);
  const files = readdirSync(dir).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort().slice(0, 100);
  if (files.length < 100) throw new Error(`segment100: ${dir} has ${files.length} photos, 100 needed`);
  const photos: Raster[] = files.map((f) => toRgb(readImage(join(dir, f))));
  const unet = createUNet({ inChannels: 3, nClasses: 2, width: 16, depth: 3, bilinear: false }, new Rng('bench-segment100'));
  const seg = { model: unet, resolution: 64, checkpoint: 'bench' };
  return {
    step: () => {
      for (const p of photos) segmentImage(seg, p);
    },
    dispose: () => unet.dispose(),
    info: { params: trainableCount(unet.variables()), photos: photos.length, pixels: photos.reduce((n, p) => n + p.width * p.height, 0) },
  };
};
