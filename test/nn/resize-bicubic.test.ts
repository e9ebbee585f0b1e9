import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { loadAddon } from '../../src/backend/native/addon.ts';
import { ShapeError } from '../../src/core/errors.ts';
import { resizeBicubic, bicubicMatrix } from '../../src/nn/resize-bicubic.ts';
import { maxAbsDiff } from './fixture.ts';

// Written by tools/parity/bicubic.py (PyTorch F.interpolate mode='bicubic'); tensors NHWC, flat.
interface Case {
  readonly name: string;
  readonly size: [number, number];
  readonly alignCorners: boolean;
  readonly xShape: [number, number, number, number];
  readonly yShape: [number, number, number, number];
  readonly x: number[];
  readonly y: number[];
  readonly g: number[];
  readonly dx: number[];
}
const F = JSON.parse(readFileSync('test/fixtures/nn/bicubic.json', 'utf8')) as { torch: string; cases: Case[] };
const TOL = 1e-5;

const close = (name: string, got: tf.Tensor, want: tf.Tensor, tol = TOL): number => {
  const e = maxAbsDiff(got, want);
  assert.ok(e <= tol, `${name}: max abs error ${e} > ${tol}`);
  return e;
};

const nativeBuilt = loadAddon().ok;
for (const backend of ['cpu', 'wasm', 'native'] as const) {
  test(`resizeBicubic on ${backend}: forward and ∂Σ(y·g)/∂x match PyTorch ${F.torch} for ${F.cases.length} cases (up, down, mixed, out=1, in=1, same size; align_corners true/false)`, { skip: backend === 'native' && !nativeBuilt ? 'native addon not built' : false }, async (t) => {
    await initBackend({ backend, ignoreEnv: true });
    const before = tf.memory().numTensors;
    let worst = { forward: 0, grad: 0 };
    for (const c of F.cases) {
      tf.tidy(() => {
        const x = tf.tensor4d(c.x, c.xShape);
        const y = resizeBicubic(x, c.size, c.alignCorners);
        const ef = close(`${c.name} forward`, y, tf.tensor4d(c.y, c.yShape));
        const g = tf.tensor4d(c.g, c.yShape);
        const dx = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(resizeBicubic(v as tf.Tensor4D, c.size, c.alignCorners), g)))(x);
        const eg = close(`${c.name} gradient`, dx, tf.tensor4d(c.dx, c.xShape));
        worst = { forward: Math.max(worst.forward, ef), grad: Math.max(worst.grad, eg) };
      });
    }
    assert.equal(tf.memory().numTensors, before, 'resizeBicubic leaked tensors');
    t.diagnostic(`resizeBicubic ${backend}: max |Δ| forward ${worst.forward.toExponential(2)}, gradient ${worst.grad.toExponential(2)}`);
  });
}

test('resizeBicubic fixture distinguishes A = −0.75 from Keys\' −0.5 (the test can fail)', () => {
  const c = F.cases.find((k) => k.name.startsWith('up_') && k.alignCorners) as Case;
  const [n, h, w, ch] = c.xShape;
  const [oh, ow] = c.size;
  // y = Ry · x · Rxᵀ with A = −0.5, per image and channel, in plain JS.
  const ry = bicubicMatrix(h, oh, true, -0.5), rx = bicubicMatrix(w, ow, true, -0.5);
  let e = 0;
  for (let b = 0; b < n; b++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) for (let k = 0; k < ch; k++) {
    let s = 0;
    for (let p = 0; p < h; p++) for (let q = 0; q < w; q++) s += (ry[i * h + p] as number) * (rx[j * w + q] as number) * (c.x[((b * h + p) * w + q) * ch + k] as number);
    e = Math.max(e, Math.abs(s - (c.y[((b * oh + i) * ow + j) * ch + k] as number)));
  }
  assert.ok(e > 100 * TOL, `A = −0.5 is within ${e} of PyTorch: the fixture cannot tell the kernels apart`);
});

test('bicubicMatrix rows sum to 1; align_corners maps the corners onto the corners', () => {
  for (const [i, o, ac] of [[4, 7, true], [9, 4, false], [5, 1, false], [1, 3, true]] as const) {
    const m = bicubicMatrix(i, o, ac);
    for (let r = 0; r < o; r++) {
      const s = m.slice(r * i, (r + 1) * i).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(s - 1) < 1e-6, `[${i}→${o}] row ${r} sums to ${s}`);
    }
  }
  const m = bicubicMatrix(4, 7, true);
  assert.deepEqual([m[0], m[6 * 4 + 3]], [1, 1]);
});

test('resizeBicubic rejects non-NHWC input, non-float32 input and bad sizes with a ShapeError naming the op', async () => {
  await initBackend({ backend: 'cpu', ignoreEnv: true });
  const before = tf.memory().numTensors;
  const x = tf.zeros([1, 4, 4, 2]) as tf.Tensor4D, x3 = tf.zeros([4, 4, 2]), xi = tf.zeros([1, 4, 4, 2], 'int32'), x0 = tf.zeros([0, 4, 4, 2]);
  const bad: [string, () => unknown][] = [
    ['rank 3', () => resizeBicubic(x3 as tf.Tensor as tf.Tensor4D, [8, 8])],
    ['int32', () => resizeBicubic(xi as tf.Tensor4D, [8, 8])],
    ['empty', () => resizeBicubic(x0 as tf.Tensor4D, [8, 8])],
    ['size 0', () => resizeBicubic(x, [0, 8])],
    ['size 2.5', () => resizeBicubic(x, [2.5, 8])],
  ];
  for (const [what, f] of bad) assert.throws(f, (e: unknown) => e instanceof ShapeError && e.message.startsWith('resizeBicubic:'), what);
  tf.dispose([x, x3, xi, x0]);
  assert.equal(tf.memory().numTensors, before);
});
