import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/init.ts';
import { Rng } from '../../../src/core/rng.ts';
import { readSafetensors } from '../../../src/io/safetensors-file.ts';
import { METHODS } from '../../../src/methods/table.ts';
import { ILSGAN_DEFAULTS, LayeredGenerator, layeredMaskSource, ilsganGeneratorConfig } from '../../../src/methods/ilsgan/index.ts';
import { runMethodPipeline } from '../../../src/pipeline/run.ts';

before(async () => { await initBackend({ backend: 'wasm', ignoreEnv: true }); });

const inTmp = async (f: (dir: string) => Promise<void>): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), 'ilsgan-run-'));
  try { await f(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
};

const TINY = {
  resolution: 16, train: { count: 16 }, data: { count: 8 }, unet: { width: 4, depth: 2, steps: 2, batchSize: 4 }, eval: { count: 4 },
  ilsgan: { kimg: 0.008, batchSize: 4, zDim: 8, wDim: 8, mappingLayers: 2, channelBase: 64, channelMax: 16, dRegInterval: 2, checkpointEvery: 2 },
};

test('ilsgan is in the method table and needs only real images', () => {
  assert.equal(METHODS.ilsgan.name, 'ilsgan');
  assert.deepEqual(METHODS.ilsgan.needs, ['reals']);
});

test('layeredMaskSource: composite in [-1,1] with the mask m > 0.5 of the same unshifted layers, deterministic, no leak', () => {
  const cfg = { ...ILSGAN_DEFAULTS, zDim: 8, wDim: 8, mappingLayers: 2, channelBase: 64, channelMax: 16 } as typeof ILSGAN_DEFAULTS;
  const g = LayeredGenerator.create(ilsganGeneratorConfig(cfg, 16), new Rng(3));
  const src = layeredMaskSource(g, cfg, 'test');
  const n0 = tf.memory().numTensors;
  const a = src.sample(20, new Rng(1)), b = src.sample(20, new Rng(1));
  assert.deepEqual(a.images.shape, [20, 16, 16, 3]);
  assert.deepEqual(a.masks.shape, [20, 16, 16, 1]);
  assert.deepEqual(Array.from(a.images.dataSync()), Array.from(b.images.dataSync()));
  assert.ok(a.masks.dataSync().every((v) => v === 0 || v === 1));
  // the first chunk's mask is the generator's own mask at ψ 1, const noise, thresholded
  const z = tf.tensor2d(new Rng(1).fork('chunk-0').normalArray(16 * 8), [16, 8]);
  const l = g.layers(z);
  const [got, want] = tf.tidy(() => [tf.slice(a.masks, [0], [16]), tf.cast(tf.greater(l.mask, 0.5), 'float32')]);
  assert.deepEqual(Array.from(got!.dataSync()), Array.from(want!.dataSync()));
  got!.dispose();
  tf.dispose([a.images, a.masks, b.images, b.masks, z, l.foreground, l.background, l.mask, l.composite, want]);
  assert.equal(tf.memory().numTensors, n0);
  src.dispose();
});

test('runMethodPipeline method=ilsgan 16²: trains from the run\'s images, report (with the MINE estimate), generator safetensors with official keys, grid', () => inTmp(async (dir) => {
  const stages: string[] = [];
  const r = await runMethodPipeline({ ...TINY, ilsgan: { ...TINY.ilsgan, mineIterations: 4, mineSamples: 24, mineHidden: 8 }, method: 'ilsgan', out: dir }, { onEvent: (e) => { if (e.type === 'stage-progress' || e.type === 'stage-start') stages.push(e.stage); } });
  assert.ok(stages.includes('train-ilsgan'), stages.join(','));
  assert.ok(stages.includes('train-ilsgan/mine'), stages.join(','));
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { records: { 'train-ilsgan': { steps: number; method: string; mine: { separate: number[]; single: number; iterations: number; samples: number } } } };
  assert.equal(report.records['train-ilsgan'].steps, 2);
  const mine = report.records['train-ilsgan'].mine;
  assert.equal(mine.separate.length, 2);
  assert.ok(mine.separate.every(Number.isFinite) && Number.isFinite(mine.single), JSON.stringify(mine));
  assert.equal(mine.iterations, 4);
  assert.equal(mine.samples, 24);
  assert.equal(report.records['train-ilsgan'].method, 'ilsgan');
  const st = readSafetensors(join(dir, 'ilsgan-generator.safetensors'));
  assert.ok(st.tensors.has('synthesis_fg.b4.const') && st.tensors.has('mapping_bg.fc0.weight'));
  assert.ok(existsSync(join(dir, 'ilsgan.png')));
  assert.ok(existsSync(join(dir, 'ilsgan', 'checkpoints')) || existsSync(join(dir, 'ilsgan')));
  void r;
}));
