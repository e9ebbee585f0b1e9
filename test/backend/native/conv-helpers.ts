/**
 * Shared by the convolution-path tests (oneDNN, Winograd): the error measure and the addon's
 * geometry vector.
 *
 * @module
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';

/** Largest |a - b| over max(1, max |b|). */
export const relErr = (a: Float32Array, b: Float32Array): number => {
  assert.equal(a.length, b.length);
  let scale = 1, err = 0;
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]!));
    const d = Math.abs(a[i]! - b[i]!);
    err = Number.isNaN(d) ? Infinity : Math.max(err, d);
  }
  return err / scale;
};

/** The addon's geometry vector for a conv of x by filter (what src/backend/native/kernels.ts passes). */
export const geomOf = (xShape: number[], fShape: number[], strides: number | [number, number], pad: 'same' | 'valid' | number, dil = 1): Int32Array => {
  const c = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], fShape as [number, number, number, number], strides, dil, pad);
  return Int32Array.from([
    c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.filterHeight, c.filterWidth, c.outChannels,
    c.strideHeight, c.strideWidth, c.dilationHeight, c.dilationWidth, c.padInfo.top, c.padInfo.left, c.outHeight, c.outWidth,
  ]);
};
