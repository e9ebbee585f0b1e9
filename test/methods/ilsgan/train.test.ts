import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/init.ts';
import type { PositiveInt, PositiveNumber } from '../../../src/core/codec.ts';
import { epochBatches } from '../../../src/data/batches.ts';
import { ILSGAN_DEFAULTS, ilsganDerived, ilsganGanConfig, ilsganPreset, trainIlsgan, type IlsganConfig } from '../../../src/methods/ilsgan/index.ts';

before(async () => { await initBackend({ backend: 'wasm', ignoreEnv: true }); });

// 16², z = w = 8, 2 mapping layers, channels ≤ 16, batch 4: 0.016 kimg = 4 steps, R1 every 2.
const CFG: IlsganConfig = {
  ...ILSGAN_DEFAULTS, kimg: 0.016 as PositiveNumber, batchSize: 4 as PositiveInt, zDim: 8 as PositiveInt, wDim: 8 as PositiveInt,
  mappingLayers: 2 as PositiveInt, channelBase: 64 as PositiveInt, channelMax: 16 as PositiveInt, dRegInterval: 2 as PositiveInt,
  checkpointEvery: 2 as PositiveInt, logEvery: 1 as IlsganConfig['logEvery'],
};

const values = (vs: readonly tf.Variable[]): Float32Array[] => vs.map((v) => v.dataSync().slice() as Float32Array);
const same = (a: readonly Float32Array[], b: readonly Float32Array[]): boolean => a.length === b.length && a.every((x, i) => x.length === b[i]!.length && x.every((v, j) => Object.is(v, b[i]![j])));

test('ILS presets and derived values: γ = 0.0002·res²/batch, EMA batch·10/32 kimg, G Adam at lazy ratio 4/5, betas (0, 0.99)', () => {
  const p = ilsganPreset('ILS_predL');
  assert.equal(p.resolution, 64);
  assert.equal(ilsganPreset('ILS').resolution, 128);
  const d = ilsganDerived(p, 64);
  assert.ok(Math.abs(d.r1Gamma - 0.0256) < 1e-12);
  assert.equal(d.emaKimg, 10);
  assert.equal(d.steps, 250000);
  const g = ilsganGanConfig(p, 64, 0);
  assert.ok(Math.abs(g.g.lr - 0.002) < 1e-12);
  assert.equal(g.g.beta1, 0);
  assert.ok(Math.abs(g.g.beta2 - 0.99 ** 0.8) < 1e-12);
  assert.equal(g.d.lr, 0.0025);
  assert.equal(g.d.beta2, 0.99);
  assert.equal(g.r1Interval, 16);
  assert.equal(g.plWeight, 0);
  assert.equal(p.maskSizeWeight, 2); // weights[anti_zero_mask], anti_zero_mask = "msize" for an unconditional G (training_loop_ILS.py)
  assert.equal(p.binarizationWeight, 2);
});

test('trainIlsgan 16²: finite losses with every term, tensors flat per step, resume bit-identical', async () => {
  const out = mkdtempSync(join(tmpdir(), 'ilsgan-train-'));
  const reals = tf.tidy(() => tf.tanh(tf.randomNormal([8, 16, 16, 3], 0, 1, 'float32', 3)) as tf.Tensor4D);
  try {
    const scalars: Record<string, number>[] = [];
    const counts: number[] = [];
    const full = await trainIlsgan({ reals: epochBatches(reals, 's'), resolution: 16, config: CFG, seed: 5, out: join(out, 'full'),
      onEvent: (e) => { if (e.type === 'step') { scalars.push({ ...e.scalars }); counts.push(tf.memory().numTensors); } } });
    assert.equal(full.run.step, 4);
    assert.equal(scalars.length, 4);
    for (const s of scalars) {
      for (const k of ['loss/G', 'loss/adversarial', 'loss/binarization', 'loss/maskSize', 'loss/independence', 'loss/D']) assert.ok(Number.isFinite(s[k]), `${k} finite: ${s[k]}`);
      assert.equal(s['sigma'], 0.2);
    }
    assert.ok(scalars.some((s) => s['loss/independence'] !== 0), 'the independence term is on');
    assert.ok(Number.isFinite(scalars[0]!['loss/r1']) && Number.isFinite(scalars[2]!['loss/r1']), 'R1 on steps 0 and 2');
    console.log('  scalars at step 4:', JSON.stringify(scalars[3]));
    assert.equal(new Set(counts.slice(1)).size, 1, `tensor count flat per step: ${counts.join(',')}`);
    const fullG = values(full.generator.variables()), fullEma = values(full.generatorEma.variables()), fullD = values(full.discriminator.variables());
    full.generator.dispose(); full.generatorEma.dispose(); full.discriminator.dispose();

    const part = await trainIlsgan({ reals: epochBatches(reals, 's'), resolution: 16, config: { ...CFG, kimg: 0.008 as PositiveNumber }, seed: 5, out: join(out, 'resumed') });
    assert.equal(part.run.step, 2);
    part.generator.dispose(); part.generatorEma.dispose(); part.discriminator.dispose();
    const resumed = await trainIlsgan({ reals: epochBatches(reals, 's'), resolution: 16, config: CFG, seed: 5, out: join(out, 'resumed') });
    assert.equal(resumed.run.step, 4);
    assert.ok(same(values(resumed.generator.variables()), fullG), 'G bit-identical after resume');
    assert.ok(same(values(resumed.generatorEma.variables()), fullEma), 'G_ema bit-identical after resume');
    assert.ok(same(values(resumed.discriminator.variables()), fullD), 'D bit-identical after resume');
    resumed.generator.dispose(); resumed.generatorEma.dispose(); resumed.discriminator.dispose();
  } finally {
    reals.dispose();
    rmSync(out, { recursive: true, force: true });
  }
});
