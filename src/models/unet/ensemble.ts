/**
 * An ensemble of UNets whose foreground probabilities are averaged.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../../core/errors.ts';
import type { ImageBatch, MaskBatch, Module } from '../../core/tensor.ts';
import type { UNet } from './model.ts';

/**
 * Averages the {@link UNet.predict} probabilities of several UNets (taking
 * ownership: `dispose()` frees every member).
 *
 * @example
 * ```ts
 * const ens = new UNetEnsemble([createUNet(cfg, rng.fork('a')), createUNet(cfg, rng.fork('b'))]);
 * const masks = ens.predict(images); // [N,H,W,1]
 * ```
 */
export class UNetEnsemble implements Module {
  /** The members. */
  readonly members: readonly UNet[];

  constructor(members: readonly UNet[]) {
    if (members.length === 0) throw new ShapeError('UNetEnsemble', 'needs at least one UNet, got 0');
    this.members = members;
  }

  /** Mean foreground probability [N,H,W,1] of the members. */
  predict(images: ImageBatch): MaskBatch {
    return tf.tidy(() => tf.div(tf.addN(this.members.map((m) => m.predict(images))), this.members.length) as MaskBatch);
  }

  /** Every member's variables, member by member. */
  variables(): tf.Variable[] {
    return this.members.flatMap((m) => m.variables());
  }

  /** Free every member. */
  dispose(): void {
    for (const m of this.members) m.dispose();
  }
}
