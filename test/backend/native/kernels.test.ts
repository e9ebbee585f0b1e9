import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { disableNative, enableNative, nativeStatus } from '../../../src/backend/native/index.ts';
import { loadAddon } from '../../../src/backend/native/addon.ts';
import { broadcastGeometry, reverseInto, tileInto } from '../../../src/backend/native/elementwise.ts';
import { registerGradientFixes } from '../../../src/backend/gradients/index.ts';
import { BATCH_NORM_TRAIN, fusedAdamUpdate, fusedBatchNormTrain, fusedSumSquares, hasFusedKernel } from '../../../src/core/fused-ops.ts';
import { batchNorm, batchNormRelu, createBatchNorm } from '../../../src/nn/norm.ts';
import { Adam } from '../../../src/train/adam.ts';
import { affineGridSample } from '../../../src/train/ada.ts';

const built = loadAddon();
const skip = built.ok ? false : `native addon not built (${built.error}); run \`npm run build:native\``;

let seed = 100;
const rand = (shape: number[], lo = -1, hi = 1): tf.Tensor => tf.randomUniform(shape, lo, hi, 'float32', seed++);

/** Run `f` on the pure-JS cpu kernels and on the native ones; every output must agree to 1e-4 relative. */
const agree = async (what: string, f: () => tf.Tensor | tf.Tensor[]): Promise<void> => {
  await tf.setBackend('cpu');
  disableNative();
  const ref = tf.tidy(() => ([] as tf.Tensor[]).concat(f()));
  const r = await enableNative({ threads: 2 });
  assert.ok(r.ok, 'enableNative');
  const before = tf.memory().numTensors;
  const got = tf.tidy(() => ([] as tf.Tensor[]).concat(f()));
  assert.equal(got.length, ref.length, `${what}: output count`);
  got.forEach((g, i) => {
    const e = ref[i]!;
    assert.deepEqual(g.shape, e.shape, `${what}[${i}]: shape`);
    const ev = e.dataSync(), gv = g.dataSync();
    let scale = 1, err = 0;
    for (let j = 0; j < ev.length; j++) {
      scale = Math.max(scale, Math.abs(ev[j]!));
      const d = Math.abs(ev[j]! - gv[j]!);
      if (!(d <= err)) err = Number.isNaN(d) ? Infinity : d;
    }
    assert.ok(err <= 1e-4 * scale, `${what}[${i}]: max abs error ${err} vs scale ${scale}`);
  });
  tf.dispose(got);
  assert.equal(tf.memory().numTensors, before, `${what}: leaked tensors`);
  tf.dispose(ref);
};

test('native conv2d forward matches the cpu kernel on several shapes, strides, paddings, dilations', { skip }, async () => {
  const cases: [number[], number[], [number, number] | number, 'same' | 'valid' | number, number][] = [
    [[2, 9, 11, 5], [3, 3, 5, 7], 1, 'same', 1],
    [[2, 9, 11, 5], [3, 3, 5, 7], 2, 'valid', 1],
    [[1, 8, 8, 3], [1, 1, 3, 4], 1, 'valid', 1],
    [[2, 10, 7, 4], [5, 5, 4, 6], [2, 1], 2, 1],
    [[1, 12, 12, 3], [3, 3, 3, 5], 1, 'same', 2],
    [[3, 7, 7, 2], [4, 4, 2, 3], 2, 'same', 1],
  ];
  for (const [xs, ws, s, p, d] of cases) {
    const x = rand(xs) as tf.Tensor4D, w = rand(ws) as tf.Tensor4D;
    await agree(`conv2d ${xs} ${ws} s${s} p${p} d${d}`, () => tf.conv2d(x, w, s, p, 'NHWC', d));
    tf.dispose([x, w]);
  }
});

test('native conv2d input and filter gradients match the cpu kernels', { skip }, async () => {
  const cases: [number[], number[], [number, number] | number, 'same' | 'valid' | number][] = [
    [[2, 8, 9, 4], [3, 3, 4, 5], 1, 'same'],
    [[2, 9, 9, 3], [3, 3, 3, 4], 2, 'same'],
    [[1, 8, 8, 6], [1, 1, 6, 3], 1, 'valid'],
    [[2, 7, 8, 2], [4, 4, 2, 3], [2, 1], 1],
  ];
  for (const [xs, ws, s, p] of cases) {
    const x = rand(xs) as tf.Tensor4D, w = rand(ws) as tf.Tensor4D;
    const probe = tf.tidy(() => rand(tf.conv2d(x, w, s, p).shape));
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, p), probe)));
    await agree(`conv2d grads ${xs} ${ws} s${s} p${p}`, () => g([x, w]));
    tf.dispose([x, w, probe]);
  }
});

test('native conv2dTranspose (Conv2DBackpropInput) matches, stride 2', { skip }, async () => {
  const x = rand([2, 5, 6, 4]) as tf.Tensor4D, w = rand([3, 3, 3, 4]) as tf.Tensor4D;
  await agree('conv2dTranspose same', () => tf.conv2dTranspose(x, w, [2, 10, 12, 3], 2, 'same'));
  await agree('conv2dTranspose valid', () => tf.conv2dTranspose(x, w, [2, 11, 13, 3], 2, 'valid'));
  tf.dispose([x, w]);
});

test('native fused conv2d (bias + each activation) matches', { skip }, async () => {
  const x = rand([2, 6, 6, 3]) as tf.Tensor4D, w = rand([3, 3, 3, 4]) as tf.Tensor4D, b = rand([4]) as tf.Tensor1D;
  const alpha = rand([4], 0.1, 0.3);
  for (const activation of ['linear', 'relu', 'leakyrelu', 'relu6', 'sigmoid', 'elu', 'prelu'] as const) {
    await agree(`fused conv2d ${activation}`, () =>
      tf.fused.conv2d({ x, filter: w, strides: 1, pad: 'same', bias: b, activation, preluActivationWeights: alpha, leakyreluAlpha: 0.1 }));
  }
  tf.dispose([x, w, b, alpha]);
});

test('native matMul, batched and broadcast matMul, fused matMul match', { skip }, async () => {
  const a = rand([5, 7]) as tf.Tensor2D, b = rand([7, 3]) as tf.Tensor2D;
  await agree('matMul', () => tf.matMul(a, b));
  await agree('matMul tA tB', () => tf.matMul(tf.transpose(a), tf.transpose(b), true, true));
  const a3 = rand([4, 5, 7]), b3 = rand([4, 7, 3]), b1 = rand([1, 7, 3]);
  await agree('batched', () => tf.matMul(a3, b3));
  await agree('broadcast b', () => tf.matMul(a3, b1));
  await agree('broadcast a', () => tf.matMul(b1, a3, true, true));
  const bias = rand([3]);
  await agree('fused matMul relu', () => tf.fused.matMul({ a, b, bias, activation: 'relu' }));
  await agree('fused matMul gradient', () => tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.fused.matMul({ a: p as tf.Tensor2D, b: q as tf.Tensor2D, bias, activation: 'relu' })))([a, b]));
  tf.dispose([a, b, a3, b3, b1, bias]);
});

test('broadcastGeometry collapses shapes into at most four strided dims', () => {
  const g = broadcastGeometry([8, 4, 4, 3], [3]);
  assert.ok(g);
  assert.deepEqual([...g.geom], [1, 1, 128, 3, 0, 0, 3, 1, 0, 0, 0, 1]);
  assert.deepEqual(g.outShape, [8, 4, 4, 3]);
  const h = broadcastGeometry([2, 1, 5], [3, 1]);
  assert.ok(h);
  assert.deepEqual([...h.geom], [1, 2, 3, 5, 0, 5, 0, 1, 0, 0, 1, 0]);
  assert.equal(broadcastGeometry([2, 1, 2, 1, 2], [1, 2, 1, 2, 1]), undefined);
});

test('native element-wise binary ops match with same shapes, trailing, inner and scalar broadcasts', { skip }, async () => {
  const shapes: [number[], number[]][] = [
    [[4, 8, 8, 16], [4, 8, 8, 16]],
    [[4, 8, 8, 16], [16]],
    [[1, 1, 1, 16], [4, 8, 8, 16]],
    [[4, 8, 8, 16], [4, 1, 1, 16]],
    [[4, 8, 8, 16], []],
    [[3, 1, 40, 1], [5, 1, 30]],
  ];
  const ops: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
    ['add', tf.add], ['sub', tf.sub], ['mul', tf.mul], ['div', tf.div],
    ['maximum', tf.maximum], ['minimum', tf.minimum], ['squaredDifference', tf.squaredDifference],
  ];
  for (const [sa, sb] of shapes) {
    const a = rand(sa), b = rand(sb, 0.5, 2);
    for (const [name, op] of ops) await agree(`${name} ${sa} ${sb}`, () => op(a, b));
    tf.dispose([a, b]);
  }
});

test('native comparisons, select and the leaky-ReLU double backprop (R1) match', { skip }, async () => {
  const a = rand([4, 8, 8, 16]), b = rand([16]);
  const same = tf.tidy(() => tf.where(tf.greater(a, 0.5), a, tf.zerosLike(a))); // equal elements for == / !=
  const ops: [string, (p: tf.Tensor, q: tf.Tensor) => tf.Tensor][] = [
    ['greater', tf.greater], ['greaterEqual', tf.greaterEqual], ['less', tf.less], ['lessEqual', tf.lessEqual],
    ['equal', tf.equal], ['notEqual', tf.notEqual],
  ];
  for (const [name, op] of ops) {
    await agree(`${name} broadcast`, () => tf.cast(op(a, b), 'float32'));
    await agree(`${name} same shape`, () => tf.cast(op(a, same), 'float32'));
    await agree(`${name} scalar`, () => tf.cast(op(a, tf.scalar(0)), 'float32'));
  }
  await agree('logicalNot', () => tf.cast(tf.logicalNot(tf.greater(a, b)), 'float32'));
  for (const [f, s, p] of [[2, 2, 'valid'], [3, 2, 'valid'], [3, 1, 'same']] as const) {
    await agree(`avgPool f${f} s${s} ${p}`, () => tf.avgPool(a as tf.Tensor4D, f, s, p));
    await agree(`avgPool grad f${f} s${s} ${p}`, () => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(t as tf.Tensor4D, f, s, p), 1.5)))(a));
  }
  await agree('select', () => tf.where(tf.greater(a, 0), a, tf.mul(a, 0.2)));
  const w = rand([3, 3, 16, 8], -0.3, 0.3) as tf.Tensor4D;
  registerGradientFixes(); // Greater/Less gradients for the second-order pass
  await agree('R1 penalty gradient through conv + leaky ReLU + avg pool', () =>
    tf.grad((wt: tf.Tensor) => {
      const gx = tf.grad((x: tf.Tensor) => tf.sum(tf.avgPool(tf.leakyRelu(tf.conv2d(x as tf.Tensor4D, wt as tf.Tensor4D, 1, 'same'), 0.2), 2, 2, 'valid')))(a);
      return tf.sum(tf.square(gx));
    })(w));
  tf.dispose([a, b, same, w]);
});

test('native unary ops match', { skip }, async () => {
  const x = rand([4, 8, 8, 16], -3, 3), pos = rand([4, 8, 8, 16], 0.1, 3);
  const ops: [string, (t: tf.Tensor) => tf.Tensor, tf.Tensor][] = [
    ['relu', tf.relu, x], ['neg', tf.neg, x], ['square', tf.square, x], ['sqrt', tf.sqrt, pos], ['rsqrt', tf.rsqrt, pos],
    ['exp', tf.exp, x], ['log', tf.log, pos], ['abs', tf.abs, x], ['step', (t) => tf.step(t, 0.3), x],
    ['leakyRelu', (t) => tf.leakyRelu(t, 0.2), x], ['sigmoid', tf.sigmoid, x], ['reciprocal', tf.reciprocal, pos],
    ['relu6', (t) => tf.relu6(tf.mul(t, 3)), x], ['tanh', tf.tanh, x], ['log1p', tf.log1p, pos], ['sign', tf.sign, x],
    ['sin', (t) => tf.sin(tf.mul(t, 40)), x], ['cos', (t) => tf.cos(tf.mul(t, 40)), x],
  ];
  for (const [name, op, input] of ops) await agree(name, () => op(input));
  tf.dispose([x, pos]);
});

test('native softmax, sin and cos equal the cpu kernels bit for bit (softmax: last axis, rows of 1 to 700, large logits, a NaN row); the softmax gradient matches', { skip }, async () => {
  const shapes = [[16, 64, 64, 9], [3000, 1], [40, 64], [2, 5, 700]];
  for (const shape of shapes) {
    const x = tf.tidy(() => tf.mul(rand(shape), 40));
    await tf.setBackend('cpu');
    disableNative();
    const ref = tf.tidy(() => tf.softmax(x)).dataSync();
    const r = await enableNative({ threads: 2 });
    assert.ok(r.ok && nativeStatus().kernels.includes('Softmax'), 'native Softmax registered');
    const got = tf.tidy(() => tf.softmax(x)).dataSync();
    assert.deepEqual(Array.from(got), Array.from(ref), `softmax ${shape}`);
    if (shape.length === 4) {
      // sin and cos (double, rounded once) are bit for bit too.
      await tf.setBackend('cpu');
      disableNative();
      const js = tf.tidy(() => tf.concat([tf.sin(x), tf.cos(x)]).dataSync());
      await enableNative({ threads: 2 });
      assert.ok(nativeStatus().kernels.includes('Sin') && nativeStatus().kernels.includes('Cos'));
      assert.deepEqual(Array.from(tf.tidy(() => tf.concat([tf.sin(x), tf.cos(x)]).dataSync())), Array.from(js), 'sin, cos');
    }
    x.dispose();
  }
  const withNaN = tf.tidy(() => tf.concat([tf.fill([1, 4096], Number.NaN), rand([1, 4096])], 0));
  const nanRows = tf.tidy(() => tf.softmax(withNaN)).dataSync();
  assert.ok(nanRows.slice(0, 4096).every((v) => Number.isNaN(v)) && nanRows.slice(4096).every((v) => v > 0 && v < 1), 'a NaN row stays NaN, the other row is a distribution');
  withNaN.dispose();
  const x = rand([8, 32, 32, 9]);
  const w = rand([9]);
  await agree('softmax gradient', () => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.softmax(t), w)))(x));
  tf.dispose([x, w]);
});

test('native reductions (sum, mean, max, min) over leading, middle, trailing, separated and all axes match', { skip }, async () => {
  const x = rand([4, 8, 8, 16]);
  // [0, 2], [0, 3], [1, 3], [0, 2, 3]: separated axis groups, reduced group by group.
  const axes: (number[] | undefined)[] = [[0, 1, 2], [1, 2], [3], [-1], undefined, [0, 2], [0], [0, 3], [1, 3], [0, 2, 3]];
  for (const ax of axes) {
    for (const keep of [false, true]) {
      await agree(`sum ${ax} ${keep}`, () => tf.sum(x, ax, keep));
      await agree(`mean ${ax} ${keep}`, () => tf.mean(x, ax, keep));
      await agree(`max ${ax} ${keep}`, () => tf.max(x, ax, keep));
      await agree(`min ${ax} ${keep}`, () => tf.min(x, ax, keep));
    }
  }
  const big = rand([1, 20000, 3]);
  await agree('sum of a long middle axis (threads split it)', () => tf.sum(big, 1));
  const unit = rand([4, 1, 8, 1, 16, 9]);
  await agree('sum over axes separated by size-1 dims', () => tf.sum(unit, [0, 3, 5]));
  await agree('the broadcast gradient of a noise image [1,H,W,1] (sum over batch and channels)', () =>
    tf.grad((n: tf.Tensor) => tf.sum(tf.mul(tf.add(x, n), x)))(tf.zeros([1, 8, 8, 1])));
  tf.dispose([x, big, unit]);
});

test('native split, concat, max pool and its gradient (ties included) match', { skip }, async () => {
  const x = rand([4, 8, 8, 16]);
  await agree('split last axis', () => tf.split(x, [5, 11], 3));
  await agree('split first axis', () => tf.split(x, 2, 0));
  const y = rand([4, 8, 8, 5]);
  await agree('concat last axis', () => tf.concat([x, y, x], 3));
  await agree('concat axis 1', () => tf.concat([x, x], 1));
  await agree('concat axis 0', () => tf.concat([x, x], 0));
  for (const [f, s, p] of [[2, 2, 'valid'], [3, 2, 'same'], [3, 1, 'same']] as const) {
    await agree(`maxPool f${f} s${s} ${p}`, () => tf.maxPool(x as tf.Tensor4D, f, s, p));
  }
  tf.dispose(y);
  const relu = tf.relu(x); // many zeros: ties inside pooling windows
  for (const [f, s, p] of [[2, 2, 'valid'], [3, 2, 'same'], [3, 1, 'same']] as const) {
    await agree(`maxPool grad f${f} s${s} ${p}`, () => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, f, s, p), 1.5)))(relu));
  }
  tf.dispose([x, relu]);
});

test('tileInto replicates blocks exactly like the index definition of tile', () => {
  const shape = [2, 3, 4], reps = [3, 1, 2];
  const src = Float32Array.from({ length: 24 }, (_, i) => i + 1);
  const out = new Float32Array(24 * 6);
  tileInto(src, shape, reps, out);
  const outShape = shape.map((n, i) => n * reps[i]!);
  for (let a = 0; a < outShape[0]!; a++)
    for (let b = 0; b < outShape[1]!; b++)
      for (let c = 0; c < outShape[2]!; c++) {
        const want = src[((a % 2) * 3 + (b % 3)) * 4 + (c % 4)]!;
        assert.equal(out[(a * outShape[1]! + b) * outShape[2]! + c], want, `[${a},${b},${c}]`);
      }
});

test('native tile, zerosLike, onesLike and fill match (and their outputs are independent arrays)', { skip }, async () => {
  const c = rand([1, 4, 4, 64]);
  await agree('tile batch', () => tf.tile(c, [16, 1, 1, 1]));
  await agree('tile every axis', () => tf.tile(c, [2, 3, 2, 2]));
  const v = rand([3, 40]);
  await agree('tile 2-D', () => tf.tile(v, [20, 3]));
  await agree('zerosLike', () => tf.zerosLike(c).add(tf.tile(c, [8, 1, 1, 1])));
  await agree('onesLike / fill', () => [tf.onesLike(tf.tile(c, [4, 1, 1, 1])), tf.fill([64, 64], 0.5), tf.zeros([70, 70])]);
  // A pooled array handed out again must come back filled, whatever it held before.
  await enableNative({ threads: 2 });
  for (let k = 0; k < 3; k++) {
    tf.tidy(() => tf.mul(rand([64, 64]), 3));
    const z = tf.zeros([64, 64]);
    assert.equal(tf.max(tf.abs(z)).dataSync()[0], 0);
    z.dispose();
  }
  tf.dispose([c, v]);
});

test('native gather matches on axis 0 (batch rows), a middle axis and 2-D indices; out-of-range indices still throw', { skip }, async () => {
  const x = rand([10, 16, 16, 3]), y = rand([4, 6, 10, 40]);
  const rows = tf.tensor1d([3, 0, 9, 3, 5], 'int32'), cols = tf.tensor2d([[1, 7], [7, 1], [4, 4]], [3, 2], 'int32');
  await agree('gather batch rows', () => tf.gather(x, rows, 0));
  const mid = tf.tensor1d([3, 0, 7, 3, 5], 'int32');
  await agree('gather axis 1', () => tf.gather(x, mid, 1));
  await agree('gather 2-D indices', () => tf.gather(y, cols, 2));
  await enableNative({ threads: 2 });
  assert.throws(() => tf.gather(x, tf.tensor1d([10], 'int32'), 0).dataSync());
  tf.dispose([x, y, rows, mid, cols]);
});

test('reverseInto reverses blocks exactly like the index definition of reverse', () => {
  const shape = [2, 3, 4];
  const src = Float32Array.from({ length: 24 }, (_, i) => i + 1);
  for (const axes of [[0], [1], [2], [0, 2], [0, 1, 2]]) {
    const out = new Float32Array(24);
    reverseInto(src, shape, axes, out);
    for (let a = 0; a < 2; a++)
      for (let b = 0; b < 3; b++)
        for (let c = 0; c < 4; c++) {
          const [sa, sb, sc] = [axes.includes(0) ? 1 - a : a, axes.includes(1) ? 2 - b : b, axes.includes(2) ? 3 - c : c];
          assert.equal(out[(a * 3 + b) * 4 + c], src[(sa * 3 + sb) * 4 + sc], `axes ${axes} [${a},${b},${c}]`);
        }
  }
});

test('native reverse matches along each axis, several axes and all of them', { skip }, async () => {
  const x = rand([4, 8, 6, 3]);
  for (const axes of [[0], [1], [2], [3], [1, 2], [0, 3], [0, 1, 2, 3]]) await agree(`reverse ${axes}`, () => tf.reverse(x, axes));
  const y = rand([5, 700]);
  await agree('reverse rows of long blocks', () => tf.reverse(y, 0));
  await agree('reverse within rows', () => tf.reverse(y, 1));
  tf.dispose([x, y]);
});

test('native bilinear and nearest resizes and their gradients match, every flag combination', { skip }, async () => {
  const x = rand([2, 5, 7, 3]);
  for (const [nh, nw] of [[10, 14], [3, 4], [8, 5], [1, 1]] as const) {
    for (const [ac, hp] of [[false, false], [true, false], [false, true]] as const) {
      const probe = rand([2, nh, nw, 3]);
      await agree(`resizeBilinear ${nh}x${nw} ac${ac} hp${hp}`, () =>
        tf.valueAndGrad((t: tf.Tensor) => tf.sum(tf.mul(tf.image.resizeBilinear(t as tf.Tensor4D, [nh, nw], ac, hp), probe)))(x).grad);
      await agree(`resizeBilinear forward ${nh}x${nw} ac${ac} hp${hp}`, () => tf.image.resizeBilinear(x as tf.Tensor4D, [nh, nw], ac, hp));
      await agree(`resizeNearestNeighbor ${nh}x${nw} ac${ac} hp${hp}`, () => {
        const { value, grad } = tf.valueAndGrad((t: tf.Tensor) => tf.sum(tf.mul(tf.image.resizeNearestNeighbor(t as tf.Tensor4D, [nh, nw], ac, hp), probe)))(x);
        return [value, grad, tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [nh, nw], ac, hp)];
      });
      probe.dispose();
    }
  }
  x.dispose();
});

test('a small conv/BN/ReLU/pool/upsample training loss and its gradients match end to end', { skip }, async () => {
  const x = rand([2, 16, 16, 3]) as tf.Tensor4D;
  const w1 = rand([3, 3, 3, 24], -0.5, 0.5), w2 = rand([3, 3, 24, 24], -0.2, 0.2), w3 = rand([1, 1, 48, 1], -0.2, 0.2);
  const gamma = rand([24], 0.5, 1.5), beta = rand([24]);
  const net = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, g: tf.Tensor, o: tf.Tensor): tf.Scalar => {
    const h = tf.conv2d(x, a as tf.Tensor4D, 1, 'same');
    const { mean, variance } = tf.moments(h, [0, 1, 2]);
    const n = tf.relu(tf.add(tf.mul(tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, 1e-5))), g), o)) as tf.Tensor4D;
    const d = tf.relu(tf.conv2d(tf.maxPool(n, 2, 2, 'valid'), b as tf.Tensor4D, 1, 'same'));
    const u = tf.image.resizeBilinear(d as tf.Tensor4D, [16, 16], true);
    const y = tf.conv2d(tf.concat([n, u], 3), c as tf.Tensor4D, 1, 'valid');
    return tf.mean(tf.square(y));
  };
  await agree('loss and gradients', () => {
    const { value, grads } = tf.valueAndGrads(net)([w1, w2, w3, gamma, beta]);
    return [value, ...grads];
  });
  tf.dispose([x, w1, w2, w3, gamma, beta]);
});

test('fused batch norm (+ ReLU) forward, gradients and running statistics match the composed ops', { skip }, async () => {
  for (const shape of [[2, 5, 6, 7], [8, 4, 4, 44], [1, 3, 3, 1]]) {
    const c = shape[3]!;
    const x = rand(shape, -2, 3) as tf.Tensor4D, probe = rand(shape);
    const g0 = rand([c], 0.5, 1.5), b0 = rand([c]);
    for (const relu of [false, true]) {
      await agree(`batchNorm${relu ? 'Relu' : ''} ${shape}`, () => {
        const bn = createBatchNorm({ channels: c });
        bn.gamma.assign(g0 as tf.Tensor1D);
        bn.beta.assign(b0 as tf.Tensor1D);
        const f = (t: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Scalar => {
          const p = { ...bn, gamma: g as tf.Variable<tf.Rank.R1>, beta: b as tf.Variable<tf.Rank.R1> };
          return tf.sum(tf.mul((relu ? batchNormRelu : batchNorm)(p, t as tf.Tensor4D, true, false), probe));
        };
        const { value, grads } = tf.valueAndGrads(f)([x, bn.gamma, bn.beta]);
        const y = (relu ? batchNormRelu : batchNorm)(bn, x, true); // updates the running statistics
        const out = [value, ...grads, y, bn.runningMean.clone(), bn.runningVar.clone(), bn.numBatchesTracked.clone()];
        tf.dispose([bn.gamma, bn.beta, bn.runningMean, bn.runningVar, bn.numBatchesTracked]);
        return out;
      });
    }
    tf.dispose([x, probe, g0, b0]);
  }
  assert.ok(hasFusedKernel(BATCH_NORM_TRAIN), 'the native kernels register the fused batch norm');
});

test('fused batch norm passes gradients that reach its mean and variance outputs', { skip }, async () => {
  const x = rand([3, 4, 5, 6], -1, 2) as tf.Tensor4D, gamma = rand([6], 0.5, 1.5), beta = rand([6]);
  const py = rand([3, 4, 5, 6]), pm = rand([6]), pv = rand([6]);
  const composed = (t: tf.Tensor4D, g: tf.Tensor, b: tf.Tensor) => {
    const mean = tf.mean(t, [0, 1, 2]);
    const variance = tf.mean(tf.square(tf.sub(t, mean)), [0, 1, 2]);
    const y = tf.relu(tf.add(tf.mul(tf.sub(t, mean), tf.mul(tf.rsqrt(tf.add(variance, 1e-5)), g)), b));
    return { y, mean, variance };
  };
  let usedFused = false;
  await agree('batch norm with d(mean), d(variance)', () =>
    tf.grads((t: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const fused = fusedBatchNormTrain(t as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5, true);
      if (fused) usedFused = true;
      const r = fused ?? composed(t as tf.Tensor4D, g, b);
      return tf.addN([tf.sum(tf.mul(r.y, py)), tf.sum(tf.mul(r.mean, pm)), tf.sum(tf.mul(r.variance, pv))]);
    })([x, gamma, beta]));
  assert.ok(usedFused, 'the native run used the fused kernel');
  tf.dispose([x, gamma, beta, py, pm, pv]);
});

test('a double backprop through batch norm (R1) falls back to the composed ops and matches', { skip }, async () => {
  const x = rand([2, 4, 4, 3]) as tf.Tensor4D, w = rand([3, 3, 3, 3], -0.5, 0.5);
  await agree('R1 through conv + batchNormRelu', () =>
    tf.grad((wt: tf.Tensor) => {
      const bn = createBatchNorm({ channels: 3 });
      const d = (t: tf.Tensor): tf.Scalar => tf.sum(tf.square(batchNormRelu(bn, tf.conv2d(t as tf.Tensor4D, wt as tf.Tensor4D, 1, 'same'), true, false)));
      const r1 = tf.sum(tf.square(tf.grad(d)(x)));
      tf.dispose([bn.gamma, bn.beta, bn.runningMean, bn.runningVar, bn.numBatchesTracked]);
      return r1;
    })(w));
  tf.dispose([x, w]);
});

test('native transpose equals the cpu kernel bit for bit: every permutation of rank 4 (the UNet depth-to-space among them), strided and contiguous inner runs, size-1 dims, rank 6; below the native threshold and int32 stay on the cpu kernel', { skip }, async () => {
  const perms = (n: number): number[][] => (n === 0 ? [[]] : perms(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)])));
  const exact = async (shape: number[], perm: number[], dtype: 'float32' | 'int32' = 'float32'): Promise<void> => {
    const n = shape.reduce((a, b) => a * b, 1);
    const x = tf.tensor(Array.from({ length: n }, (_, i) => (i * 7919) % 10007 - 5000), shape, dtype);
    await tf.setBackend('cpu');
    disableNative();
    const ref = tf.transpose(x, perm);
    await enableNative({ threads: 2 });
    const got = tf.transpose(x, perm);
    assert.deepEqual(got.shape, ref.shape);
    assert.deepEqual(Array.from(got.dataSync()), Array.from(ref.dataSync()), `${dtype} ${shape} perm ${perm}`);
    tf.dispose([x, ref, got]);
  };
  for (const shape of [[256, 2, 16, 32], [16, 32, 32, 16], [3, 17, 5, 41]]) for (const perm of perms(4)) await exact(shape, perm);
  await exact([2, 1, 40, 1, 30, 3], [4, 2, 5, 0, 3, 1]);
  await exact([1, 4096], [1, 0]); // merges to one contiguous run
  await exact([7, 9], [1, 0]); // under the native threshold
  await exact([64, 64], [1, 0], 'int32');
});

test('native slice and pad equal the cpu kernels bit for bit: NHWC spatial pads and crops (3 channels), the 5-D zero insertion of upsampling, a constant value, size -1, ranks 1–5; their gradients; small and int32 ones stay on the cpu kernel', { skip }, async () => {
  const exact = async (what: string, f: () => tf.Tensor): Promise<void> => {
    await tf.setBackend('cpu');
    disableNative();
    const ref = f();
    await enableNative({ threads: 2 });
    const got = f();
    assert.deepEqual(got.shape, ref.shape, what);
    assert.deepEqual(Array.from(got.dataSync()), Array.from(ref.dataSync()), what);
    tf.dispose([ref, got]);
  };
  const x = rand([4, 20, 18, 3]), x5 = rand([4, 12, 12, 1, 3]), v = rand([5000]);
  await exact('pad H, W', () => tf.pad(x, [[0, 0], [6, 5], [6, 5], [0, 0]]));
  await exact('pad every axis, value 1.5', () => tf.pad(x, [[1, 0], [0, 2], [3, 0], [1, 1]], 1.5));
  await exact('pad 5-D (zero insertion)', () => tf.pad(x5, [[0, 0], [0, 0], [0, 0], [0, 1], [0, 0]]));
  await exact('pad 1-D', () => tf.pad(v, [[7, 3]]));
  await exact('slice H, W', () => tf.slice(x, [0, 3, 2, 0], [-1, 12, 14, -1]));
  await exact('slice every axis', () => tf.slice(x, [1, 2, 3, 1], [3, 15, 10, 2]));
  await exact('slice 5-D', () => tf.slice(tf.pad(x5, [[0, 0], [0, 0], [0, 0], [0, 1], [0, 0]]), [0, 1, 0, 0, 0], [-1, 10, 12, 1, 3]));
  await exact('slice 1-D', () => tf.slice(v, [100], [4000]));
  await exact('pad gradient', () => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.pad(t, [[0, 0], [6, 5], [6, 5], [0, 0]]), 1.25)))(x));
  await exact('slice gradient', () => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.slice(t, [0, 3, 2, 0], [-1, 12, 14, -1]), 1.25)))(x));
  const small = rand([3, 4]);
  await exact('small pad (cpu kernel)', () => tf.pad(small, [[1, 1], [2, 0]]));
  await exact('int32 pad (cpu kernel)', () => tf.pad(tf.range(0, 4096, 1, 'int32').reshape([64, 64]), [[1, 1], [1, 1]]));
  tf.dispose([x, x5, v, small]);
});

test("native affine grid sampling (ADA's plan and 4-tap gathers) equals the JS loops bit for bit: rotations, flips, shifts past the border, forward and input gradient", { skip }, async () => {
  const x = rand([3, 37, 29, 3]) as tf.Tensor4D, dy = rand([3, 45, 51, 3]);
  const th = [[[0.9, -0.2, 0.13], [0.25, 1.1, -0.4]], [[1, 0, 0.001], [0, 1, -0.002]], [[-1.3, 0.4, 0.9], [0.1, -0.7, 1.2]]];
  const run = (): number[][] => tf.tidy(() => [
    affineGridSample(x, th, 45, 51),
    tf.grad((t: tf.Tensor) => tf.sum(tf.mul(affineGridSample(t as tf.Tensor4D, th, 45, 51), dy)))(x),
  ].map((t) => Array.from(t.dataSync())));
  await tf.setBackend('cpu');
  disableNative();
  const js = run();
  await enableNative({ threads: 2 });
  assert.ok(hasFusedKernel('GanSegmenterSampleRows'), 'the native sampling kernel is registered');
  const nat = run();
  assert.deepEqual(nat[0], js[0], 'forward');
  assert.deepEqual(nat[1], js[1], 'input gradient');
  assert.ok(js[0]!.some((v) => v !== 0) && js[0]!.some((v) => v === 0), 'some pixels inside, some outside');
  tf.dispose([x, dy]);
});

test('fused sum of squares: Σ x² over many tensors in float64, rounded once (sizes 1 to 300k, odd tails); NaN and overflow propagate; absent on the plain cpu backend', { skip }, async () => {
  await enableNative({ threads: 2 });
  const xs = [[1], [7], [33, 17], [301, 997], [4099]].map((s) => rand(s, -3, 3));
  let ref = 0;
  for (const x of xs) for (const v of x.dataSync()) ref += v * v;
  const got = fusedSumSquares(xs);
  assert.ok(got !== undefined);
  assert.equal(got, Math.fround(ref), `sum ${got} vs float64 reference ${ref}`);
  const nan = tf.tensor1d([1, Number.NaN, 2]), big = tf.fill([3], 2e19);
  assert.ok(Number.isNaN(fusedSumSquares([xs[0]!, nan])!));
  assert.equal(fusedSumSquares([big]), Number.POSITIVE_INFINITY); // 1.2e39: past float32's range
  assert.equal(fusedSumSquares([]), undefined);
  assert.equal(fusedSumSquares([tf.tensor1d([1, 2], 'int32')]), undefined);
  await tf.setBackend('cpu');
  disableNative();
  assert.equal(fusedSumSquares(xs), undefined);
  tf.dispose([...xs, nan, big]);
});

test('fused Adam steps are bit-identical to the composed update', { skip }, async () => {
  const run = (): tf.Tensor[] => {
    // c: enough elements for the vectorized loop and a split across both threads.
    const a = tf.variable(tf.randomUniform([33, 17], -1, 1, 'float32', 7)), b = tf.variable(tf.randomUniform([5], -1, 1, 'float32', 8));
    const c = tf.variable(tf.randomUniform([301, 997], -1, 1, 'float32', 9));
    const opt = new Adam([a, b, c], { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8 } as never);
    for (let i = 0; i < 5; i++) {
      const { grads } = tf.variableGrads(() => tf.addN([tf.sum(tf.square(tf.sin(a))), tf.sum(tf.mul(b, b)), tf.sum(tf.mul(tf.cos(c), c))]) as tf.Scalar, [a, b, c]);
      opt.apply(grads, 1e-2 / (i + 1));
      tf.dispose(grads);
    }
    const out = [a.clone(), b.clone(), c.clone(), ...opt.stateVariables().map((t) => t.clone())];
    opt.dispose();
    tf.dispose([a, b, c]);
    return out;
  };
  await tf.setBackend('cpu');
  disableNative();
  assert.equal(fusedAdamUpdate(tf.zeros([1]), tf.zeros([1]), tf.zeros([1]), tf.zeros([1]), { lr: 1, beta1: 0, beta2: 0, eps: 1, c1: 1, c2: 1 }), undefined);
  const ref = run();
  await enableNative({ threads: 2 });
  const got = run();
  got.forEach((g, i) => assert.deepEqual(Array.from(g.dataSync()), Array.from(ref[i]!.dataSync()), `Adam output ${i}`));
  tf.dispose([...ref, ...got]);
});

test('enableNative reports threads and kernels; disableNative restores the JS kernels', { skip }, async () => {
  const r = await enableNative({ threads: 1 });
  assert.ok(r.ok);
  assert.match(r.detail, /1 thread/);
  assert.ok(nativeStatus().kernels.includes('Conv2DBackpropFilter'));
  const nativeConv = tf.getKernel('Conv2D', 'cpu').kernelFunc;
  disableNative();
  assert.equal(nativeStatus().enabled, false);
  assert.notEqual(tf.getKernel('Conv2D', 'cpu').kernelFunc, nativeConv);
  await enableNative({ threads: 2 });
});

test('without a built addon, loading says so and names the build command (the wasm fallback path)', () => {
  const prev = process.env['GAN_SEGMENTER_NATIVE_ADDON'];
  process.env['GAN_SEGMENTER_NATIVE_ADDON'] = '/nonexistent/gan_segmenter_native.node';
  try {
    const r = loadAddon();
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error, /not built .*npm run build:native/);
  } finally {
    if (prev === undefined) delete process.env['GAN_SEGMENTER_NATIVE_ADDON'];
    else process.env['GAN_SEGMENTER_NATIVE_ADDON'] = prev;
  }
});

test('native depthwise conv matches the cpu kernel: strides, paddings (same, valid, explicit), dilations, channel counts', { skip }, async () => {
  const cases: [number[], number[], [number, number] | number, 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]], number][] = [
    // Every output has ≥ 2048 elements, so each case runs the native kernel (smaller ones go to tfjs's).
    [[4, 16, 18, 5], [3, 3, 5, 1], 1, 'same', 1],
    [[2, 19, 21, 16], [4, 4, 16, 1], 1, 'valid', 1],
    [[3, 24, 20, 8], [4, 4, 8, 1], 2, 'valid', 1],
    [[1, 16, 16, 33], [3, 3, 33, 1], [2, 1], 'same', 1],
    [[2, 16, 16, 7], [3, 3, 7, 1], 1, 'same', 2],
    [[2, 20, 18, 12], [4, 4, 12, 1], 2, [[0, 0], [2, 1], [1, 2], [0, 0]], 1],
    // The separable FIR passes of ADA's wavelet resampling: 3 channels, 12 taps along one axis.
    [[4, 40, 30, 3], [12, 1, 3, 1], 1, [[0, 0], [6, 5], [0, 0], [0, 0]], 1],
    [[4, 40, 30, 3], [1, 12, 3, 1], 1, [[0, 0], [0, 0], [7, 4], [0, 0]], 1],
    [[4, 40, 30, 3], [1, 12, 3, 1], [1, 2], 'valid', 1],
  ];
  for (const [xs, ws, s, p, d] of cases) {
    const x = rand(xs) as tf.Tensor4D, w = rand(ws) as tf.Tensor4D;
    await agree(`depthwiseConv2d ${xs} ${ws} s${s} p${JSON.stringify(p)} d${d}`, () => tf.depthwiseConv2d(x, w, s, p, 'NHWC', d));
    tf.dispose([x, w]);
  }
  // The gradient path the FIR filters use (an input gradient through the forward kernel).
  const x = rand([2, 12, 12, 16]) as tf.Tensor4D, w = rand([4, 4, 16, 1]) as tf.Tensor4D;
  await agree('depthwiseConv2d input gradient', () => tf.grad((v: tf.Tensor) => tf.sum(tf.square(tf.depthwiseConv2d(v as tf.Tensor4D, w, 1, 'same'))))(x));
  tf.dispose([x, w]);
});
