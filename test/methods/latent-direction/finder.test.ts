import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/init.ts';
import { Rng } from '../../../src/core/rng.ts';
import { LatentDirectionFinder } from '../../../src/methods/latent-direction/train.ts';
import { PAPER_CONFIG, decodeLatentDirectionConfig } from '../../../src/methods/latent-direction/config.ts';
import { PAPER_MASK_FILTERS } from '../../../src/methods/latent-direction/masks.ts';
import { TinyLinearGenerator } from './tiny-generator.ts';
import { directionLoss, type LossWeights } from '../../../src/methods/latent-direction/losses.ts';
import { latentSize, sampleLatents, synthesizeBatch } from '../../../src/methods/latent-direction/model.ts';

before(async () => { await initBackend({ backend: 'cpu', ignoreEnv: true }); });

const iou = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let i = 0, u = 0;
  for (let k = 0; k < a.length; k++) { const x = (a[k] as number) > 0.5, y = (b[k] as number) > 0.5; if (x && y) i++; if (x || y) u++; }
  return u === 0 ? 1 : i / u;
};

test('LatentDirectionFinder on a linear generator [D=8, 16×16] recovers the disc axis (cos > 0.9) and its masks reach IoU > 0.9', async () => {
  const g = new TinyLinearGenerator();
  const cfg = { ...PAPER_CONFIG, batchSize: 8, iterations: 60, learningRate: 0.05 } as typeof PAPER_CONFIG;
  const before = tf.memory().numTensors;
  const events: number[] = [];
  const d = await new LatentDirectionFinder(g, cfg).find(new Rng(0), { onProgress: (e) => events.push(e.loss) });
  const e0 = [1, 0, 0, 0, 0, 0, 0, 0];
  const cos = d.cosine(e0);
  assert.ok(cos > 0.9, `cosine with the disc axis ${cos}`);
  assert.ok(Math.abs((tf.tidy(() => tf.norm(d.vector).dataSync()[0]) as number) - 1) < 1e-5);
  assert.ok(events.length > 2 && (events[events.length - 1] as number) < (events[0] as number), `loss ${events[0]} → ${events[events.length - 1]}`);
  const out = d.synthesizeMasks(g, 6, new Rng(1), PAPER_MASK_FILTERS);
  const m = out.masks.dataSync();
  const per = Array.from({ length: 6 }, (_, i) => iou(m.subarray(i * 256, (i + 1) * 256), g.disc));
  assert.ok(Math.min(...per) > 0.9, `IoUs ${per.map((v) => v.toFixed(3)).join(' ')}`);
  for (const t of [out.images, out.masks, out.rawMasks, out.shifted]) t.dispose();
  d.dispose();
  assert.equal(tf.memory().numTensors, before, 'no tensors leaked');
  g.dispose();
});

test('dual variant learns a darkening vector opposite in effect; masks lighter − darker reach IoU > 0.9', async () => {
  const g = new TinyLinearGenerator();
  const cfg = { ...PAPER_CONFIG, variant: 'dual', batchSize: 8, iterations: 40, learningRate: 0.05 } as typeof PAPER_CONFIG;
  const d = await new LatentDirectionFinder(g, cfg).find(new Rng(2));
  assert.ok(d.darkVector !== undefined);
  assert.ok(d.cosine([1, 0, 0, 0, 0, 0, 0, 0]) > 0.9);
  const dark = d.darkVector.dataSync();
  assert.ok((dark[0] as number) < -0.9, `dark vector e0 component ${dark[0]}`);
  const out = d.synthesizeMasks(g, 4, new Rng(3), PAPER_MASK_FILTERS);
  const m = out.masks.dataSync();
  for (let i = 0; i < 4; i++) assert.ok(iou(m.subarray(i * 256, (i + 1) * 256), g.disc) > 0.9);
  for (const t of [out.images, out.masks, out.rawMasks, out.shifted]) t.dispose();
  d.dispose(); g.dispose();
});

test('decodeLatentDirectionConfig merges over the paper defaults and lists wrong fields', () => {
  const ok = decodeLatentDirectionConfig({ iterations: 10, losses: { sobelShift: 5 } });
  assert.ok(ok._tag === 'Right');
  assert.equal(ok.right.iterations, 10);
  assert.deepEqual(ok.right.losses, { radialPrior: 2, sobelShift: 5 });
  assert.equal(ok.right.batchSize, 32);
  const bad = decodeLatentDirectionConfig({ iterations: 0, variant: 'triple' });
  assert.ok(bad._tag === 'Left');
  assert.deepEqual(bad.left.issues.map((i) => i.path).sort(), ['iterations', 'variant']);
});

test('conditional generator in W space: classes passed consistently, direction found in W (cos with −e_0 > 0.9)', async () => {
  const g = new TinyLinearGenerator({ numClasses: 3, styleBased: true, id: 'tiny-cond-w' });
  const cfg = { ...PAPER_CONFIG, space: 'w', batchSize: 6, iterations: 40, learningRate: 0.05 } as typeof PAPER_CONFIG;
  const d = await new LatentDirectionFinder(g, cfg).find(new Rng(4));
  assert.ok(d.cosine([-1, 0, 0, 0, 0, 0, 0, 0]) > 0.9, `cos ${d.cosine([-1, 0, 0, 0, 0, 0, 0, 0])}`);
  assert.equal(d.info.space, 'w');
  const out = d.synthesizeMasks(g, 3, new Rng(5), PAPER_MASK_FILTERS);
  assert.equal(g.lastClasses?.length, 3);
  assert.ok(g.lastClasses?.every((c) => c >= 0 && c < 3));
  const m = out.masks.dataSync();
  for (let i = 0; i < 3; i++) assert.ok(iou(m.subarray(i * 256, (i + 1) * 256), g.disc) > 0.9);
  for (const t of [out.images, out.masks, out.rawMasks, out.shifted]) t.dispose();
  d.dispose(); g.dispose();
});

// The optimisation as first written, with tf.train.adam (before it moved to train/adam.ts): the finder must
// reproduce its directions bit for bit, milestone restarts included.
const tfjsAdamReference = (g: TinyLinearGenerator, c: typeof PAPER_CONFIG, rng: Rng, weights: LossWeights): Float32Array => {
  const dim = latentSize(g, c.space);
  const d = tf.variable(tf.tensor1d(rng.normalArray(dim, 0, 0.1)), true);
  let lr: number = c.learningRate;
  let optimizer = tf.train.adam(lr);
  for (let it = 1; it <= c.iterations; it++) {
    if ((c.milestones as readonly number[]).includes(it - 1) && it > 1) { lr *= c.gamma; optimizer.dispose(); optimizer = tf.train.adam(lr); }
    const batch = sampleLatents(g, c.batchSize, c.space, rng);
    const r = tf.tensor2d(rng.normalArray(c.batchSize * dim, c.radius.mean, c.radius.std).map((v) => Math.max(v, c.radius.min)), [c.batchSize, dim]);
    const original = tf.tidy(() => synthesizeBatch(g, batch, batch.latents, c.truncation));
    optimizer.minimize(() => directionLoss(synthesizeBatch(g, batch, tf.add(batch.latents, tf.mul(r, tf.div(d, tf.norm(d)))) as tf.Tensor2D, c.truncation), original, weights).total, false, [d]);
    tf.tidy(() => { d.assign(tf.div(d, tf.norm(d))); });
    tf.dispose([original, r, batch.latents]);
  }
  optimizer.dispose();
  const out = tf.tidy(() => tf.div(d, tf.norm(d)).dataSync() as Float32Array);
  d.dispose();
  return out;
};

test('LatentDirectionFinder (train/adam.ts, tfjs arithmetic, multistep schedule) = the tf.train.adam loop it replaced, bit for bit: dual, milestones [0,5,10,10] γ 0.5', async () => {
  const g = new TinyLinearGenerator();
  const cfg = { ...PAPER_CONFIG, variant: 'dual', batchSize: 4, iterations: 16, learningRate: 0.05, milestones: [0, 5, 10, 10], gamma: 0.5 } as typeof PAPER_CONFIG;
  const d = await new LatentDirectionFinder(g, cfg).find(new Rng(7));
  const light = tfjsAdamReference(g, cfg, new Rng(7).fork('light'), cfg.losses);
  const dark = tfjsAdamReference(g, cfg, new Rng(7).fork('dark'), { radialPrior: -cfg.losses.radialPrior, sobelShift: cfg.losses.sobelShift });
  const bytes = (x: Float32Array): Buffer => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  assert.ok(bytes(d.vector.dataSync() as Float32Array).equals(bytes(light)), 'light vector');
  assert.ok(bytes(d.darkVector!.dataSync() as Float32Array).equals(bytes(dark)), 'dark vector');
  d.dispose();
  g.dispose();
});
