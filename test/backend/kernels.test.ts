import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { Rng } from '../../src/core/rng.ts';
import { convFilterGrad, convForward, convInputGrad, depthwiseGrads, geometry, relErr } from './reference.ts';

type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];
interface Case { readonly x: [number, number, number, number]; readonly f: [number, number, number, number]; readonly s: number; readonly pad: Pad }

const CASES: readonly Case[] = [
  { x: [2, 7, 7, 3], f: [3, 3, 3, 5], s: 1, pad: 'same' },
  { x: [2, 7, 7, 3], f: [3, 3, 3, 5], s: 2, pad: 'same' },
  { x: [2, 8, 8, 3], f: [3, 3, 3, 5], s: 2, pad: 'same' },
  { x: [2, 8, 8, 4], f: [4, 4, 4, 6], s: 2, pad: 'same' },
  { x: [1, 9, 7, 3], f: [3, 3, 3, 4], s: 2, pad: 'valid' },
  { x: [1, 6, 6, 2], f: [3, 3, 2, 3], s: 1, pad: 'valid' },
  { x: [1, 6, 7, 2], f: [3, 2, 2, 3], s: 2, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { x: [1, 6, 6, 3], f: [3, 3, 3, 4], s: 1, pad: 1 },
  { x: [1, 5, 6, 3], f: [3, 3, 3, 4], s: 1, pad: [[0, 0], [3, 3], [0, 2], [0, 0]] },
  { x: [1, 5, 5, 5], f: [1, 1, 5, 4], s: 1, pad: 'valid' },
  { x: [3, 6, 6, 8], f: [3, 3, 8, 9], s: 1, pad: 'same' },
];
const TOL = 1e-4;
const worst = { forward: 0, filter: 0, input: 0, transpose: 0, depthwise: 0 };

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`backend kernels on ${backend}`, () => {
    before(async () => {
      await initBackend({ backend, ignoreEnv: true });
    });

    for (const [c, d] of [...CASES.map((c) => [c, 1] as const), [{ x: [2, 9, 8, 3], f: [3, 3, 3, 6], s: 1, pad: 'same' }, 2] as const, [{ x: [1, 9, 9, 5], f: [2, 3, 5, 7], s: 1, pad: 'valid' }, 3] as const]) {
      test(`conv2d forward x=[${c.x}] w=[${c.f}] stride ${c.s} dilation ${d} pad ${JSON.stringify(c.pad)} matches float64 loops`, () => {
        const rng = new Rng(`fwd${backend}${JSON.stringify(c)}${d}`);
        const g = geometry([...c.x], [...c.f], c.s, c.pad, false, d);
        const xv = rng.normalArray(c.x.reduce((a, b) => a * b)), wv = rng.normalArray(c.f.reduce((a, b) => a * b));
        const y = tf.tidy(() => tf.conv2d(tf.tensor4d(xv, [...c.x]), tf.tensor4d(wv, [...c.f]), c.s, c.pad, 'NHWC', d).dataSync());
        const e = relErr(y, convForward(xv, wv, g));
        worst.forward = Math.max(worst.forward, e);
        assert.ok(e <= TOL, `forward relative error ${e}`);
      });
    }

    for (const c of CASES) {
      test(`conv2d x=[${c.x}] w=[${c.f}] stride ${c.s} pad ${JSON.stringify(c.pad)}: filter and input gradients match float64 loops`, () => {
        const rng = new Rng(`${backend}${JSON.stringify(c)}`);
        const g = geometry(c.x, c.f, c.s, c.pad);
        const xv = rng.normalArray(c.x.reduce((a, b) => a * b)), wv = rng.normalArray(c.f.reduce((a, b) => a * b));
        const dyv = rng.normalArray(g.outShape.reduce((a, b) => a * b));
        const before = tf.memory().numTensors, ids = tf.engine().backend.numDataIds();
        const [dw, dx, tr] = tf.tidy(() => {
          const x = tf.tensor4d(xv, c.x), w = tf.tensor4d(wv, c.f), dy = tf.tensor4d(dyv, g.outShape);
          const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad), dy));
          const [gx, gw] = tf.grads(f)([x, w]);
          const t = tf.conv2dTranspose(dy, w, c.x, c.s, c.pad as 'same');
          return [gw!.dataSync(), gx!.dataSync(), t.dataSync()];
        });
        assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
        assert.equal(tf.engine().backend.numDataIds(), ids, 'no leaked backend data (kernel intermediates disposed)');
        const eF = relErr(dw, convFilterGrad(xv, dyv, g)), eI = relErr(dx, convInputGrad(dyv, wv, g)), eT = relErr(tr, convInputGrad(dyv, wv, g));
        worst.filter = Math.max(worst.filter, eF);
        worst.input = Math.max(worst.input, eI);
        worst.transpose = Math.max(worst.transpose, eT);
        assert.ok(eF <= TOL, `filter gradient relative error ${eF}`);
        assert.ok(eI <= TOL, `input gradient relative error ${eI}`);
        assert.ok(eT <= TOL, `conv2dTranspose relative error ${eT}`);
      });
    }

    const DW: readonly [[number, number, number, number], [number, number, number, number], number, 'same' | 'valid'][] = [
      [[2, 6, 6, 3], [3, 3, 3, 2], 1, 'same'], [[1, 7, 7, 4], [3, 3, 4, 1], 2, 'valid'], [[1, 8, 8, 2], [5, 5, 2, 3], 2, 'same'],
      [[2, 7, 6, 3], [3, 3, 3, 1], 1, 'same'], [[2, 9, 9, 3], [4, 4, 3, 1], 2, 'valid'], [[1, 8, 7, 2], [3, 3, 2, 1], 2, 'same'], [[1, 7, 7, 2], [5, 5, 2, 1], 2, 'same'],
    ];
    for (const [x, f, s, pad] of DW) {
      test(`depthwiseConv2d x=[${x}] w=[${f}] stride ${s} ${pad}: gradients match float64 loops`, () => {
        const rng = new Rng(`dw${backend}${x}${f}`);
        const g = geometry(x, f, s, pad, true);
        const xv = rng.normalArray(x.reduce((a, b) => a * b)), wv = rng.normalArray(f.reduce((a, b) => a * b));
        const dyv = rng.normalArray(g.outShape.reduce((a, b) => a * b));
        const ids = tf.engine().backend.numDataIds();
        const [dw, dx] = tf.tidy(() => {
          const xt = tf.tensor4d(xv, x), wt = tf.tensor4d(wv, f), dy = tf.tensor4d(dyv, g.outShape);
          const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad), dy)))([xt, wt]);
          return [gw!.dataSync(), gx!.dataSync()];
        });
        assert.equal(tf.engine().backend.numDataIds(), ids, 'no leaked backend data');
        const ref = depthwiseGrads(xv, wv, dyv, g);
        const e = Math.max(relErr(dw, ref.dw), relErr(dx, ref.dx));
        worst.depthwise = Math.max(worst.depthwise, e);
        assert.ok(e <= TOL, `depthwise gradient relative error ${e}`);
      });
    }

    test('unsortedSegmentSum x=[6,3] ids=[2,0,2,1,1,0] and the gather gradient it serves', () => {
      const xv = Float32Array.from({ length: 18 }, (_, i) => i * 0.5 - 3);
      const ids = [2, 0, 2, 1, 1, 0];
      const ref = new Float64Array(9);
      ids.forEach((s, i) => { for (let k = 0; k < 3; k++) ref[s * 3 + k] += xv[i * 3 + k]!; });
      const got = tf.tidy(() => tf.unsortedSegmentSum(tf.tensor2d(xv, [6, 3]), tf.tensor1d(ids, 'int32'), 3).dataSync());
      assert.ok(relErr(got, ref) <= 1e-6, `segment sum ${Array.from(got)}`);
      // gather's gradient is an unsorted segment sum
      const p = tf.zeros([3, 2]);
      const gGrad = tf.tidy(() => tf.grad((q: tf.Tensor) => tf.sum(tf.mul(tf.gather(q, tf.tensor1d([2, 0, 2], 'int32')), tf.tensor2d([[1, 2], [3, 4], [5, 6]]))))(p).dataSync());
      p.dispose();
      assert.deepEqual(Array.from(gGrad), [3, 4, 0, 0, 6, 8]);
    });

    test('UnsortedSegmentSum drops ids outside [0, numSegments)', () => {
      const out = tf.tidy(() =>
        tf.engine().runKernel('UnsortedSegmentSum', { x: tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]), segmentIds: tf.tensor1d([1, -1, 5], 'int32') }, { numSegments: 2 }) as tf.Tensor,
      );
      assert.deepEqual(Array.from(out.dataSync()), [0, 0, 1, 2]);
      out.dispose();
    });
  });
}

test('report the worst relative errors', () => {
  console.log(`# worst relative errors: ${JSON.stringify(worst)}`);
});
