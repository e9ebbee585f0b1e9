import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { Rng } from '../../src/core/rng.ts';
import { linearGradByBasis, relErr } from './reference.ts';

const TOL = 1e-4;
let worst = 0;

/** Gradient of `u ↦ Σ op(u)·v` by tf.grad vs column-by-column float64 reference. */
const checkLinear = (label: string, op: (u: tf.Tensor) => tf.Tensor, uShape: number[], seed: string): void => {
  const rng = new Rng(seed);
  const n = uShape.reduce((a, b) => a * b, 1);
  const u0 = rng.normalArray(n);
  const outShape = tf.tidy(() => op(tf.tensor(u0, uShape)).shape);
  const v = rng.normalArray(outShape.reduce((a, b) => a * b, 1));
  const before = tf.memory().numTensors;
  const got = tf.tidy(() => {
    const vt = tf.tensor(v, outShape);
    return tf.grad((u: tf.Tensor) => tf.sum(tf.mul(op(u), vt)))(tf.tensor(u0, uShape)).dataSync();
  });
  assert.equal(tf.memory().numTensors, before, `${label}: no leaked tensors`);
  const ref = linearGradByBasis(op, uShape, v);
  const e = relErr(got, ref);
  worst = Math.max(worst, e);
  assert.ok(e <= TOL, `${label}: relative error ${e}`);
};

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`gradient fixes on ${backend}`, () => {
    before(async () => {
      await initBackend({ backend, ignoreEnv: true });
    });

    test('second-order gradient through leakyRelu (Greater) x=[2,5]: d/dx Σ lr′(x)·c·x² = 2·c·lr′(x)·x', () => {
      const rng = new Rng('lrelu');
      const xv = rng.normalArray(10), cv = rng.normalArray(10);
      const got = tf.tidy(() => {
        const c = tf.tensor2d(cv, [2, 5]);
        const inner = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.leakyRelu(x, 0.2), c)));
        return tf.grad((x: tf.Tensor) => tf.sum(tf.mul(inner(x), tf.square(x))))(tf.tensor2d(xv, [2, 5])).dataSync();
      });
      const ref = Array.from(xv, (x, i) => 2 * cv[i]! * (x > 0 ? 1 : 0.2) * x);
      assert.ok(relErr(got, ref) <= TOL, `${Array.from(got)} vs ${ref}`);
    });

    test('gradient through where(less(x, 0), x², 3x) x=[6] (Less, LessEqual, Equal, NotEqual)', () => {
      const xv = Float32Array.from([-2, -0.5, 0.25, 1, 3, -1]);
      for (const [cmp, pick] of [
        [tf.less, (x: number) => x < 0],
        [tf.lessEqual, (x: number) => x <= 0],
        [tf.equal, (x: number) => x === 0],
        [tf.notEqual, (x: number) => x !== 0],
      ] as const) {
        const got = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.where(cmp(x, 0), tf.square(x), tf.mul(x, 3))))(tf.tensor1d(xv)).dataSync());
        const ref = Array.from(xv, (x) => (pick(x) ? 2 * x : 3));
        assert.deepEqual(Array.from(got), ref);
      }
    });

    test('second-order gradient through clipByValue (LogicalAnd) x=[6]: d/dx Σ clip′(x)·c·x² = 2·c·clip′(x)·x', () => {
      const xv = Float32Array.from([-2, -0.5, 0.25, 0.9, 3, -1.5]), cv = Float32Array.from([1, -2, 3, 0.5, 2, 1]);
      const got = tf.tidy(() => {
        const c = tf.tensor1d(cv);
        const inner = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.clipByValue(x, -1, 1), c)));
        return tf.grad((x: tf.Tensor) => tf.sum(tf.mul(inner(x), tf.square(x))))(tf.tensor1d(xv)).dataSync();
      });
      assert.deepEqual(Array.from(got), Array.from(xv, (x, i) => (x >= -1 && x <= 1 ? 2 * cv[i]! * x : 0)).map((v) => Math.fround(v)));
    });

    for (const [pad, stride] of [['same', 2], ['valid', 1]] as const) {
      test(`maxPool [1,5,6,2] 3x3 stride ${stride} ${pad}: the gradient of MaxPoolGrad is its adjoint`, () => {
        const rng = new Rng(`mp${pad}${stride}`);
        const x = tf.tensor4d(rng.normalArray(60), [1, 5, 6, 2]);
        const y = tf.maxPool(x, 3, stride, pad);
        const attrs = { filterSize: [3, 3], strides: [stride, stride], pad };
        // first order against plain-JS arg-maxes: dx[argmax of window] += v[window]
        const v = rng.normalArray(y.size);
        const g = tf.backend_util.computePool2DInfo([1, 5, 6, 2], [3, 3], [stride, stride], 1, pad);
        const xv = x.dataSync(), yv = y.dataSync(), ref = new Float64Array(60);
        for (let i = 0; i < g.outHeight; i++)
          for (let j = 0; j < g.outWidth; j++)
            for (let c = 0; c < 2; c++) {
              let best = -Infinity, at = -1;
              for (let a = 0; a < 3; a++)
                for (let b = 0; b < 3; b++) {
                  const r = i * stride - g.padInfo.top + a, q = j * stride - g.padInfo.left + b;
                  if (r < 0 || q < 0 || r >= 5 || q >= 6) continue;
                  const k = (r * 6 + q) * 2 + c;
                  if (xv[k]! > best) { best = xv[k]!; at = k; }
                }
              ref[at] += v[(i * g.outWidth + j) * 2 + c]!;
              assert.equal(yv[(i * g.outWidth + j) * 2 + c], best, 'forward maxPool');
            }
        const got = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, 3, stride, pad), tf.tensor(v, y.shape))))(x).dataSync());
        assert.ok(relErr(got, ref) <= TOL, `maxPool gradient relative error ${relErr(got, ref)}`);
        checkLinear('MaxPoolGrad', (u) => tf.engine().runKernel('MaxPoolGrad', { dy: u, input: x, output: y }, attrs) as tf.Tensor, y.shape, `mpg${pad}${stride}`);
        tf.dispose([x, y]);
      });
    }

    for (const [pad, stride] of [['same', 2], ['valid', 1], ['valid', 2]] as const) {
      test(`avgPool [1,5,6,2] 3x3 stride ${stride} ${pad}: AvgPoolGrad is the adjoint of avgPool, and its gradient the adjoint of AvgPoolGrad`, () => {
        const x = tf.zeros([1, 5, 6, 2]);
        const dyShape = tf.tidy(() => tf.avgPool(x as tf.Tensor4D, 3, stride, pad).shape);
        const attrs = { filterSize: [3, 3], strides: [stride, stride], pad };
        checkLinear('AvgPoolGrad', (u) => tf.engine().runKernel('AvgPoolGrad', { dy: u, input: x }, attrs) as tf.Tensor, dyShape, `ap${pad}${stride}`);
        // first order: tfjs 4.22's own AvgPoolGrad divides by the full window under 'same' padding
        checkLinear('avgPool', (u) => tf.avgPool(u as tf.Tensor4D, 3, stride, pad), [1, 5, 6, 2], `apf${pad}${stride}`);
        x.dispose();
      });
    }

    for (const [kernel, alignCorners, halfPixelCenters] of [
      ['ResizeBilinearGrad', false, false], ['ResizeBilinearGrad', true, false], ['ResizeBilinearGrad', false, true],
      ['ResizeNearestNeighborGrad', false, false], ['ResizeNearestNeighborGrad', true, false], ['ResizeNearestNeighborGrad', false, true],
    ] as const) {
      test(`gradient of ${kernel} (images [1,3,4,2] ← dy [1,6,7,2], alignCorners ${alignCorners}, halfPixelCenters ${halfPixelCenters}) is its adjoint`, () => {
        const images = tf.zeros([1, 3, 4, 2]);
        checkLinear(kernel, (u) => tf.engine().runKernel(kernel, { dy: u, images }, { alignCorners, halfPixelCenters }) as tf.Tensor, [1, 6, 7, 2], `${kernel}${alignCorners}${halfPixelCenters}`);
        // and the first-order gradient, the way training uses it: down- then up-sampling
        checkLinear(`${kernel} forward`, (u) => kernel === 'ResizeBilinearGrad'
          ? tf.image.resizeBilinear(u as tf.Tensor4D, [6, 7], alignCorners, halfPixelCenters)
          : tf.image.resizeNearestNeighbor(u as tf.Tensor4D, [6, 7], alignCorners, halfPixelCenters), [1, 3, 4, 2], `${kernel}f`);
        images.dispose();
      });
    }

    test('second-order gradient through resizeBilinear and avgPool x=[1,4,4,2] matches the cpu/wasm-independent adjoint', () => {
      const rng = new Rng('second');
      const cv = rng.normalArray(2 * 2 * 2);
      const c = tf.tensor4d(cv, [1, 2, 2, 2]);
      const a = (x: tf.Tensor) => tf.avgPool(tf.image.resizeBilinear(x as tf.Tensor4D, [8, 8]), 2, 4, 'valid');
      // g(x) = Aᵀc does not depend on x, so ∇ₓ Σ g(x)·x² = 2·Aᵀc·x; check against the basis form of Aᵀc.
      const xv = rng.normalArray(32);
      const got = tf.tidy(() => {
        const inner = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(a(x), c)));
        return tf.grad((x: tf.Tensor) => tf.sum(tf.mul(inner(x), tf.square(x))))(tf.tensor4d(xv, [1, 4, 4, 2])).dataSync();
      });
      const atc = linearGradByBasis(a, [1, 4, 4, 2], cv);
      const ref = Array.from(atc, (g, i) => 2 * g * xv[i]!);
      c.dispose();
      assert.ok(relErr(got, ref) <= TOL, `relative error ${relErr(got, ref)}`);
    });

    for (const [label, shape, begin, end, strides, masks] of [
      ['stride 2 rows, reversed columns', [4, 6, 3], [0, 5, 0], [4, 0, 3], [2, -1, 1], [0, 0, 0, 0, 0]],
      ['begin/end masks, shrink axis 0', [3, 5, 2], [1, 1, 0], [2, 4, 2], [1, 2, 1], [4, 4, 0, 0, 1]],
      ['new axis + ellipsis', [2, 3, 4], [0, 1], [0, 4], [1, 3], [0, 0, 1, 0, 0]],
    ] as const) {
      test(`gradient of stridedSlice x=[${shape}] (${label})`, () => {
        const [bm, em, elm, nam, sam] = masks;
        checkLinear('StridedSlice', (u) => tf.stridedSlice(u, [...begin], [...end], [...strides], bm, em, elm, nam, sam), [...shape], `ss${label}`);
      });
    }

    test('gradient of depthToSpace x=[2,2,3,8] block 2', () => {
      checkLinear('DepthToSpace', (u) => tf.depthToSpace(u as tf.Tensor4D, 2), [2, 2, 3, 8], 'd2s');
    });
  });
}

test('report the worst relative error of the gradient fixes', () => {
  console.log(`# worst relative error (gradients): ${worst}`);
});
