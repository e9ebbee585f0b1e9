/**
 * Weight targets for plain PyTorch layers (`nn.Conv2d`, `nn.ConvTranspose2d`,
 * `nn.BatchNorm2d`, `nn.Linear`) under a module prefix, for
 * {@link applyStateDict} / {@link toStateDict}. Shared by the UNet and DCGAN.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs';
import type { Conv2dParams, ConvTranspose2dParams, LinearParams } from '../../nn/conv.ts';
import type { BatchNormParams } from '../../nn/norm.ts';
import { hwioFromOihw, inOutFromOutIn, oihwFromHwio, outInFromInOut, sameLayout, type WeightTarget, type WeightTargets } from '../../io/weights.ts';

const plain = (variable: tf.Variable): WeightTarget => ({ variable, fromStored: sameLayout });

/**
 * `<prefix>.weight` (OIHW ⇄ HWIO) and `<prefix>.bias` of a conv.
 *
 * @example
 * ```ts
 * convTargets(targets, 'outc.conv', outConv);
 * ```
 */
export const convTargets = (out: WeightTargets, prefix: string, p: Conv2dParams): void => {
  out.set(`${prefix}.weight`, { variable: p.weight, fromStored: hwioFromOihw, toStored: oihwFromHwio });
  if (p.bias) out.set(`${prefix}.bias`, plain(p.bias));
};

/**
 * `<prefix>.weight` ([in,out,k,k] ⇄ our [k,k,out,in]) and `<prefix>.bias` of a transposed conv.
 *
 * @example
 * ```ts
 * convTransposeTargets(targets, 'up1.up', up);
 * ```
 */
export const convTransposeTargets = (out: WeightTargets, prefix: string, p: ConvTranspose2dParams): void => {
  // [in,out,kh,kw] → [kh,kw,out,in] is the same permutation as OIHW → HWIO.
  out.set(`${prefix}.weight`, { variable: p.weight, fromStored: hwioFromOihw, toStored: oihwFromHwio });
  if (p.bias) out.set(`${prefix}.bias`, plain(p.bias));
};

/**
 * `<prefix>.{weight,bias,running_mean,running_var,num_batches_tracked}` of a batch norm.
 *
 * @example
 * ```ts
 * batchNormTargets(targets, 'inc.double_conv.1', bn);
 * ```
 */
export const batchNormTargets = (out: WeightTargets, prefix: string, p: BatchNormParams): void => {
  out.set(`${prefix}.weight`, plain(p.gamma));
  out.set(`${prefix}.bias`, plain(p.beta));
  out.set(`${prefix}.running_mean`, plain(p.runningMean));
  out.set(`${prefix}.running_var`, plain(p.runningVar));
  out.set(`${prefix}.num_batches_tracked`, plain(p.numBatchesTracked));
};

/**
 * `<prefix>.weight` ([out,in] ⇄ [in,out]) and `<prefix>.bias` of a linear layer.
 *
 * @example
 * ```ts
 * linearTargets(targets, 'fc', fc);
 * ```
 */
export const linearTargets = (out: WeightTargets, prefix: string, p: LinearParams): void => {
  out.set(`${prefix}.weight`, { variable: p.weight, fromStored: inOutFromOutIn, toStored: outInFromInOut });
  if (p.bias) out.set(`${prefix}.bias`, plain(p.bias));
};

/**
 * Ignore `num_batches_tracked` keys (files written without them, e.g. by older PyTorch).
 *
 * @example
 * ```ts
 * applyStateDict(where, dict, targets, { ignore: isNumBatchesTracked });
 * ```
 */
export const isNumBatchesTracked = (key: string): boolean => key.endsWith('.num_batches_tracked');
