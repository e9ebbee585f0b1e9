/**
 * Loading a generator from a weights file for the pipeline and the CLI.
 * DCGAN or StyleGAN2 safetensors as `train-gan` writes them (metadata `model: dcgan | stylegan2`,
 * `config` JSON, optional `id`).
 * The id defaults to the architecture plus a hash of the file, so a direction
 * made for one set of weights is refused by another.
 *
 * @module
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { loadCheckpoint, restoreVariables } from '../train/checkpoint.ts';
import { namedVariables } from '../train/loop.ts';
import { basename } from 'node:path';
import { parseSafetensors } from '../io/safetensors.ts';
import { WeightsError } from '../core/errors.ts';
import { Rng } from '../core/rng.ts';
import type { Generator } from '../models/generator.ts';
import { dcganSmall32 } from '../models/dcgan/index.ts';
import { createGanGenerator, isStyleGAN2Model, loadGanGeneratorWeights } from '../models/gan-model.ts';

/** FNV-1a 32-bit hash of bytes, as 8 hex digits. */
export const fnv1a = (bytes: Uint8Array): string => {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i] as number;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
};

/**
 * Load a generator from a safetensors file written by the library.
 *
 * @example
 * ```ts
 * const g = loadGeneratorFile('assets/dcgan-shapes-32.safetensors');
 * ```
 */
export const loadGeneratorFile = (path: string): Generator => {
  const where = `loadGeneratorFile(${path})`;
  if (existsSync(path) && statSync(path).isDirectory()) return loadGeneratorCheckpoint(path);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new WeightsError(where, `cannot read the file (${e instanceof Error ? e.message : String(e)})`);
  }
  const { tensors, metadata } = parseSafetensors(bytes, where);
  const model = metadata.model ?? (tensors.has('main.0.weight') ? 'dcgan' : undefined);
  if (model !== 'dcgan' && model !== 'stylegan2') throw new WeightsError(where, `unsupported generator model ${JSON.stringify(model ?? null)} (supported: dcgan, stylegan2)`);
  if (model === 'stylegan2' && !metadata.config) throw new WeightsError(where, 'a stylegan2 file needs its config metadata');
  const config = metadata.config ? (JSON.parse(metadata.config) as unknown) : dcganSmall32;
  const id = metadata.id ?? `${model}:${basename(path)}:${fnv1a(bytes)}`;
  const g = createGanGenerator(model === 'stylegan2' ? { ...(config as object), kind: 'stylegan2' } : config, new Rng('load'), id);
  try {
    loadGanGeneratorWeights(g, tensors, where);
  } catch (e) {
    g.dispose();
    throw e;
  }
  return g;
};

/**
 * Load the generator of a `train-gan` checkpoint folder (the EMA weights,
 * `Gema/*`, by default). Its id names the folder and step.
 *
 * @example
 * ```ts
 * const g = loadGeneratorCheckpoint('out/train/shapes-gan-32/checkpoints/step-00001500');
 * ```
 */
export const loadGeneratorCheckpoint = (dir: string, prefix = 'Gema'): Generator => {
  const ck = loadCheckpoint(dir);
  const model = (ck.meta as { config?: { model?: unknown } } | undefined)?.config?.model;
  if (model === undefined) throw new WeightsError(`loadGeneratorCheckpoint(${dir})`, 'checkpoint has no config.model (not written by train-gan?)');
  const kind = isStyleGAN2Model(model) ? 'stylegan2' : 'dcgan';
  const g = createGanGenerator(model, new Rng('load'), `${kind}:${basename(dir)}:step${ck.step}:${prefix}`);
  try {
    restoreVariables(ck, namedVariables(prefix, g.variables()));
  } catch (e) {
    g.dispose();
    throw e;
  }
  return g;
};
