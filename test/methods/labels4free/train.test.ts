import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/init.ts';
import type { PositiveInt } from '../../../src/core/codec.ts';
import { Rng } from '../../../src/core/rng.ts';
import { epochBatches } from '../../../src/data/batches.ts';
import { createStyleGAN2Discriminator, StyleGAN2Generator } from '../../../src/models/stylegan2/index.ts';
import { LABELS4FREE_DEFAULTS, labels4freeGanConfig, trainAlphaBranch, type Labels4FreeConfig } from '../../../src/methods/labels4free/index.ts';
import { loadGeneratorFile } from '../../../src/pipeline/generators.ts';

before(async () => { await initBackend({ backend: 'wasm', ignoreEnv: true }); });

const CFG: Labels4FreeConfig = { ...LABELS4FREE_DEFAULTS, iterations: 4 as PositiveInt, batchSize: 2 as PositiveInt, dRegEvery: 2 as PositiveInt, checkpointEvery: 2 as PositiveInt, logEvery: 1 as Labels4FreeConfig['logEvery'] };

const values = (vs: readonly tf.Variable[]): Float32Array[] => vs.map((v) => v.dataSync().slice() as Float32Array);
const same = (a: readonly Float32Array[], b: readonly Float32Array[]): boolean => a.length === b.length && a.every((x, i) => x.length === b[i]!.length && x.every((v, j) => Object.is(v, b[i]![j])));

const setup = () => {
  const g = loadGeneratorFile('test/fixtures/stylegan2/tiny-rosinality.pt');
  assert.ok(g instanceof StyleGAN2Generator);
  const reals = tf.tidy(() => tf.tanh(tf.randomNormal([4, g.resolution, g.resolution, 3], 0, 1, 'float32', 3)) as tf.Tensor4D);
  return { g, reals };
};

test('labels4freeGanConfig: alpha-net Adam at train.py ratio 4/5, EMA decay 0.5^(32/1e4), D Adam scaled by R1 ratio in trainGan', () => {
  const c = labels4freeGanConfig(LABELS4FREE_DEFAULTS, 0);
  assert.ok(Math.abs(c.g.lr - 1.6e-4) < 1e-12);
  assert.equal(c.g.beta1, 0);
  assert.ok(Math.abs(c.g.beta2 - 0.99 ** 0.8) < 1e-12);
  assert.equal(c.r1Gamma, 10);
  assert.equal(c.r1Interval, 16);
  assert.equal(c.plWeight, 0);
  assert.ok(Math.abs(0.5 ** (c.batchSize / (c.emaKimg * 1000)) - 0.5 ** (32 / 10000)) < 1e-12);
});

test('trainAlphaBranch on tiny-rosinality 16²: finite losses, only alpha net and D change, G bit-identical, resume bit-identical, no leak', async () => {
  const { g, reals } = setup();
  const out = mkdtempSync(join(tmpdir(), 'l4f-train-'));
  try {
    const gBefore = values(g.variables());
    const run = async (dir: string, cfg: Labels4FreeConfig, scalars: Record<string, number>[] = [], counts: number[] = []) => {
      const d = createStyleGAN2Discriminator(g.config, new Rng('d'));
      const dBefore = values(d.variables());
      const r = await trainAlphaBranch({ generator: g, discriminator: d, reals: epochBatches(reals, 's'), config: cfg, seed: 5, out: dir,
        onEvent: (e) => { if (e.type === 'step') { scalars.push({ ...e.scalars }); counts.push(tf.memory().numTensors); } } });
      return { d, dBefore, r };
    };
    const n0 = tf.memory().numTensors;
    const scalars: Record<string, number>[] = [], counts: number[] = [];
    const full = await run(join(out, 'full'), CFG, scalars, counts);
    assert.ok(counts.every((n) => n === counts[0]), `tensors per step unchanged: ${counts.join(', ')}`);
    assert.equal(full.r.run.step, 4);
    assert.ok(scalars.length >= 4);
    for (const s of scalars) for (const [k, v] of Object.entries(s)) assert.ok(Number.isFinite(v), `${k} = ${v}`);
    console.log(`  last scalars: ${JSON.stringify(scalars.at(-1))}`);
    assert.ok(same(values(g.variables()), gBefore), 'generator weights bit-identical');
    assert.ok(!same(values(full.d.variables()), full.dBefore), 'D changed');
    const init = (await import('../../../src/methods/labels4free/index.ts')).AlphaBranch.create(g, new Rng('5/labels4free-init'));
    assert.ok(!same(values(full.r.branch.variables()), values(init.variables())), 'alpha net changed');
    init.dispose();
    const fullAlpha = values(full.r.branch.variables()), fullEma = values(full.r.ema.variables()), fullD = values(full.d.variables());
    full.r.branch.dispose(); full.r.ema.dispose(); full.d.dispose();
    assert.equal(tf.memory().numTensors, n0, 'no tensors left after dispose');

    // interrupted: 2 steps, then a fresh process-like resume to 4
    const part = await run(join(out, 'resumed'), { ...CFG, iterations: 2 as PositiveInt });
    part.r.branch.dispose(); part.r.ema.dispose(); part.d.dispose();
    const resumed = await run(join(out, 'resumed'), CFG);
    assert.equal(resumed.r.run.step, 4);
    assert.ok(same(values(resumed.r.branch.variables()), fullAlpha), 'alpha net bit-identical after resume');
    assert.ok(same(values(resumed.r.ema.variables()), fullEma), 'EMA bit-identical after resume');
    assert.ok(same(values(resumed.d.variables()), fullD), 'D bit-identical after resume');
    resumed.r.branch.dispose(); resumed.r.ema.dispose(); resumed.d.dispose();
  } finally {
    reals.dispose();
    g.dispose();
    rmSync(out, { recursive: true, force: true });
  }
});
