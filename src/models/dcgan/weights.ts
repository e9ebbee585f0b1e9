/**
 * Our DCGAN files: safetensors with the PyTorch tutorial's names and the config
 * as JSON in `__metadata__.config` (`model: 'dcgan'`).
 *
 * @module
 */
import { decode } from '../../core/codec.ts';
import { WeightsError } from '../../core/errors.ts';
import { Rng } from '../../core/rng.ts';
import type { SafetensorsContent } from '../../io/safetensors.ts';
import { DCGANConfig } from './config.ts';
import { DCGANGenerator, createDCGANGeneratorParams } from './generator.ts';

/**
 * The architecture recorded in a file's metadata (or `override`), validated.
 *
 * @example
 * ```ts
 * const cfg = dcganConfigOf(readSafetensors('g.safetensors'), 'g.safetensors');
 * ```
 */
export const dcganConfigOf = (content: SafetensorsContent, where: string, override?: unknown): DCGANConfig => {
  const model = content.metadata['model'];
  if (model !== undefined && model !== 'dcgan') throw new WeightsError(where, `the file holds a '${model}' model, not 'dcgan'`);
  let raw = override;
  if (raw === undefined) {
    const text = content.metadata['config'];
    if (text === undefined) throw new WeightsError(where, 'the file records no config in __metadata__.config: pass one (--config)');
    try {
      raw = JSON.parse(text) as unknown;
    } catch (e) {
      throw new WeightsError(where, `__metadata__.config is not JSON (${(e as Error).message})`);
    }
  }
  const r = decode(DCGANConfig, raw, `${where}: config`);
  if (r._tag === 'Left') throw r.left;
  return r.right;
};

/**
 * A DCGAN generator from a decoded safetensors file (all keys checked before
 * any is assigned; the generator is freed on failure).
 *
 * @example
 * ```ts
 * const g = dcganGeneratorFromSafetensors(readSafetensors('runs/gan/generator.safetensors'), 'generator.safetensors');
 * ```
 */
export const dcganGeneratorFromSafetensors = (content: SafetensorsContent, where: string, configOverride?: unknown): DCGANGenerator => {
  const config = dcganConfigOf(content, where, configOverride);
  const g = new DCGANGenerator(config, createDCGANGeneratorParams(config, new Rng(0)), `dcgan-${config.resolution}:${where}`);
  try {
    g.loadStateDict(content.tensors, where);
  } catch (e) {
    g.dispose();
    throw e;
  }
  return g;
};
