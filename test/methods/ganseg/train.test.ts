import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { initBackend } from '../../../src/backend/init.ts';
import type { PositiveInt } from '../../../src/core/codec.ts';
import { ConfigError } from '../../../src/core/errors.ts';
import { epochBatches } from '../../../src/data/batches.ts';
import type { TrainEvent } from '../../../src/train/events.ts';
import {
  GANSEG_DEFAULTS, GANSEG_PRESETS, GANSEG_TRAIN_PRESETS, gansegGanConfig, gansegMethod, gansegPreset, partGeneratorFor, trainGanSeg, type GanSegConfig,
} from '../../../src/methods/ganseg/index.ts';
import { decodeMethodConfig } from '../../../src/methods/spec.ts';
import { TINY } from './tiny.ts';

before(async () => { await initBackend(); });


const values = (vs: readonly tf.Variable[]): Float32Array[] => vs.map((v) => v.dataSync().slice() as Float32Array);
const same = (a: readonly Float32Array[], b: readonly Float32Array[]): boolean => a.length === b.length && a.every((x, i) => x.length === b[i]!.length && x.every((v, j) => Object.is(v, b[i]![j])));

test('presets from log/gan_<name>/parameters.json: lr 1e-4/4e-4, betas 0.5/0.9, GP 10 every 16, penalties every 2 (con 10; flower, taichi 30; area 1)', () => {
  assert.deepEqual(Object.keys(GANSEG_TRAIN_PRESETS).sort(), ['gan_celeba_wild_k8', 'gan_cub_k8', 'gan_flower_k8', 'gan_taichi_k10']);
  for (const [name, con] of [['gan_celeba_wild_k8', 10], ['gan_cub_k8', 10], ['gan_flower_k8', 30], ['gan_taichi_k10', 30]] as const) {
    const p = gansegPreset(name);
    assert.equal(p.conPenaltyCoef, con, name);
    assert.deepEqual(p.generator, GANSEG_PRESETS[name]);
    assert.equal(p.areaPenaltyCoef, 1);
  }
  const t = gansegGanConfig(GANSEG_DEFAULTS, 0);
  assert.deepEqual([t.g.lr, t.d.lr, t.g.beta1, t.g.beta2, t.d.beta1, t.d.beta2, t.batchSize, t.r1Gamma, t.plWeight, t.emaKimg], [1e-4, 4e-4, 0.5, 0.9, 0.5, 0.9, 64, 0, 0, 0]);
  assert.deepEqual([GANSEG_DEFAULTS.gpWeight, GANSEG_DEFAULTS.gpEvery, GANSEG_DEFAULTS.penaltyEvery, GANSEG_DEFAULTS.maxEpochBatches], [10, 16, 2, 1002]);
  assert.deepEqual(partGeneratorFor(GANSEG_PRESETS.gan_cub_k8, 64).featureMapSizes, [16, 16, 32, 32, 64, 64]);
  assert.throws(() => partGeneratorFor(GANSEG_PRESETS.gan_cub_k8, 10), ConfigError);
  const bad = decodeMethodConfig(gansegMethod, { lrG: -1, gpEvery: 0 });
  assert.ok(E.isLeft(bad) && /lrG/.test(bad.left.message) && /gpEvery/.test(bad.left.message));
});

test('trainGanSeg tiny 16², 4 steps of batch 4 on 8 images: finite losses, penalties at batch_index 0 (epoch of 2), G and D move, tensors flat, resume bit-identical', async () => {
  const out = mkdtempSync(join(tmpdir(), 'ganseg-train-'));
  const reals = tf.tidy(() => tf.tanh(tf.randomNormal([8, 16, 16, 3], 0, 1, 'float32', 5)) as tf.Tensor4D);
  try {
    const run = async (dir: string, c: GanSegConfig) => {
      const events: TrainEvent[] = [];
      const r = await trainGanSeg({ reals: epochBatches(reals, 'r'), count: 8, resolution: 16, config: c, seed: 'tiny', out: dir, onEvent: (e) => events.push(e) });
      return { r, events };
    };
    const before = tf.memory().numTensors;
    const full = await run(join(out, 'full'), TINY);
    const steps = full.events.filter((e): e is Extract<TrainEvent, { type: 'step' }> => e.type === 'step');
    assert.equal(full.r.run.step, 4);
    for (const e of steps) {
      console.log(`  step ${e.step}: ${JSON.stringify(e.scalars)}`);
      for (const v of Object.values(e.scalars)) assert.ok(Number.isFinite(v), `step ${e.step}: ${JSON.stringify(e.scalars)}`);
    }
    // batch_index = step % 2: steps 0 and 2 add the penalties (and the gradient penalty), 1 and 3 do not
    assert.deepEqual(steps.map((e) => 'penalty/center' in e.scalars), [true, false, true, false]);
    const fullG = values([...full.r.generator.variables(), ...full.r.generator.stateVariables()]), fullD = values(full.r.discriminator.variables());
    const fresh = await run(join(out, 'fresh'), { ...TINY, iterations: 1 as PositiveInt });
    assert.ok(!same(values(fresh.r.generator.variables()), values(full.r.generator.variables())), 'G moved');
    fresh.r.generator.dispose(); fresh.r.discriminator.dispose();
    full.r.generator.dispose(); full.r.discriminator.dispose();
    assert.equal(tf.memory().numTensors, before, 'tensors flat after dispose');
    // interrupted at 2, resumed to 4
    const part = await run(join(out, 'resumed'), { ...TINY, iterations: 2 as PositiveInt });
    part.r.generator.dispose(); part.r.discriminator.dispose();
    const resumed = await run(join(out, 'resumed'), TINY);
    assert.equal(resumed.r.run.step, 4);
    assert.ok(same(values([...resumed.r.generator.variables(), ...resumed.r.generator.stateVariables()]), fullG), 'G (weights and running statistics) bit-identical after resume');
    assert.ok(same(values(resumed.r.discriminator.variables()), fullD), 'D bit-identical after resume');
    resumed.r.generator.dispose(); resumed.r.discriminator.dispose();
  } finally {
    reals.dispose();
    rmSync(out, { recursive: true, force: true });
  }
});
