import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { Rng } from '../../src/core/rng.ts';
import { Adam, scheduledLr, type AdamConfig, type LrSchedule } from '../../src/train/adam.ts';

before(async () => { await initBackend({ backend: 'cpu', ignoreEnv: true }); });

const bytes = (x: tf.Tensor): Buffer => { const d = x.dataSync() as Float32Array; return Buffer.from(d.buffer, d.byteOffset, d.byteLength); };

test("Adam arithmetic 'tfjs' x=[3], w=[2,4]: 40 steps of random gradients, restarted at step 25 with lr×0.1, equal tf.train.adam bit for bit; 'standard' differs; no leaks", () => {
  const rng = new Rng('adam');
  const init = [rng.normalArray(3), rng.normalArray(8)];
  const make = (): tf.Variable[] => [tf.variable(tf.tensor1d(init[0]!)), tf.variable(tf.tensor2d(init[1]!, [2, 4]))];
  const ours = make(), theirs = make(), standard = make();
  const cfg = (lr: number): AdamConfig => ({ lr, beta1: 0.9, beta2: 0.999, eps: tf.backend().epsilon() }) as AdamConfig;
  const before = tf.memory().numTensors;
  let opt = new Adam(ours, cfg(5e-3), { arithmetic: 'tfjs' });
  let ref = tf.train.adam(5e-3);
  const std = new Adam(standard, cfg(5e-3));
  for (let s = 0; s < 40; s++) {
    if (s === 25) { // tfjs's rate is fixed at creation: a new rate is a new optimizer, moments and β powers restart
      opt.dispose(); ref.dispose();
      opt = new Adam(ours, cfg(5e-4), { arithmetic: 'tfjs' });
      ref = tf.train.adam(5e-4);
    }
    const gs = [rng.normalArray(3), rng.normalArray(8)];
    const grads = (vars: tf.Variable[]): tf.NamedTensorMap => ({ [vars[0]!.name]: tf.tensor1d(gs[0]!), [vars[1]!.name]: tf.tensor2d(gs[1]!, [2, 4]) });
    const g1 = grads(ours), g2 = grads(theirs), g3 = grads(standard);
    opt.apply(g1);
    ref.applyGradients(g2 as never); // typed as variables, reads the tensors
    std.apply(g3);
    tf.dispose([g1, g2, g3]);
    ours.forEach((v, i) => assert.ok(bytes(v).equals(bytes(theirs[i]!)), `step ${s} variable ${i}`));
  }
  assert.ok(!ours.every((v, i) => bytes(v).equals(bytes(standard[i]!))), 'the standard arithmetic differs in the last bits');
  opt.dispose(); ref.dispose(); std.dispose();
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([...ours, ...theirs, ...standard]);
});

test("Adam arithmetic 'tfjs' after setStep(k) continues like an optimizer that took k steps (β powers from the step count)", () => {
  const rng = new Rng('adam-resume');
  const x = tf.variable(tf.tensor1d(rng.normalArray(4))), y = tf.variable(x.clone());
  const cfg = { lr: 1e-2, beta1: 0.5, beta2: 0.99, eps: 1e-7 } as AdamConfig;
  const a = new Adam([x], cfg, { arithmetic: 'tfjs' }), b = new Adam([y], cfg, { arithmetic: 'tfjs' });
  const gs = Array.from({ length: 8 }, () => rng.normalArray(4));
  gs.slice(0, 5).forEach((g) => tf.tidy(() => { a.apply({ [x.name]: tf.tensor1d(g) }); b.apply({ [y.name]: tf.tensor1d(g) }); }));
  b.setStep(5); // as a checkpoint restore does (moments already equal)
  gs.slice(5).forEach((g) => tf.tidy(() => { a.apply({ [x.name]: tf.tensor1d(g) }); b.apply({ [y.name]: tf.tensor1d(g) }); }));
  assert.ok(bytes(x).equals(bytes(y)));
  a.dispose(); b.dispose(); tf.dispose([x, y]);
});

test('scheduledLr multistep (PyTorch MultiStepLR): ×gamma from each milestone on, chained; a repeated milestone counts twice; milestone 0 from the start', () => {
  const s = { kind: 'multistep', milestones: [30, 10, 30], gamma: 0.1 } as LrSchedule;
  assert.deepEqual([0, 9, 10, 29, 30, 99].map((k) => scheduledLr(s, 5e-3, k, 100)), [5e-3, 5e-3, 5e-3 * 0.1, 5e-3 * 0.1, 5e-3 * 0.1 * 0.1 ** 2, 5e-3 * 0.1 * 0.1 ** 2]);
  assert.equal(scheduledLr({ kind: 'multistep', milestones: [0], gamma: 0.5 } as LrSchedule, 1, 0, 10), 0.5);
  assert.equal(scheduledLr({ kind: 'multistep', milestones: [], gamma: 0.5 } as never, 1, 7, 10), 1);
});
