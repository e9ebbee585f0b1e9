// Test helper: a tiny GANSeg config (generator, discriminator and training) for 16² images.
import type { PositiveInt } from '../../../src/core/codec.ts';
import { GANSEG_DEFAULTS, GANSEG_PRESETS, type GanSegConfig } from '../../../src/methods/ganseg/index.ts';

/** A tiny GANSeg: K = 3 parts of 4 points, 16² in blocks 8, 8, 16; D 16² → 2². */
export const TINY: GanSegConfig = {
  ...GANSEG_DEFAULTS,
  generator: {
    ...GANSEG_PRESETS.gan_celeba_wild_k8, zDim: 16, parts: 3, embeddingDim: 8, featureMapSizes: [8, 8, 16], featureMapChannels: [16, 12, 8],
    imageSize: 16, spadeHidden: 16, adainHidden: 16,
  } as GanSegConfig['generator'],
  discriminator: { channels: [4, 8, 8], fcHidden: 16 } as GanSegConfig['discriminator'],
  iterations: 4 as PositiveInt, batchSize: 4 as PositiveInt, checkpointEvery: 2 as PositiveInt, logEvery: 1 as PositiveInt,
};
