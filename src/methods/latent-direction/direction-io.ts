/**
 * Directions as safetensors: tensors `direction` (and `dark_direction` for the
 * dual variant), metadata `generator_id`, `variant`, `space`, `mask_radius`,
 * `format`. Loading refuses a generator whose id differs from the recorded one.
 *
 * Pure (bytes in, bytes out); {@link saveDirection}/{@link loadDirection} in
 * `direction-file.ts` add the files.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { parseSafetensors, serializeSafetensors } from '../../io/safetensors.ts';
import type { StateDict } from '../../io/state-dict.ts';
import { WeightsError } from '../../core/errors.ts';
import type { Generator } from '../../models/generator.ts';
import { LatentDirection } from './model.ts';

const FORMAT = 'gan-segmenter/latent-direction@1';

/**
 * Encode a direction as safetensors bytes.
 *
 * @example
 * ```ts
 * const bytes = directionToBytes(direction);
 * ```
 */
export const directionToBytes = (d: LatentDirection): Uint8Array => {
  const dict: StateDict = new Map();
  dict.set('direction', { dtype: 'float32', shape: [...d.vector.shape], data: d.vector.dataSync() as Float32Array });
  if (d.darkVector) dict.set('dark_direction', { dtype: 'float32', shape: [...d.darkVector.shape], data: d.darkVector.dataSync() as Float32Array });
  return serializeSafetensors(dict, { format: FORMAT, generator_id: d.info.generatorId, variant: d.info.variant, space: d.info.space, mask_radius: String(d.info.maskRadius) }, 'directionToBytes');
};

/**
 * Decode a direction for generator `g`; a {@link WeightsError} if the bytes are
 * not a direction or were made for another generator.
 *
 * @example
 * ```ts
 * const d = directionFromBytes(bytes, g, 'dir.safetensors');
 * ```
 */
export const directionFromBytes = (bytes: Uint8Array, g: Generator, where = 'directionFromBytes'): LatentDirection => {
  const { tensors, metadata } = parseSafetensors(bytes, where);
  if (metadata.format !== FORMAT) throw new WeightsError(where, `not a latent direction file (format ${JSON.stringify(metadata.format ?? null)}, expected ${FORMAT})`);
  const light = tensors.get('direction');
  if (!light) throw new WeightsError(where, "missing tensor 'direction'");
  const variant = metadata.variant, space = metadata.space;
  if (variant !== 'single' && variant !== 'dual' && variant !== 'background') throw new WeightsError(where, `bad variant ${JSON.stringify(variant)}`);
  if (space !== 'z' && space !== 'w') throw new WeightsError(where, `bad space ${JSON.stringify(space)}`);
  const generatorId = metadata.generator_id ?? '';
  if (generatorId !== g.id) throw new WeightsError(where, `direction was made for generator '${generatorId}', refusing generator '${g.id}'`);
  const maskRadius = Number(metadata.mask_radius);
  if (!(maskRadius > 0) || !Number.isFinite(maskRadius)) throw new WeightsError(where, `bad mask_radius ${JSON.stringify(metadata.mask_radius)}: expected a positive finite number`);
  const dark = tensors.get('dark_direction');
  // Check shapes before any variable exists (a throw after would leak it).
  if (light.shape.length !== 1) throw new WeightsError(where, `tensor 'direction' has shape [${light.shape.join(', ')}], expected a vector [D]`);
  if (dark && (dark.shape.length !== 1 || dark.shape[0] !== light.shape[0])) throw new WeightsError(where, `tensor 'dark_direction' has shape [${dark.shape.join(', ')}], expected [${light.shape[0]}] like 'direction'`);
  if (variant === 'dual' && !dark) throw new WeightsError(where, "variant 'dual' needs tensor 'dark_direction'");
  const toVar = (data: ArrayLike<number>): tf.Variable<tf.Rank.R1> => tf.tidy(() => tf.variable(tf.tensor1d(Float32Array.from(data)), false));
  const d = new LatentDirection({ generatorId, variant, space, maskRadius }, toVar(light.data as ArrayLike<number>), dark ? toVar(dark.data as ArrayLike<number>) : undefined);
  try {
    d.assertGenerator(g, where);
  } catch (e) {
    d.dispose();
    throw e;
  }
  return d;
};
