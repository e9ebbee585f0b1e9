import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { disableLeanTape, enableLeanTape, leanTapeEnabled } from '../../src/backend/lean-tape.ts';
import { registerGradientFixes } from '../../src/backend/gradients/index.ts';

let seed = 7;
const rand = (shape: number[]): tf.Tensor => tf.randomUniform(shape, -1, 1, 'float32', seed++);

/** Values and gradients of `f` with the stock tape and with the lean one: identical bits, no leaks, no larger peak. */
const same = async (what: string, f: () => tf.Tensor[]): Promise<{ stock: number; lean: number }> => {
  await tf.setBackend('cpu');
  registerGradientFixes();
  disableLeanTape();
  const before = tf.memory().numTensors;
  let ref: tf.Tensor[] = [];
  // tf.profile returns one shared record: read the peak before profiling again.
  const stock = (await tf.profile(() => {
    ref = f();
  })).peakBytes;
  enableLeanTape();
  let got: tf.Tensor[] = [];
  try {
    const lean = (await tf.profile(() => {
      got = f();
    })).peakBytes;
    assert.equal(got.length, ref.length, `${what}: outputs`);
    got.forEach((g, i) => {
      assert.deepEqual(g.shape, ref[i]!.shape, `${what}[${i}]: shape`);
      assert.deepEqual(Array.from(g.dataSync()), Array.from(ref[i]!.dataSync()), `${what}[${i}]: values`);
    });
    tf.dispose([...ref, ...got]);
    assert.equal(tf.memory().numTensors, before, `${what}: leaked tensors`);
    assert.ok(lean <= stock, `${what}: peak ${lean} > stock ${stock}`);
    return { stock, lean };
  } finally {
    disableLeanTape();
  }
};

const bnRelu = (x: tf.Tensor4D, g: tf.Tensor, b: tf.Tensor): tf.Tensor4D =>
  tf.tidy(() => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    return tf.relu(tf.add(tf.mul(tf.sub(x, mean), tf.mul(tf.rsqrt(tf.add(variance, 1e-5)), g)), b));
  });

test('lean tape: conv/BatchNorm(moments)/ReLU/max-pool/upsample/concat x=[2,16,16,3] gradients are bit-identical', async () => {
  const x = rand([2, 16, 16, 3]) as tf.Tensor4D;
  const w1 = tf.variable(rand([3, 3, 3, 8])), w2 = tf.variable(rand([3, 3, 8, 8])), w3 = tf.variable(rand([3, 3, 16, 4]));
  const g = tf.variable(tf.ones([8])), b = tf.variable(tf.zeros([8]));
  const vars = [w1, w2, w3, g, b];
  await same('unet-like', () => {
    const { value, grads } = tf.variableGrads(() => {
      const h1 = bnRelu(tf.conv2d(x, w1 as tf.Tensor4D, 1, 'same'), g, b);
      const h2 = bnRelu(tf.conv2d(tf.maxPool(h1, 2, 2, 'valid'), w2 as tf.Tensor4D, 1, 'same'), g, b);
      const u = tf.image.resizeBilinear(h2, [16, 16], true);
      const y = tf.conv2d(tf.concat([h1, u], 3), w3 as tf.Tensor4D, 1, 'same');
      return tf.mean(tf.square(y));
    }, vars);
    return [value, ...vars.map((v) => grads[v.name]!)];
  });
  tf.dispose([x, ...vars]);
});

test('lean tape: four conv/BatchNorm/ReLU layers x=[2,16,16,3]→8 channels: peak memory of the step at most 40 % of stock', async () => {
  const x = rand([2, 16, 16, 3]) as tf.Tensor4D;
  const ws = [rand([3, 3, 3, 8]), rand([3, 3, 8, 8]), rand([3, 3, 8, 8]), rand([3, 3, 8, 8])].map((w) => tf.variable(w));
  const g = tf.variable(tf.ones([8])), b = tf.variable(tf.zeros([8]));
  const vars = [...ws, g, b];
  const { stock, lean } = await same('conv/BN chain', () => {
    const { value, grads } = tf.variableGrads(() => {
      let h = x;
      for (const w of ws) h = bnRelu(tf.conv2d(h, w as tf.Tensor4D, 1, 'same'), g, b);
      return tf.mean(tf.square(h));
    }, vars);
    return [value, ...vars.map((v) => grads[v.name]!)];
  });
  assert.ok(lean <= 0.4 * stock, `peak ${lean} vs stock ${stock}`);
  tf.dispose([x, ...vars]);
});

test('lean tape: reshape, slice, pad, expandDims, addN, sum, leakyRelu (α 0.2 and -0.3), relu on x=[3,5,4]: bit-identical gradients', async () => {
  const x = rand([3, 5, 4]);
  await same('shape ops', () => {
    const [dx] = tf.grads((a: tf.Tensor) => {
      const r = tf.reshape(a, [15, 4]);
      const s = tf.slice(r, [2, 1], [10, 3]);
      const p = tf.pad(s, [[1, 2], [0, 1]]);
      const e = tf.expandDims(p, 0);
      const l1 = tf.leakyRelu(e, 0.2), l2 = tf.leakyRelu(e, -0.3), r3 = tf.relu(e);
      return tf.sum(tf.mul(tf.addN([l1, l2, r3]), tf.sin(e)));
    })([x]);
    return [dx!];
  });
  x.dispose();
});

test('lean tape: an explicit dy, a customGrad that hands dy straight back, and several outputs (split) are safe', async () => {
  const x = rand([4, 6]);
  const dy = rand([4, 6]);
  const passThrough = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({ value: tf.mul(args[0] as tf.Tensor, 1), gradFunc: (d: tf.Tensor | tf.Tensor[]) => [d as tf.Tensor] }));
  await same('dy / customGrad / split', () => {
    const [dx] = tf.grads((a: tf.Tensor) => {
      const [p, q] = tf.split(passThrough(tf.relu(a)) as tf.Tensor, [2, 4], 1) as [tf.Tensor, tf.Tensor];
      return tf.concat([tf.square(q), tf.mul(p, 3)], 1);
    })([x], dy);
    return [dx!];
  });
  assert.ok(!dy.isDisposed, 'the caller’s dy is left alone');
  tf.dispose([x, dy]);
});

test('lean tape: R1 by double backprop x=[2,8,8,3] through leakyRelu and avgPool: weight gradients bit-identical', async () => {
  const real = rand([2, 8, 8, 3]) as tf.Tensor4D;
  const w1 = tf.variable(rand([3, 3, 3, 4])), w2 = tf.variable(rand([1, 1, 4, 1]));
  const d = (img: tf.Tensor4D): tf.Tensor =>
    tf.tidy(() => tf.conv2d(tf.avgPool(tf.leakyRelu(tf.conv2d(img, w1 as tf.Tensor4D, 1, 'same'), 0.2) as tf.Tensor4D, 2, 2, 'valid'), w2 as tf.Tensor4D, 1, 'valid'));
  await same('R1', () => {
    const { value, grads } = tf.variableGrads(() => {
      const g = tf.grad((r: tf.Tensor) => tf.sum(d(r as tf.Tensor4D)))(real);
      return tf.add(tf.mean(tf.softplus(d(real))), tf.mul(tf.mean(tf.sum(tf.square(g), [1, 2, 3])), 5)) as tf.Scalar;
    }, [w1, w2]);
    return [value, grads[w1.name]!, grads[w2.name]!];
  });
  tf.dispose([real, w1, w2]);
});

test('lean tape: enable is idempotent, disable restores the stock engine', () => {
  const e = tf.engine() as unknown as { gradients: unknown; addTapeNode: unknown };
  const stock = [e.gradients, e.addTapeNode];
  enableLeanTape();
  enableLeanTape();
  assert.ok(leanTapeEnabled());
  disableLeanTape();
  assert.ok(!leanTapeEnabled());
  assert.deepEqual([e.gradients, e.addTapeNode], stock);
});
