import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { Rng } from '../../src/core/rng.ts';
import { augmentPair, randomCropWindow } from '../../src/data/augment.ts';
import { loadCheckpoint } from '../../src/train/checkpoint.ts';
import { stepRng } from '../../src/train/step.ts';
import {
  augmentSegmenterBatch, randomFlip, melasKyriaziSegmenterDefaults, trainSegmenter,
  type PairBatch, type SegmenterTrainConfig, type TrainableSegmenter,
} from '../../src/train/segmenter.ts';

before(async () => { await initBackend({ backend: 'cpu', ignoreEnv: true }); });

const S = 8;
const flat = (x: tf.Tensor): number[] => [...x.dataSync()];
const freeBatch = (...bs: PairBatch[]): void => tf.dispose([...new Set(bs.flatMap((b) => [b.images, b.masks]))]);

// Random binary masks; image red = ±0.8 on fg/bg, green a deterministic texture (so colour jitter has something to change).
const pairs = (step: number, n: number): PairBatch => tf.tidy(() => {
  const m = tf.tensor4d(new Rng(`m/${step}`).uniformArray(n * S * S).map((v) => (v > 0.5 ? 1 : 0)), [n, S, S, 1]);
  const g = tf.tensor4d(new Rng(`g/${step}`).uniformArray(n * S * S, -0.5, 0.5), [n, S, S, 1]);
  return { images: tf.concat([tf.sub(tf.mul(m, 1.6), 0.8), g, tf.zeros([n, S, S, 1])], 3) as tf.Tensor4D, masks: m };
});

// Coordinate ramps: image red = -1 + 2x/7, green = -1 + 2y/7; mask = (8y + x) / 63, so every pixel says where it came from.
const coordBatch = (n: number): PairBatch => {
  const img = new Float32Array(n * S * S * 3), msk = new Float32Array(n * S * S);
  for (let i = 0; i < n; i++)
    for (let y = 0; y < S; y++)
      for (let x = 0; x < S; x++) {
        const p = (i * S + y) * S + x;
        img[p * 3] = -1 + (2 * x) / (S - 1);
        img[p * 3 + 1] = -1 + (2 * y) / (S - 1);
        msk[p] = (y * S + x) / (S * S - 1);
      }
  return { images: tf.tensor4d(img, [n, S, S, 3]), masks: tf.tensor4d(msk, [n, S, S, 1]) };
};

const allAug = { flipProbability: 0.5, augment: ['flip', 'crop', 'color'], cropScale: [0.3, 0.8], colorJitter: 0.4 } as Pick<SegmenterTrainConfig, 'flipProbability' | 'augment' | 'cropScale' | 'colorJitter'>;

test('augmentSegmenterBatch: same (seed, step) ⇒ same batch; other step ⇒ other batch; default config = the old seeded flip exactly; no leaks', () => {
  const before = tf.memory().numTensors;
  const raw = pairs(0, 4);
  const a = augmentSegmenterBatch(raw, allAug, 'seed', 5), b = augmentSegmenterBatch(raw, allAug, 'seed', 5), c = augmentSegmenterBatch(raw, allAug, 'seed', 6);
  assert.deepEqual(flat(a.images), flat(b.images));
  assert.deepEqual(flat(a.masks), flat(b.masks));
  assert.notDeepEqual(flat(a.images), flat(c.images));
  assert.notDeepEqual(flat(a.images), flat(raw.images));
  // no `augment` field (every existing config and checkpoint): exactly today's flip path, bit for bit
  const d = augmentSegmenterBatch(raw, { flipProbability: melasKyriaziSegmenterDefaults.flipProbability }, 'seed', 5);
  const old = randomFlip(raw, 0.5, stepRng('seed', 5, 'flip'));
  assert.deepEqual(flat(d.images), flat(old.images));
  assert.deepEqual(flat(d.masks), flat(old.masks));
  // nothing to do ⇒ the batch itself
  assert.equal(augmentSegmenterBatch(raw, { flipProbability: 0 as never }, 'seed', 5), raw);
  assert.equal(augmentSegmenterBatch(raw, { flipProbability: 0.5 as never, augment: [] }, 'seed', 5), raw);
  freeBatch(raw, a, b, c, d, old);
  assert.equal(tf.memory().numTensors, before);
});

test('crop + flip keep image and mask aligned: 8×8 coordinate ramps, windows and flips redrawn by hand from (seed, step)', () => {
  const n = 6, raw = coordBatch(n);
  const cfg = { flipProbability: 0.5, augment: ['crop', 'flip'], cropScale: [0.3, 0.8] } as Pick<SegmenterTrainConfig, 'flipProbability' | 'augment' | 'cropScale'>;
  const out = augmentSegmenterBatch(raw, cfg, 'align', 3);
  const img = out.images.dataSync(), msk = out.masks.dataSync();
  // the same draws by hand: one window per pair (crop stream), then one flip per pair (flip stream)
  const cropRng = stepRng('align', 3, 'crop'), flipRng = stepRng('align', 3, 'flip');
  const windows = Array.from({ length: n }, () => randomCropWindow(S, S, [0.3, 0.8], [3 / 4, 4 / 3], cropRng));
  const flips = Array.from({ length: n }, () => flipRng.bernoulli(0.5));
  assert.ok(flips.some((f) => f) && flips.some((f) => !f), `flips ${flips}`);
  assert.ok(windows.every(([, , w, h]) => w < S || h < S), `windows ${JSON.stringify(windows)}`);
  for (let i = 0; i < n; i++) {
    const [x0, y0, cw, ch] = windows[i]!;
    for (let r = 0; r < S; r++)
      for (let c = 0; c < S; c++) {
        const p = (i * S + r) * S + c;
        const cc = flips[i] ? S - 1 - c : c; // column in the cropped, unflipped image
        const sx = x0 + (cc * (cw - 1)) / (S - 1), sy = y0 + (r * (ch - 1)) / (S - 1); // source position (pixel-centre sampling)
        // image: bilinear of a linear ramp is exact
        assert.ok(Math.abs((img[p * 3]! + 1) * 3.5 - sx) < 1e-4, `image x at ${i},${r},${c}`);
        assert.ok(Math.abs((img[p * 3 + 1]! + 1) * 3.5 - sy) < 1e-4, `image y at ${i},${r},${c}`);
        // mask: nearest source pixel of the same position, value unchanged (no ties occur on an 8-pixel grid)
        assert.equal(Math.round(msk[p]! * 63), Math.round(sy) * S + Math.round(sx), `mask at ${i},${r},${c}`);
      }
  }
  freeBatch(raw, out);
});

test('colour jitter changes only the image (masks bit-identical), matches the data module\'s raster jitter, stays in [-1, 1]', () => {
  const raw = pairs(1, 3);
  const j = 0.4;
  const out = augmentSegmenterBatch(raw, { flipProbability: 0.5 as never, augment: ['color'], colorJitter: j as never }, 's', 2);
  assert.deepEqual(flat(out.masks), flat(raw.masks));
  const y = out.images.dataSync(), x = raw.images.dataSync();
  assert.notDeepEqual([...y], [...x]);
  assert.ok([...y].every((v) => v >= -1 && v <= 1));
  // the same factors through augmentPair (no crop, no flip ⇒ only the jitter draws), one rng shared in batch order
  const rng = stepRng('s', 2, 'color');
  for (let i = 0; i < 3; i++) {
    const data = new Float32Array(S * S * 3).map((_, k) => ((x[i * S * S * 3 + k]! + 1) / 2));
    const ref = augmentPair({ image: { width: S, height: S, channels: 3, data } }, S, { colorJitter: j }, rng).image.data;
    ref.forEach((v, k) => assert.ok(Math.abs((y[i * S * S * 3 + k]! + 1) / 2 - v) < 1e-5, `pixel ${i}/${k}`));
  }
  freeBatch(raw, out);
});

// Per-pixel logistic model (as in segmenter.test.ts); records the first training input it sees.
const pixelModel = (seen?: number[][]): TrainableSegmenter => {
  const w = tf.tidy(() => tf.variable(tf.zeros([3, 1]))), b = tf.tidy(() => tf.variable(tf.zeros([1]))); // tidy: no leftover zeros
  return {
    logits: (x, training) => {
      if (training && seen) seen.push(flat(x));
      return tf.tidy(() => tf.reshape(tf.add(tf.matMul(tf.reshape(x, [-1, 3]), w), b), [x.shape[0], x.shape[1], x.shape[2], 1]) as tf.Tensor4D);
    },
    variables: () => [w, b],
    dispose: () => tf.dispose([w, b]),
  };
};
const iou = (model: TrainableSegmenter) => tf.tidy(() => {
  const { images, masks } = pairs(999, 4);
  const p = tf.cast(tf.greater(model.logits(images, false), 0), 'float32');
  return { iou: tf.sum(tf.mul(p, masks)).dataSync()[0]! / tf.sum(tf.maximum(p, masks)).dataSync()[0]! };
});

test('trainSegmenter with flip+crop+color: trains on the augmented batch, tensors flat across steps, resumed at 5 of 10 ends bit-identical', async () => {
  const config: SegmenterTrainConfig = { ...melasKyriaziSegmenterDefaults, seed: 'aug-resume', steps: 10 as never, batchSize: 3 as never,
    optimizer: { ...melasKyriaziSegmenterDefaults.optimizer, lr: 0.05 as never }, schedule: { kind: 'step', every: 4, factor: 0.5 } as never, diceWeight: 0.5,
    validateEvery: 5 as never, checkpointEvery: 5 as never, logEvery: 1 as never, augment: ['flip', 'crop', 'color'], cropScale: [0.4, 0.9] as never, colorJitter: 0.3 as never };
  const ref = fs.mkdtempSync(path.join(os.tmpdir(), 'seg-aug-ref-')), out = fs.mkdtempSync(path.join(os.tmpdir(), 'seg-aug-res-'));
  const seen: number[][] = [];
  const counts: number[] = [];
  const before = tf.memory().numTensors;
  const a = pixelModel(seen);
  const ra = await trainSegmenter({ config, model: a, pairs, validate: iou, out: ref, onEvent: (e) => { if (e.type === 'step') counts.push(tf.memory().numTensors); } });
  assert.equal(counts.length, 10);
  assert.ok(counts.every((k) => k === counts[0]), `numTensors per step ${counts}`);
  // the model saw exactly augmentSegmenterBatch(pairs(0), config, seed, 0) at step 0
  const raw0 = pairs(0, 3), aug0 = augmentSegmenterBatch(raw0, config, config.seed, 0);
  assert.deepEqual(seen[0], flat(aug0.images));
  assert.notDeepEqual(seen[0], flat(raw0.images));
  freeBatch(raw0, aug0);
  // interrupted at 5, resumed to 10
  const b1 = pixelModel();
  await trainSegmenter({ config: { ...config, steps: 5 as never }, model: b1, pairs, validate: iou, out });
  b1.dispose();
  const b = pixelModel();
  const rb = await trainSegmenter({ config, model: b, pairs, validate: iou, out, resume: true });
  assert.equal(rb.step, 10);
  a.variables().forEach((v, i) => assert.deepEqual(flat(b.variables()[i]!), flat(v), `variable ${i}`));
  const ca = loadCheckpoint(path.join(ref, 'checkpoints', 'step-00000010')), cb = loadCheckpoint(path.join(out, 'checkpoints', 'step-00000010'));
  for (const [k, v] of ca.tensors) assert.deepEqual([...cb.tensors.get(k)!.data], [...v.data], k); // weights and Adam moments
  assert.equal(rb.bestMetric, ra.bestMetric);
  a.dispose(); b.dispose();
  assert.equal(tf.memory().numTensors, before);
  fs.rmSync(ref, { recursive: true }); fs.rmSync(out, { recursive: true });
});
