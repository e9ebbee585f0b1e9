// The native addon's Winograd F(2×2, 3×3) convolutions (stride-1 3×3 forward, input and filter
// gradients) against its im2col + SGEMM path and tfjs's plain-JS cpu kernels: odd sizes, 'same',
// 'valid' and explicit padding, channel counts that are not multiples of 8, batch 1 and 3.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { disableNative, enableNative } from '../../../src/backend/native/index.ts';
import { loadAddon, type NativeAddon } from '../../../src/backend/native/addon.ts';
import { geomOf, relErr } from './conv-helpers.ts';

const built = loadAddon();
const addon: NativeAddon | undefined = built.ok ? built.addon : undefined;
const defaultPath = addon?.conv?.();
const defaultMode = addon?.winograd?.();
// 'off' whatever is asked on CPUs without AVX2 + FMA (or non-x86).
const hasWinograd = addon?.winograd !== undefined && addon.winograd('all') === 'all';
if (addon?.winograd && defaultMode) addon.winograd(defaultMode);
const skip = !built.ok
  ? `native addon not built (${built.error}); run \`npm run build:native\``
  : !addon?.winograd || !addon.convImpl
    ? 'native addon built before winograd() existed; run `npm run build:native`'
    : !hasWinograd
      ? 'Winograd needs an x86-64 CPU with AVX2 and FMA'
      : false;

let seed = 11;
const rand = (shape: number[]): tf.Tensor => tf.randomUniform(shape, -1, 1, 'float32', seed++);

/** Run `f` with the addon's convolutions on `path` and Winograd `mode`, restoring the defaults after. */
const withPath = <T>(path: string, mode: string, f: () => T): T => {
  assert.equal(addon!.conv!(path), path);
  assert.equal(addon!.winograd!(mode), mode);
  try {
    return f();
  } finally {
    addon!.conv!(defaultPath!);
    addon!.winograd!(defaultMode!);
  }
};

const values = (f: () => tf.Tensor[]): Float32Array[] =>
  tf.tidy(f).map((t) => { const v = t.dataSync() as Float32Array; t.dispose(); return v; });

type Case = [string, number[], number[], 'same' | 'valid' | number, boolean?];
const CASES: Case[] = [
  ['7x9 same, batch 1, 5 -> 6', [1, 7, 9, 5], [3, 3, 5, 6], 'same', true],
  ['7x9 valid, batch 3, 12 -> 20', [3, 7, 9, 12], [3, 3, 12, 20], 'valid', true],
  ['9x7 same, batch 3, 37 -> 45', [3, 9, 7, 37], [3, 3, 37, 45], 'same', true],
  ['6x5 explicit padding 2 (outputs larger than inputs), batch 3, 9 -> 10', [3, 6, 5, 9], [3, 3, 9, 10], 2, true],
  ['3x3 valid on a 3x3 input (one output pixel), batch 3, 8 -> 16', [3, 3, 3, 8], [3, 3, 8, 16], 'valid', true],
  ['16x16 same, batch 1, 32 -> 32', [1, 16, 16, 32], [3, 3, 32, 32], 'same', true],
  ['11x13 valid, batch 3, 44 -> 36', [3, 11, 13, 44], [3, 3, 44, 36], 'valid', true],
  ['20x18 same, batch 2, 64 -> 48', [2, 20, 18, 64], [3, 3, 64, 48], 'same'],
  ['8x8 same, batch 3, 200 -> 136 (U panels of 16 and a tail of 8)', [3, 8, 8, 200], [3, 3, 200, 136], 'same'],
];

test('Winograd matches im2col and the cpu kernels: forward, input and filter gradients', { skip }, async () => {
  for (const [what, xs, ws, p, small] of CASES) {
    const x = rand(xs) as tf.Tensor4D, w = rand(ws) as tf.Tensor4D;
    const probe = tf.tidy(() => rand(tf.conv2d(x, w, 1, p).shape));
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, p), probe)));
    const f = (): tf.Tensor[] => [tf.conv2d(x, w, 1, p), ...g([x, w])];
    const geom = geomOf(xs, ws, 1, p);
    let ref: Float32Array[] | undefined;
    if (small) {
      await tf.setBackend('cpu');
      disableNative();
      ref = values(f);
    }
    assert.ok((await enableNative({ threads: 2 })).ok);
    const wino = withPath('im2col', 'all', () => {
      assert.equal(addon!.convImpl!(geom, 0), 'winograd', `${what}: forward`);
      assert.equal(addon!.convImpl!(geom, 1), 'winograd', `${what}: input gradient`);
      assert.equal(addon!.convImpl!(geom, 2), 'winograd', `${what}: filter gradient`);
      return values(f);
    });
    const im2col = withPath('im2col', 'off', () => {
      assert.equal(addon!.convImpl!(geom, 0), 'im2col');
      return values(f);
    });
    for (const [i, name] of ['forward', 'input gradient', 'filter gradient'].entries()) {
      const e = relErr(wino[i]!, im2col[i]!);
      assert.ok(e <= 1e-5, `${what}, ${name}: Winograd vs im2col ${e}`);
      if (ref) {
        const r = relErr(wino[i]!, ref[i]!);
        assert.ok(r <= 1e-4, `${what}, ${name}: Winograd vs cpu ${r}`);
      }
    }
    tf.dispose([x, w, probe]);
  }
});

// The filter gradient splits the tiles between the workers (each summing into its own copy),
// or, with few tiles for the channels (the second geometry: 18 tiles, 40 channels), the channels.
test('Winograd runs on 1 thread and on 3 (more workers than the 2 the machine may have)', { skip }, async () => {
  for (const [xs, ws] of [[[3, 14, 10, 24], [3, 3, 24, 40]], [[2, 6, 6, 40], [3, 3, 40, 24]]]) {
    const x = rand(xs!) as tf.Tensor4D, w = rand(ws!) as tf.Tensor4D;
    const probe = tf.tidy(() => rand(tf.conv2d(x, w, 1, 'same').shape));
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), probe)));
    const f = (): tf.Tensor[] => [tf.conv2d(x, w, 1, 'same'), ...g([x, w])];
    assert.ok((await enableNative({ threads: 2 })).ok);
    const ref = withPath('im2col', 'off', () => values(f));
    try {
      for (const threads of [1, 2, 3]) {
        addon!.setThreads(threads);
        const out = withPath('im2col', 'all', () => values(f));
        out.forEach((o, i) => assert.ok(relErr(o, ref[i]!) <= 1e-5, `${xs}: ${threads} threads, output ${i}: ${relErr(o, ref[i]!)}`));
      }
    } finally {
      addon!.setThreads(2);
    }
    tf.dispose([x, w, probe]);
  }
});

test('Winograd is deterministic: the same call twice gives bit-identical outputs and gradients (2 threads, many blocks)', { skip }, async () => {
  const x = rand([8, 32, 32, 32]) as tf.Tensor4D, w = rand([3, 3, 32, 48]) as tf.Tensor4D;
  const probe = tf.tidy(() => rand(tf.conv2d(x, w, 1, 'same').shape));
  const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), probe)));
  const f = (): tf.Tensor[] => [tf.conv2d(x, w, 1, 'same'), ...g([x, w])];
  assert.ok((await enableNative({ threads: 2 })).ok);
  const runs = [0, 1, 2].map(() => withPath('im2col', 'all', () => values(f)));
  for (const r of runs.slice(1)) r.forEach((o, i) => assert.deepEqual(o, runs[0]![i], `output ${i} differs between identical calls`));
  tf.dispose([x, w, probe]);
});

test('winograd() switches modes; auto picks stride-1 3x3 layers with >= 16 channels and >= 64 output tiles', { skip }, () => {
  const big = geomOf([8, 32, 32, 64], [3, 3, 64, 64], 1, 'same');
  withPath(defaultPath!, 'auto', () => {
    for (const kind of [0, 1, 2]) assert.equal(addon!.convImpl!(big, kind), 'winograd', `kind ${kind}`);
    // Few channels, few tiles, strides, dilations and other filter sizes keep the path.
    assert.notEqual(addon!.convImpl!(geomOf([8, 64, 64, 3], [3, 3, 3, 44], 1, 'same'), 0), 'winograd');
    assert.notEqual(addon!.convImpl!(geomOf([8, 4, 4, 256], [3, 3, 256, 256], 1, 'same'), 0), 'winograd');
    assert.notEqual(addon!.convImpl!(geomOf([8, 32, 32, 64], [3, 3, 64, 64], 2, 'same'), 0), 'winograd');
    assert.notEqual(addon!.convImpl!(geomOf([8, 32, 32, 64], [4, 4, 64, 64], 1, 'same'), 0), 'winograd');
    const toRgb = geomOf([8, 32, 32, 64], [3, 3, 64, 3], 1, 'same');
    for (const kind of [0, 1, 2]) assert.notEqual(addon!.convImpl!(toRgb, kind), 'winograd');
    // Batch 1 at 8x8 is 16 tiles: the path.
    for (const kind of [0, 1, 2]) assert.notEqual(addon!.convImpl!(geomOf([1, 8, 8, 256], [3, 3, 256, 256], 1, 'same'), kind), 'winograd');
  });
  withPath(defaultPath!, 'all', () => {
    assert.equal(addon!.convImpl!(geomOf([8, 4, 4, 256], [3, 3, 256, 256], 1, 'same'), 0), 'winograd');
    assert.notEqual(addon!.convImpl!(geomOf([8, 32, 32, 64], [3, 3, 64, 64], 2, 'same'), 0), 'winograd');
  });
  withPath(defaultPath!, 'off', () => assert.notEqual(addon!.convImpl!(big, 0), 'winograd'));
  assert.equal(addon!.winograd!('not a mode'), defaultMode, 'an unknown name leaves the mode alone');
  assert.equal(addon!.winograd!('AUTO'), 'auto');
  addon!.winograd!(defaultMode!);
});
