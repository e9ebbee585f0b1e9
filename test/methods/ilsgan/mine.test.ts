import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/init.ts';
import type { NonNegativeInt, PositiveInt, PositiveNumber } from '../../../src/core/codec.ts';
import { Rng } from '../../../src/core/rng.ts';
import {
  MINE_DEFAULTS, createMineNet, estimateMutualInformation, mineLowerBound, minePairs, plateauStep, quantizeLayers, trainMine,
  type MineConfig, type PlateauState,
} from '../../../src/methods/ilsgan/index.ts';

before(async () => {
  await initBackend({ backend: 'wasm', ignoreEnv: true });
});

test('mineLowerBound equals mean T(x,y) − log mean exp T(x,y[idx]) computed by hand in float64 (x [5,3], y [5,2], hidden 4)', () => {
  const rng = new Rng(3);
  const net = createMineNet(3, 2, 4, rng);
  const xs = rng.normalArray(15), ys = rng.normalArray(10);
  const idx = [2, 2, 0, 4, 1];
  const lb = tf.tidy(() => mineLowerBound(net, tf.tensor2d(xs, [5, 3]), tf.tensor2d(ys, [5, 2]), tf.tensor1d(idx, 'int32')));
  const [w1x, w1y, b1, w2, b2] = [net.w1x, net.w1y, net.b1, net.w2, net.b2].map((v) => Array.from(v.dataSync()));
  const T = (i: number, j: number): number => {
    let out = b2![0]!;
    for (let h = 0; h < 4; h++) {
      let a = b1![h]!;
      for (let k = 0; k < 3; k++) a += xs[i * 3 + k]! * w1x![k * 4 + h]!;
      for (let k = 0; k < 2; k++) a += ys[j * 2 + k]! * w1y![k * 4 + h]!;
      out += Math.max(a, 0) * w2![h]!;
    }
    return out;
  };
  let t0 = 0, e1 = 0;
  for (let i = 0; i < 5; i++) { t0 += T(i, i) / 5; e1 += Math.exp(T(i, idx[i]!)) / 5; }
  const want = t0 - Math.log(e1);
  const got = lb.dataSync()[0]!;
  assert.ok(Math.abs(got - want) < 1e-5, `${got} vs ${want}`);
  lb.dispose();
  for (const v of [net.w1x, net.w1y, net.b1, net.w2, net.b2]) v.dispose();
});

test('createMineNet draws nn.Linear bounds: |W₁|,|b₁| ≤ 1/√(dx+dy), |W₂|,|b₂| ≤ 1/√hidden, and fills them', () => {
  const net = createMineNet(10, 6, 25, new Rng(0));
  const max = (v: tf.Variable): number => Math.max(...Array.from(v.dataSync()).map(Math.abs));
  assert.ok(max(net.w1x) <= 0.25 && max(net.w1y) <= 0.25 && max(net.b1) <= 0.25);
  assert.ok(max(net.w1x) > 0.2, 'uses the range');
  assert.ok(max(net.w2) <= 0.2 && max(net.b2) <= 0.2);
  for (const v of [net.w1x, net.w1y, net.b1, net.w2, net.b2]) v.dispose();
});

test('plateauStep follows ReduceLROnPlateau(mode max, rel, factor, patience): cut after patience+1 estimates without a gain, including the negative-best quirk', () => {
  const o = { factor: 0.1, patience: 2, threshold: 1e-4 };
  let s: PlateauState = { lr: 1e-3, best: -Infinity, bad: 0 };
  const lrs: number[] = [];
  for (const v of [1, 0.5, 1.00005, 0.9, 2, 2, 2, 2]) { s = plateauStep(s, v, o); lrs.push(s.lr); }
  // 1 best; 0.5 bad 1; 1.00005 not > 1.0001: bad 2; 0.9 bad 3 > 2: cut, bad 0; 2 best; 2,2 bad 1,2; 2 bad 3: cut.
  assert.deepEqual(lrs.map((x) => Number(x.toPrecision(6))), [1e-3, 1e-3, 1e-3, 1e-4, 1e-4, 1e-4, 1e-4, 1e-5]);
  // mode max with a relative threshold compares against best·(1 + threshold): for a negative best,
  // a value slightly below it still counts as a gain (PyTorch does the same).
  const neg = plateauStep({ lr: 1, best: -1, bad: 2 }, -1.00005, o);
  assert.equal(neg.bad, 0);
  assert.equal(neg.best, -1.00005);
});

test('quantizeLayers reproduces save_layer → SynMIDataset: uint8(x·127.5 + 128)/127.5 − 1, mask uint8(255m + 0.5)/255', () => {
  const q = tf.tidy(() => quantizeLayers({
    foreground: tf.tensor4d([-1, 0, 0.999], [1, 1, 1, 3]),
    background: tf.tensor4d([-2, -0.5, 0.5], [1, 1, 1, 3]),
    mask: tf.tensor4d([0.3], [1, 1, 1, 1]),
  }) as unknown as tf.TensorContainer) as unknown as { foreground: tf.Tensor; background: tf.Tensor; mask: tf.Tensor };
  const fg = Array.from(q.foreground.dataSync()), bg = Array.from(q.background.dataSync()), m = q.mask.dataSync()[0]!;
  const want = (x: number): number => Math.floor(Math.min(255, Math.max(0, x * 127.5 + 128))) / 127.5 - 1;
  [-1, 0, 0.999].forEach((x, i) => assert.ok(Math.abs(fg[i]! - want(x)) < 1e-6, `fg ${x}`));
  [-2, -0.5, 0.5].forEach((x, i) => assert.ok(Math.abs(bg[i]! - want(x)) < 1e-6, `bg ${x}`));
  assert.ok(Math.abs(m - Math.floor(255 * 0.3 + 0.5) / 255) < 1e-6);
  tf.dispose([q.foreground, q.background, q.mask]);
});

test('minePairs separate = [(fg·m, bg·m), (bg·(1−m), fg·(1−m))], single = [(fg, bg)], rows flattened', () => {
  const fg = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 1, 2, 3]), bg = tf.tensor4d([10, 20, 30, 40, 50, 60], [1, 1, 2, 3]), mask = tf.tensor4d([1, 0.25], [1, 1, 2, 1]);
  const sep = minePairs({ foreground: fg, background: bg, mask }, 'separate');
  assert.deepEqual(Array.from(sep[0]!.x.dataSync()), [1, 2, 3, 1, 1.25, 1.5]);
  assert.deepEqual(Array.from(sep[0]!.y.dataSync()), [10, 20, 30, 10, 12.5, 15]);
  assert.deepEqual(Array.from(sep[1]!.x.dataSync()), [0, 0, 0, 30, 37.5, 45]);
  assert.deepEqual(Array.from(sep[1]!.y.dataSync()), [0, 0, 0, 3, 3.75, 4.5]);
  const one = minePairs({ foreground: fg, background: bg, mask }, 'single');
  assert.equal(one.length, 1);
  assert.deepEqual(one[0]!.x.shape, [1, 6]);
  tf.dispose([fg, bg, mask, ...sep.flatMap((p) => [p.x, p.y]), one[0]!.x, one[0]!.y]);
});

const quick: MineConfig = {
  ...MINE_DEFAULTS, hidden: 32 as PositiveInt, lr: 3e-3 as PositiveNumber, iterations: 300 as PositiveInt,
  evalEveryTicks: 5 as PositiveInt, averageLast: 3 as PositiveInt, plateauPatience: 10 as NonNegativeInt, quantize: false,
};

test('trainMine recovers the mutual information of correlated Gaussians (ρ 0.9, 2 dims: 1.66 nats) and ~0 for independent ones; no tensors left', () => {
  const before = tf.memory().numTensors;
  const gauss = (rho: number, seed: number): { x: tf.Tensor2D; y: tf.Tensor2D } => {
    const r = new Rng(seed), n = 512;
    const xs = r.normalArray(n * 2), e = r.normalArray(n * 2);
    return { x: tf.tensor2d(xs, [n, 2]), y: tf.tensor2d(xs.map((v, i) => rho * v + Math.sqrt(1 - rho * rho) * e[i]!), [n, 2]) };
  };
  const dep = gauss(0.9, 1), ind = gauss(0, 2);
  const truth = -Math.log(1 - 0.81);
  const r = trainMine([dep, ind], quick, new Rng(5));
  console.log(`  MINE: ρ 0.9 → ${r.average[0]!.toFixed(3)} (true ${truth.toFixed(3)}), ρ 0 → ${r.average[1]!.toFixed(3)}; ${r.estimates.length} estimates, lr ${r.finalLr}`);
  assert.ok(r.average[0]! > 1.1 && r.average[0]! < truth + 0.15, `dependent: ${r.average[0]}`);
  assert.ok(Math.abs(r.average[1]!) < 0.15, `independent: ${r.average[1]}`);
  assert.equal(r.iterations, 300);
  // estimates at iterations 20, 120, 220 (every 5 ticks of 20) and at the end
  assert.deepEqual(r.estimates.map((e) => e.iteration), [20, 120, 220, 300]);
  tf.dispose([dep.x, dep.y, ind.x, ind.y]);
  assert.equal(tf.memory().numTensors, before);
});

test('trainMine is seeded: the same seed gives the same estimates', () => {
  const r = new Rng(9), n = 64;
  const x = tf.tensor2d(r.normalArray(n * 3), [n, 3]), y = tf.tensor2d(r.normalArray(n * 3), [n, 3]);
  const c = { ...quick, iterations: 40 as PositiveInt, evalEveryTicks: 1 as PositiveInt };
  const a = trainMine([{ x, y }], c, new Rng(1)), b = trainMine([{ x, y }], c, new Rng(1));
  assert.deepEqual(a.estimates, b.estimates);
  tf.dispose([x, y]);
});

test('estimateMutualInformation: a foreground that copies the background scores far above one drawn independently', () => {
  const r = new Rng(4), n = 256;
  const bg = tf.tensor4d(r.uniformArray(n * 2 * 2 * 3, -1, 1), [n, 2, 2, 3]);
  const indep = tf.tensor4d(r.uniformArray(n * 2 * 2 * 3, -1, 1), [n, 2, 2, 3]);
  const mask = tf.fill([n, 2, 2, 1], 0.5) as tf.Tensor4D;
  const c = { ...quick, regions: 'single' as const, quantize: true };
  const same = estimateMutualInformation({ foreground: bg, background: bg, mask }, c, new Rng(1));
  const diff = estimateMutualInformation({ foreground: indep, background: bg, mask }, c, new Rng(1));
  console.log(`  MINE on layers: copied ${same.total.toFixed(3)}, independent ${diff.total.toFixed(3)}`);
  assert.ok(same.total > 2 && Math.abs(diff.total) < 0.5 && same.total > 5 * diff.total, `${same.total} vs ${diff.total}`);
  assert.throws(() => estimateMutualInformation({ foreground: bg, background: bg, mask: tf.zeros([n, 2, 2, 3]) as tf.Tensor4D }, c, new Rng(1)), /mask must be/);
  tf.dispose([bg, indep, mask]);
});
