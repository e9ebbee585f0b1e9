/**
 * Loading rosinality/stylegan2-pytorch checkpoints (`.pt` files saved by its
 * `train.py` — `{'g', 'd', 'g_ema', …}` — or by `convert_weight.py`). Works on the
 * file's bytes, so it runs wherever the bytes come from (Node, Deno, browser).
 *
 * @module
 */
import { Rng } from '../../core/rng.ts';
import { readTorchCheckpoint } from '../../io/torch/checkpoint.ts';
import type { StyleGAN2Config } from './config.ts';
import { createStyleGAN2Discriminator, type StyleGAN2Discriminator } from './discriminator.ts';
import { createStyleGAN2Generator, type StyleGAN2Generator } from './generator.ts';
import { inferStyleGAN2Config, loadDiscriminatorStateDict, loadGeneratorStateDict } from './weights.ts';

/** Options of {@link loadStyleGAN2Checkpoint}. */
export interface LoadStyleGAN2Options {
  /** Which generator to load: `'g_ema'` (default; the averaged weights used for sampling) or `'g'`. */
  readonly generatorKey?: 'g_ema' | 'g';
  /** Also load the discriminator (`'d'`). Default false. */
  readonly discriminator?: boolean;
  /** File name for error messages. */
  readonly where?: string;
}

/** What {@link loadStyleGAN2Checkpoint} returns. */
export interface StyleGAN2Checkpoint {
  /** The configuration inferred from the tensor shapes. */
  readonly config: StyleGAN2Config;
  /** The generator with the checkpoint's weights and stored noise. */
  readonly generator: StyleGAN2Generator;
  /** The discriminator, when asked for. */
  readonly discriminator?: StyleGAN2Discriminator;
}

/**
 * Decode a rosinality StyleGAN2 checkpoint: infer the config from the shapes,
 * build the networks and load them, checking every key first (one
 * `WeightsError` lists all missing, unexpected and wrongly-shaped keys).
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * const { generator } = loadStyleGAN2Checkpoint(readFileSync('550000.pt'), { where: '550000.pt' });
 * const { images } = generator.synthesize(generator.sampleLatent(4, new Rng(0)), { truncation: 0.7 });
 * ```
 */
export const loadStyleGAN2Checkpoint = (bytes: Uint8Array, options: LoadStyleGAN2Options = {}): StyleGAN2Checkpoint => {
  const where = options.where ?? 'loadStyleGAN2Checkpoint';
  const key = options.generatorKey ?? 'g_ema';
  const gDict = readTorchCheckpoint(bytes, { key, where });
  const config = inferStyleGAN2Config(gDict, `${where}:${key}`);
  const generator = createStyleGAN2Generator(config, new Rng('stylegan2/checkpoint'), `stylegan2:${where}:${key}`);
  try {
    loadGeneratorStateDict(generator, gDict, `${where}:${key}`);
    if (!options.discriminator) return { config, generator };
    const dDict = readTorchCheckpoint(bytes, { key: 'd', where });
    const discriminator = createStyleGAN2Discriminator(config, new Rng('stylegan2/checkpoint/d'));
    try {
      loadDiscriminatorStateDict(discriminator, dDict, `${where}:d`);
    } catch (e) {
      discriminator.dispose();
      throw e;
    }
    return { config, generator, discriminator };
  } catch (e) {
    generator.dispose();
    throw e;
  }
};
