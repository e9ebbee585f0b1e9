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
  GANSEG_DEFAULTS, GANSEG_PRESETS, GANSEG_TRAIN_PRESETS, GanSegDiscriminator, gansegGanConfig, gansegGradientPenalty, gansegMethod, gansegPhases, gansegPreset,
  PartGenerator, partGeneratorFor, partGeneratorModule, recomputed, trainGanSeg, type GanSegConfig,
} from '../../../src/methods/ganseg/index.ts';
import { Rng } from '../../../src/core/rng.ts';
import { untaped } from '../../../src/train/tape.ts';
import { createGanStepper } from '../../../src/train/gan.ts';
import { dLogisticLoss } from '../../../src/train/losses.ts';
import type { GanPhase, GanPhaseContext } from '../../../src/train/phases.ts';
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

test('Dmain runs G outside the tape (untaped): D, G and G\'s running statistics bit-identical to a taped G forward after steps 0 (gradient penalty) and 1, without G\'s activations alive in D\'s loss', () => {
  const c = TINY, side = 16;
  const before = tf.memory().numTensors;
  const reals = tf.tidy(() => tf.tanh(tf.randomNormal([c.batchSize, side, side, 3], 0, 1, 'float32', 7)) as tf.Tensor4D);
  const run = (taped: boolean) => {
    const init = new Rng('dmain-untaped');
    const gc = partGeneratorFor(c.generator, side);
    const g = PartGenerator.create(gc, init.fork('G')), copy = PartGenerator.create(gc, init.fork('G'));
    const d = GanSegDiscriminator.create(c.discriminator!, side, init.fork('D'));
    const [dMain, gMain] = gansegPhases(g, c, 2) as [GanPhase, GanPhase];
    // The official step: G's forward on the tape (its gradients from D's loss are discarded).
    const tapedLoss = (ctx: GanPhaseContext): tf.Scalar => {
      const fake = g.forward(g.sampleInputs(c.batchSize, ctx.rng('inputs')), { training: true }).image;
      const real = ctx.reals();
      const loss = dLogisticLoss(d.score(real, true), d.score(fake, true));
      return ctx.step % c.gpEvery !== 0 ? loss : tf.add(loss, gansegGradientPenalty((x) => d.score(x, true), real, c.gpWeight)) as tf.Scalar;
    };
    const live: number[] = [];
    const dPhase: GanPhase = { ...dMain, loss: (ctx) => { const l = (taped ? tapedLoss : dMain.loss)(ctx); live.push(tf.memory().numTensors); return l; } };
    const stepper = createGanStepper({ config: gansegGanConfig(c, 0), networks: { generator: partGeneratorModule(g), generatorEma: partGeneratorModule(copy), discriminator: d }, phases: [dPhase, gMain], reals: () => tf.clone(reals) });
    const losses = [0, 1].map((s) => stepper.step(s).scalars);
    const out = { losses, live, g: values([...g.variables(), ...g.stateVariables()]), d: values(d.variables()) };
    stepper.dispose(); g.dispose(); copy.dispose(); d.dispose();
    return out;
  };
  const ours = run(false), official = run(true);
  assert.deepEqual(ours.losses, official.losses);
  assert.ok(same(ours.g, official.g), 'G (weights and running statistics) bit-identical');
  assert.ok(same(ours.d, official.d), 'D bit-identical');
  ours.live.forEach((n, i) => assert.ok(n < official.live[i]! - 100, `step ${i}: ${n} tensors alive at the end of D's loss, taped G: ${official.live[i]}`));
  reals.dispose();
  assert.equal(tf.memory().numTensors, before);
});

test('recompute (SPADE activation checkpointing): G, D and running statistics bit-identical to the plain step after steps 0–2, fewer bytes alive at the end of G\'s loss, no leak', () => {
  const side = 16;
  const before = tf.memory().numTensors;
  const reals = tf.tidy(() => tf.tanh(tf.randomNormal([TINY.batchSize, side, side, 3], 0, 1, 'float32', 9)) as tf.Tensor4D);
  const run = (recompute: boolean) => {
    const c = { ...TINY, recompute };
    const init = new Rng('recompute');
    const gc = partGeneratorFor(c.generator, side);
    const g = PartGenerator.create(gc, init.fork('G')), copy = PartGenerator.create(gc, init.fork('G'));
    const d = GanSegDiscriminator.create(c.discriminator!, side, init.fork('D'));
    const [dMain, gMain] = gansegPhases(g, c, 2) as [GanPhase, GanPhase];
    const live: number[] = [];
    const gPhase: GanPhase = { ...gMain, loss: (ctx) => { const l = gMain.loss(ctx); live.push(tf.memory().numBytes); return l; } };
    const stepper = createGanStepper({ config: gansegGanConfig(c, 0), networks: { generator: partGeneratorModule(g), generatorEma: partGeneratorModule(copy), discriminator: d }, phases: [dMain, gPhase], reals: () => tf.clone(reals) });
    const losses = [0, 1, 2].map((s) => stepper.step(s).scalars);
    const out = { losses, live, g: values([...g.variables(), ...g.stateVariables()]), d: values(d.variables()) };
    stepper.dispose(); g.dispose(); copy.dispose(); d.dispose();
    return out;
  };
  const plain = run(false), ours = run(true);
  assert.deepEqual(ours.losses, plain.losses);
  assert.ok(same(ours.g, plain.g), 'G (weights and running statistics) bit-identical');
  assert.ok(same(ours.d, plain.d), 'D bit-identical');
  ours.live.forEach((b, i) => assert.ok(b < plain.live[i]!, `step ${i}: ${b} bytes alive at the end of G's loss, plain: ${plain.live[i]}`));
  reals.dispose();
  assert.equal(tf.memory().numTensors, before);
});

test('recomputed: gradients of a checkpointed function equal the plain ones, through variables too', () => {
  const w = tf.variable(tf.tensor2d([[0.5, -1], [2, 0.25]]));
  const x = tf.tensor2d([[1, 2], [-3, 4]]);
  const f = (_again: boolean, a: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.leakyRelu(tf.matMul(a, b), 0.2);
  const plain = tf.variableGrads(() => tf.sum(tf.square(f(false, x, w))) as tf.Scalar, [w]);
  const again: boolean[] = [];
  const ours = tf.variableGrads(() => tf.sum(tf.square(recomputed((a, ...xs) => { again.push(a); return f(a, xs[0]!, xs[1]!); }, [x, w]))) as tf.Scalar, [w]);
  assert.deepEqual(again, [false, true]);
  assert.equal(ours.value.dataSync()[0], plain.value.dataSync()[0]);
  assert.deepEqual([...ours.grads[w.name]!.dataSync()], [...plain.grads[w.name]!.dataSync()]);
  tf.dispose([plain.value, ours.value, ...Object.values(plain.grads), ...Object.values(ours.grads), x]);
  w.dispose();
});
