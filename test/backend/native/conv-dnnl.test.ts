// The native addon's two convolution paths, oneDNN's convolution primitives and im2col + SGEMM,
// against each other and against tfjs's plain-JS cpu kernels: forward, input gradient (also
// conv2dTranspose's forward) and filter gradient, over the geometries the library's models use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { disableNative, enableNative } from '../../../src/backend/native/index.ts';
import { loadAddon, type NativeAddon } from '../../../src/backend/native/addon.ts';
import { geomOf, relErr } from './conv-helpers.ts';

const built = loadAddon();
const addon: NativeAddon | undefined = built.ok ? built.addon : undefined;
const defaultPath = addon?.conv?.();
const hasDnnl = addon?.conv !== undefined && addon.conv('oneDNN-all') === 'oneDNN-all';
if (addon?.conv && defaultPath) addon.conv(defaultPath);
// These tests are about oneDNN and im2col: Winograd, which would take the stride-1 3×3
// geometries from both, stays off in this file's process (conv-winograd.test.ts tests it).
addon?.winograd?.('off');
const skip = !built.ok
  ? `native addon not built (${built.error}); run \`npm run build:native\``
  : !addon?.conv
    ? 'native addon built before conv() existed; run `npm run build:native`'
    : !hasDnnl
      ? 'native addon built without oneDNN (install libdnnl-dev, then `npm run build:native`)'
      : false;

let seed = 7;
const rand = (shape: number[]): tf.Tensor => tf.randomUniform(shape, -1, 1, 'float32', seed++);

/**
 * Outputs of `f` on the plain-JS cpu kernels, on the native kernels with oneDNN everywhere and
 * with im2col everywhere: both native paths within 1e-4 of the reference and of each other.
 */
const threeWay = async (what: string, f: () => tf.Tensor[]): Promise<void> => {
  await tf.setBackend('cpu');
  disableNative();
  const ref = tf.tidy(f).map((t) => { const v = t.dataSync() as Float32Array; t.dispose(); return v; });
  assert.ok((await enableNative({ threads: 2 })).ok);
  const run = (path: string): Float32Array[] => {
    assert.equal(addon!.conv!(path), path);
    return tf.tidy(f).map((t) => { const v = t.dataSync() as Float32Array; t.dispose(); return v; });
  };
  try {
    const dnnl = run('oneDNN-all'), im2col = run('im2col');
    ref.forEach((r, i) => {
      assert.ok(relErr(dnnl[i]!, r) <= 1e-4, `${what}[${i}]: oneDNN vs cpu ${relErr(dnnl[i]!, r)}`);
      assert.ok(relErr(im2col[i]!, r) <= 1e-4, `${what}[${i}]: im2col vs cpu ${relErr(im2col[i]!, r)}`);
      assert.ok(relErr(dnnl[i]!, im2col[i]!) <= 1e-4, `${what}[${i}]: oneDNN vs im2col ${relErr(dnnl[i]!, im2col[i]!)}`);
    });
  } finally {
    addon!.conv!(defaultPath!);
  }
};

/** oneDNN (not the im2col fallback) runs all three kernels of this geometry on the oneDNN-all path. */
const assertOneDnn = (what: string, geom: Int32Array): void => {
  addon!.conv!('oneDNN-all');
  try {
    for (const kind of [0, 1, 2]) {
      const impl = addon!.convImpl!(geom, kind);
      assert.notEqual(impl, 'im2col', `${what}: kind ${kind} fell back to im2col`);
    }
  } finally {
    addon!.conv!(defaultPath!);
  }
};

/** A geometry oneDNN cannot express goes to im2col even on the oneDNN-all path. */
const assertFallback = (what: string, geom: Int32Array): void => {
  addon!.conv!('oneDNN-all');
  try {
    for (const kind of [0, 1, 2]) assert.equal(addon!.convImpl!(geom, kind), 'im2col', `${what}: kind ${kind}`);
  } finally {
    addon!.conv!(defaultPath!);
  }
};

type Case = [string, number[], number[], number | [number, number], 'same' | 'valid' | number, boolean?];
const CASES: Case[] = [
  ['1x1, batch 8, 44 -> 3', [8, 16, 16, 44], [1, 1, 44, 3], 1, 'valid'],
  ['3x3 same, batch 1, 3 -> 44 (RGB input)', [1, 17, 13, 3], [3, 3, 3, 44], 1, 'same'],
  ['3x3 same, batch 8, 44 -> 44', [8, 16, 16, 44], [3, 3, 44, 44], 1, 'same'],
  ['3x3 stride 2 same, even size (pads 0 top, 1 bottom)', [8, 16, 16, 44], [3, 3, 44, 16], 2, 'same'],
  ['3x3 stride 2 valid, a row and column left over', [2, 10, 12, 5], [3, 3, 5, 7], 2, 'valid'],
  ['4x4 same, stride 1 (pads 1 top/left, 2 bottom/right)', [1, 9, 9, 44], [4, 4, 44, 3], 1, 'same'],
  ['5x5 strides [2, 1] same', [2, 10, 7, 4], [5, 5, 4, 6], [2, 1], 'same'],
  // tfjs sizes numeric padding by the height's stride for both axes (7 wide, stride 1, pad 2: 4
  // columns out, not 7), a geometry no symmetric padding gives: oneDNN declines, im2col runs it.
  ['5x5 strides [2, 1], explicit padding 2 (im2col fallback)', [2, 10, 7, 4], [5, 5, 4, 6], [2, 1], 2, true],
  ['3x3 same on a 4x4 map, 352 channels (UNet bottom)', [8, 4, 4, 352], [3, 3, 352, 352], 1, 'same'],
];

test('oneDNN and im2col convolutions match the cpu kernels: forward, input and filter gradients', { skip }, async () => {
  for (const [what, xs, ws, s, p, fallback] of CASES) {
    const x = rand(xs) as tf.Tensor4D, w = rand(ws) as tf.Tensor4D;
    if (fallback) assertFallback(what, geomOf(xs, ws, s, p));
    else assertOneDnn(what, geomOf(xs, ws, s, p));
    const probe = tf.tidy(() => rand(tf.conv2d(x, w, s, p).shape));
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, p), probe)));
    await threeWay(what, () => [tf.conv2d(x, w, s, p), ...g([x, w])]);
    tf.dispose([x, w, probe]);
  }
});

test('oneDNN and im2col match on DCGAN transposed convolutions (4x4 stride 2 same, 1x1 -> 4x4 valid) and their gradients', { skip }, async () => {
  const cases: [string, number[], number[], number[], number, 'same' | 'valid'][] = [
    ['4x4 s2 same, batch 8, 64 -> 32', [8, 8, 8, 64], [4, 4, 32, 64], [8, 16, 16, 32], 2, 'same'],
    ['4x4 s2 same, batch 1, 32 -> 3 (to image)', [1, 16, 16, 32], [4, 4, 3, 32], [1, 32, 32, 3], 2, 'same'],
    ['4x4 s1 valid from 1x1 (latent -> 4x4), batch 8', [8, 1, 1, 20], [4, 4, 44, 20], [8, 4, 4, 44], 1, 'valid'],
  ];
  for (const [what, xs, ws, out, s, p] of cases) {
    const x = rand(xs) as tf.Tensor4D, w = rand(ws) as tf.Tensor4D;
    assertOneDnn(what, geomOf(out, ws, s, p));
    const probe = rand(out);
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, out as [number, number, number, number], s, p), probe)));
    await threeWay(what, () => [tf.conv2dTranspose(x, w, out as [number, number, number, number], s, p), ...g([x, w])]);
    tf.dispose([x, w, probe]);
  }
});

test('oneDNN and im2col match with dilation 2 (forward through tfjs; both gradients through the addon)', { skip }, async () => {
  const xs = [2, 12, 11, 3], ws = [3, 3, 3, 8];
  const x = rand(xs) as tf.Tensor4D, w = rand(ws) as tf.Tensor4D;
  await threeWay('dilated forward', () => [tf.conv2d(x, w, 1, 'same', 'NHWC', 2)]);
  // tfjs has no gradient for dilated convolutions: the addon's own kernels, oneDNN against im2col.
  const geom = geomOf(xs, ws, 1, 'same', 2);
  assert.equal(geom[9], 2);
  assertOneDnn('dilated', geom);
  const xv = x.dataSync() as Float32Array, wv = w.dataSync() as Float32Array;
  const dy = rand([2, 12, 11, 8]), dyv = dy.dataSync() as Float32Array;
  const both = (path: string): Float32Array[] => {
    addon!.conv!(path);
    const dx = new Float32Array(xv.length), dw = new Float32Array(wv.length);
    addon!.conv2dBackpropInput(geom, dyv, wv, dx);
    addon!.conv2dBackpropFilter(geom, xv, dyv, dw);
    return [dx, dw];
  };
  try {
    const [dx1, dw1] = both('oneDNN-all'), [dx2, dw2] = both('im2col');
    assert.ok(relErr(dx1!, dx2!) <= 1e-4, `dilated dx ${relErr(dx1!, dx2!)}`);
    assert.ok(relErr(dw1!, dw2!) <= 1e-4, `dilated dw ${relErr(dw1!, dw2!)}`);
  } finally {
    addon!.conv!(defaultPath!);
  }
  tf.dispose([x, w, dy]);
});

test('conv() switches paths and reports them; the default path sends narrow outputs to im2col', { skip }, () => {
  assert.equal(addon!.conv!('im2col'), 'im2col');
  assert.equal(addon!.convImpl!(geomOf([8, 32, 32, 44], [3, 3, 44, 44], 1, 'same'), 0), 'im2col');
  assert.equal(addon!.conv!('not a path'), 'im2col', 'an unknown name leaves the path alone');
  assert.equal(addon!.conv!('oneDNN'), 'oneDNN');
  assert.notEqual(addon!.convImpl!(geomOf([8, 32, 32, 44], [3, 3, 44, 44], 1, 'same'), 0), 'im2col');
  assert.equal(addon!.convImpl!(geomOf([8, 4, 4, 352], [3, 3, 352, 352], 1, 'same'), 0), 'im2col');
  assert.throws(() => addon!.convImpl!(geomOf([1, 8, 8, 3], [3, 3, 3, 4], 1, 'same'), 3), /kind/);
  addon!.conv!(defaultPath!);
});
