/**
 * Loading a generator from a weights file for the pipeline and the CLI: any
 * family of the models' generator-family table (`GENERATOR_FAMILIES`), from our
 * safetensors (`train-gan` writes them: metadata `model`, `config` JSON, optional `id`),
 * the families' torch checkpoints, a pytorch-pretrained-BigGAN folder, or a
 * `train-gan` checkpoint folder (that part needs `train/`, so it lives here).
 * The id defaults to the family plus the file name and a hash of the file, so a
 * direction made for one set of weights is refused by another.
 *
 * @module
 */
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { WeightsError } from '../core/errors.ts';
import { Rng } from '../core/rng.ts';
import { dcganSmall32 } from '../models/dcgan/index.ts';
import { createGanGenerator, ganModelFamily } from '../models/gan-model.ts';
import type { Generator } from '../models/generator.ts';
import { withDefaultClass } from '../models/registry/conditioning.ts';
import { loadGenerator } from '../models/registry/files.ts';
import { loadCheckpoint, restoreVariables } from '../train/checkpoint.ts';
import { namedVariables } from '../train/loop.ts';

export { fnv1a } from '../models/registry/files.ts';

/**
 * Options of {@link loadGeneratorFile}.
 *
 * @example
 * ```ts
 * const g = loadGeneratorFile('G_ema.pth', { classIndex: 0 } satisfies LoadGeneratorFileOptions);
 * ```
 */
export interface LoadGeneratorFileOptions {
  /** For a conditional generator (BigGAN-deep, BigGAN): the class drawn when sampling gives none (id gets `:class<c>`). */
  readonly classIndex?: number;
}

/**
 * Load a generator of any family from a file or folder: our safetensors (any family;
 * a DCGAN file without config metadata is read as `dcganSmall32`), a rosinality
 * StyleGAN2 `.pt`, a pytorch-pretrained-BigGAN `pytorch_model.bin` or its folder,
 * a BigGAN-PyTorch `G.pth`, or a `train-gan` checkpoint folder.
 *
 * @example
 * ```ts
 * const g = loadGeneratorFile('assets/dcgan-shapes-32.safetensors');         // id dcgan:dcgan-shapes-32.safetensors:<hash>
 * const s = loadGeneratorFile('checkpoint/550000.pt');                        // stylegan2, g_ema
 * const b = loadGeneratorFile('biggan-deep-128', { classIndex: 339 });        // samples class 339 when given none
 * ```
 */
export const loadGeneratorFile = (path: string, options: LoadGeneratorFileOptions = {}): Generator => {
  const where = `loadGeneratorFile(${path})`;
  const g = existsSync(path) && statSync(path).isDirectory() && !existsSync(join(path, 'pytorch_model.bin'))
    ? loadGeneratorCheckpoint(path)
    : loadGenerator(path, { where, defaultConfig: dcganSmall32 });
  if (options.classIndex === undefined) return g;
  try {
    return withDefaultClass(g, options.classIndex);
  } catch (e) {
    g.dispose();
    throw e;
  }
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
  const g = createGanGenerator(model, new Rng('load'), `${ganModelFamily(model)}:${basename(dir)}:step${ck.step}:${prefix}`);
  try {
    restoreVariables(ck, namedVariables(prefix, g.variables()));
  } catch (e) {
    g.dispose();
    throw e;
  }
  return g;
};
