import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { DataError } from '../../src/core/errors.ts';
import { grabcutMask, grabcutMasks } from '../../src/data/grabcut.ts';
import { readImage } from '../../src/io/image-file.ts';

interface Reference {
  readonly opencv: string;
  readonly images: Record<string, { width: number; height: number; rect: [number, number, number, number]; runs: number[]; foreground: number }>;
}
const ref = JSON.parse(readFileSync('test/fixtures/grabcut/reference.json', 'utf8')) as Reference;
const unrun = (runs: readonly number[], n: number): Uint8Array => {
  const out = new Uint8Array(n);
  let at = 0;
  runs.forEach((r, i) => { out.fill(i % 2, at, at + r); at += r; });
  assert.equal(at, n);
  return out;
};
const iou = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let inter = 0, union = 0;
  for (let i = 0; i < a.length; i++) { const x = (a[i] as number) > 0.5, y = (b[i] as number) > 0.5; inter += +(x && y); union += +(x || y); }
  return union === 0 ? 1 : inter / union;
};
const truthOf = (path: string): string =>
  path.includes('weizmann-horse') ? path.replace('/images/', '/masks/').replace(/\.jpg$/, '.png') : 'test/fixtures/grabcut/shapes-mask.png';

test('grabcutMask: 3 Weizmann photos + 1 shapes image agree with cv2.grabCut (rect 5 % margin, 5 iterations) on >= 99 % of pixels', async () => {
  for (const [path, r] of Object.entries(ref.images)) {
    const image = readImage(path), mask = await grabcutMask(image);
    assert.equal(mask.channels, 1);
    assert.equal(mask.width * mask.height, r.width * r.height);
    const want = unrun(r.runs, r.width * r.height);
    let same = 0;
    for (let i = 0; i < want.length; i++) same += +(mask.data[i] === want[i]);
    const agreement = same / want.length, truth = readImage(truthOf(path));
    const truthBin = Float32Array.from({ length: want.length }, (_, i) => truth.data[i * truth.channels] as number);
    console.log(`${path}: agreement with cv2 ${ref.opencv} ${agreement.toFixed(4)}; IoU vs truth ours ${iou(mask.data, truthBin).toFixed(3)}, cv2 ${iou(want, truthBin).toFixed(3)}`);
    assert.ok(agreement >= 0.99, `${path}: agreement ${agreement}`);
  }
});

test('grabcutMask: same image twice gives the same mask (RNG state reset per image)', async () => {
  const image = readImage('test/fixtures/grabcut/shapes.png');
  const a = await grabcutMask(image), b = await grabcutMask(readImage('test/fixtures/weizmann-horse/images/horse002.jpg')), c = await grabcutMask(image);
  assert.deepEqual(c.data, a.data);
  assert.ok(b.data.some((v) => v === 1));
});

test('grabcutMasks: [2,64,64,3] in [-1,1] -> [2,64,64,1] equal to grabcutMask per image, no tensor leak', async () => {
  const image = readImage('test/fixtures/grabcut/shapes.png');
  const one = await grabcutMask(image);
  const before = tf.memory().numTensors;
  const batch = tf.tidy(() => tf.stack([0, 1].map(() => tf.sub(tf.mul(tf.tensor3d(image.data, [64, 64, 3]), 2), 1))) as tf.Tensor4D);
  const masks = await grabcutMasks(batch);
  assert.deepEqual(masks.shape, [2, 64, 64, 1]);
  const data = await masks.data();
  assert.deepEqual(data.slice(0, 64 * 64), one.data);
  assert.deepEqual(data.slice(64 * 64), one.data);
  tf.dispose([batch, masks]);
  assert.equal(tf.memory().numTensors, before);
});

test('grabcutMask: bad rect, iterations or channels throw DataError naming grabcutMask', async () => {
  const image = { width: 8, height: 8, channels: 3, data: new Float32Array(8 * 8 * 3) };
  await assert.rejects(grabcutMask(image, { rect: [0, 0, 8, 8] }), (e: unknown) => e instanceof DataError && /grabcutMask.*background/.test(e.message));
  await assert.rejects(grabcutMask(image, { rect: [4, 4, 8, 2] }), (e: unknown) => e instanceof DataError && /inside the 8×8/.test(e.message));
  await assert.rejects(grabcutMask(image, { rect: [1, 1, 6, 6], iterations: 0 }), (e: unknown) => e instanceof DataError && /iterations/.test(e.message));
  await assert.rejects(grabcutMask({ ...image, channels: 2, data: new Float32Array(128) }), DataError);
  await assert.rejects(grabcutMasks(tf.zeros([1, 8, 8, 1]) as tf.Tensor4D), (e: unknown) => e instanceof DataError && /grabcutMasks/.test(e.message));
});
