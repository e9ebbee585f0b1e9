// Test helper: reads the JSON-index + float32 .bin fixtures written by tools/parity/stylegan2.py.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { StateDict, StoredTensor } from '../../src/io/state-dict.ts';

export type Fixture = Map<string, StoredTensor>;

export const readFixture = (base: string): Fixture => {
  const index = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as Record<string, { shape: number[]; offset: number }>;
  const buf = readFileSync(`${base}.bin`);
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const out: Fixture = new Map();
  for (const [k, { shape, offset }] of Object.entries(index)) {
    const n = shape.reduce((a, b) => a * b, 1);
    out.set(k, { dtype: 'float32', shape, data: all.slice(offset, offset + n) });
  }
  return out;
};

export const get = (f: Fixture, k: string): StoredTensor => {
  const t = f.get(k);
  if (!t) throw new Error(`fixture has no '${k}'`);
  return t;
};

/** Same layout tensor. */
export const tensor = (f: Fixture, k: string): tf.Tensor => {
  const t = get(f, k);
  return tf.tensor(t.data as Float32Array, [...t.shape]);
};

/** NCHW fixture → NHWC tensor. */
export const nhwc = (f: Fixture, k: string): tf.Tensor4D => tf.tidy(() => tf.transpose(tensor(f, k), [0, 2, 3, 1]) as tf.Tensor4D);

/** Keys `prefix*` with the prefix stripped. */
export const stateDict = (f: Fixture, prefix: string): StateDict => {
  const sd: StateDict = new Map();
  for (const [k, v] of f) if (k.startsWith(prefix)) sd.set(k.slice(prefix.length), v);
  return sd;
};

export const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor): number => {
  if (a.shape.join(',') !== b.shape.join(',')) throw new Error(`shape mismatch [${a.shape}] vs [${b.shape}]`);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);
};
