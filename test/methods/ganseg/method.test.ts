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
import * as E from 'fp-ts/lib/Either.js';
import { decodeMethodConfig } from '../../../src/methods/spec.ts';
import { GANSEG_PRESETS, gansegMethod, PartGenerator, partGeneratorFor, partGeneratorIssues, partMaskSource, type GanSegConfig } from '../../../src/methods/ganseg/index.ts';

import { runMethodPipeline } from '../../../src/pipeline/run.ts';
import { TINY } from './tiny.ts';

before(async () => { await initBackend(); });

test('partMaskSource: eval-mode pairs, one-hot K + 1 masks = argmax of the eval forward (train_seg.py), keypoints reachable, no leak', () => {
  const g = PartGenerator.create(TINY.generator, new Rng(0));
  const src = partMaskSource(g, TINY);
  assert.equal(src.classes, 4);
  const before = tf.memory().numTensors;
  const { images, masks } = src.sample(20, new Rng(1)); // two chunks
  assert.deepEqual(images.shape, [20, 16, 16, 3]);
  assert.deepEqual(masks.shape, [20, 16, 16, 4]);
  const sums = tf.tidy(() => tf.sum(masks, 3).dataSync());
  assert.ok(sums.every((v) => v === 1), 'one-hot');
  // the first chunk is the eval-mode forward of the chunk's inputs, labels its argmax
  const want = tf.tidy(() => {
    const out = g.forward(g.sampleInputs(16, new Rng(1).fork('chunk-0')), { training: false });
    return [out.image, tf.argMax(out.masks, 3)];
  });
  const got = tf.tidy(() => [images.slice([0, 0, 0, 0], [16, -1, -1, -1]), tf.argMax(masks.slice([0, 0, 0, 0], [16, -1, -1, -1]), 3)]);
  assert.deepEqual(Array.from(got[0]!.dataSync()), Array.from(want[0]!.dataSync()));
  assert.deepEqual(Array.from(got[1]!.dataSync()), Array.from(want[1]!.dataSync()));
  const z = tf.zeros([2, TINY.generator.zDim]) as tf.Tensor2D;
  const kp = src.partGenerator.keypoints(z);
  assert.deepEqual(kp.shape, [2, 3, 2]);
  tf.dispose([images, masks, ...want, ...got, kp, z]);
  assert.equal(tf.memory().numTensors, before);
  src.dispose();
});

test('METHODS.ganseg: needs reals only, ganseg protocol, defaults = gan_cub_k8', () => {
  const m = METHODS.ganseg;
  assert.deepEqual(m.needs, ['reals']);
  assert.equal(m.protocol, 'ganseg');
  assert.deepEqual(m.defaults.generator, GANSEG_PRESETS.gan_cub_k8);
});

test('runMethodPipeline method=ganseg 16², 16 shapes images, 2 steps: report, UNet with K + 1 = 4 outputs, generator safetensors (official keys), grid, checkpoints', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ganseg-run-'));
  try {
    const stages: string[] = [];
    const cfg: Partial<GanSegConfig> = { ...TINY, iterations: 2 as GanSegConfig['iterations'] };
    const r = await runMethodPipeline({
      method: 'ganseg', resolution: 16, train: { count: 16 }, data: { count: 8 }, unet: { width: 4, depth: 2, steps: 2, batchSize: 4 }, eval: { count: 4 },
      ganseg: cfg, out: dir,
    }, { onEvent: (e) => { if (e.type === 'stage-progress') stages.push(e.stage); } });
    assert.ok(stages.includes('train-ganseg'));
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { records: Record<string, { steps?: number; model?: { nClasses: number } }> };
    assert.equal(report.records['train-ganseg']!.steps, 2);
    assert.equal(report.records['train-segmenter']!.model!.nClasses, 4);
    console.log(`  metrics ${JSON.stringify(r.metrics)}`);
    assert.ok(r.metrics.iou !== undefined && r.metrics.iou >= 0 && r.metrics.iou <= 1);
    const sd = readSafetensors(join(dir, 'ganseg-generator.safetensors'));
    assert.ok(sd.tensors.has('keypoints_embedding.weight') && sd.tensors.has('mask_spade_blocks.2.conv2.weight') && sd.tensors.has('init_extend_coord'));
    assert.ok(existsSync(join(dir, 'ganseg.png')));
    assert.ok(existsSync(join(dir, 'ganseg')), 'checkpoints under out/ganseg');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('run defaults: a CPU-sized part generator over gan_cub_k8 (paper defaults untouched), valid at 32², 64² and 128²', () => {
  const run = decodeMethodConfig(gansegMethod, {}, 'ganseg', true);
  const paper = decodeMethodConfig(gansegMethod, {}, 'ganseg');
  assert.ok(E.isRight(run) && E.isRight(paper));
  assert.equal(paper.right.iterations, 30 * 1002);
  assert.deepEqual(paper.right.generator.featureMapChannels, [512, 256, 256, 128, 128, 64]);
  assert.equal(run.right.iterations, 300);
  assert.equal(run.right.batchSize, 8);
  assert.deepEqual(run.right.generator.featureMapChannels, [128, 64, 64, 32, 32, 16]);
  assert.deepEqual(run.right.generator.featureMapSizes, GANSEG_PRESETS.gan_cub_k8.featureMapSizes, 'sizes stay the preset\'s (scaled per run)');
  assert.equal(run.right.lrG, paper.right.lrG);
  for (const r of [32, 64, 128]) assert.deepEqual(partGeneratorIssues(partGeneratorFor(run.right.generator, r)), [], `resolution ${r}`);
  // a user's key still wins over the run default
  const mine = decodeMethodConfig(gansegMethod, { iterations: 7, generator: { spadeHidden: 8 } }, 'ganseg', true);
  assert.ok(E.isRight(mine) && mine.right.iterations === 7 && mine.right.generator.spadeHidden === 8 && mine.right.generator.adainHidden === 32);
});
