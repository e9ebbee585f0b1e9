// untaped (torch.no_grad for tfjs) and the default Dmain built on it.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { Rng } from '../../src/core/rng.ts';
import { createDCGANDiscriminator } from '../../src/models/dcgan/discriminator.ts';
import { createDCGANGenerator } from '../../src/models/dcgan/generator.ts';
import { dcganSmall32 } from '../../src/models/dcgan/config.ts';
import { createGanStepper, dcganTrainDefaults, type GanTrainConfig } from '../../src/train/gan.ts';
import { defaultGanPhases, type GanPhase, type GanPhaseContext } from '../../src/train/phases.ts';
import { untaped } from '../../src/train/tape.ts';

before(async () => { await initBackend({ backend: 'cpu', ignoreEnv: true }); });

test('untaped: no gradient through its result, nothing recorded, same values', () => {
  const x = tf.variable(tf.tensor1d([1, -2, 3]));
  const { value, grads } = tf.variableGrads(() => {
    const y = untaped(() => tf.mul(x, x));
    assert.deepEqual([...y.dataSync()], [1, 4, 9]);
    return tf.sum(tf.add(tf.mul(x, 2), y)) as tf.Scalar;
  }, [x]);
  assert.equal(value.dataSync()[0], 2 * 2 + 14);
  assert.deepEqual([...grads[x.name]!.dataSync()], [2, 2, 2]);
  tf.dispose([value, ...Object.values(grads)]);
  x.dispose();
});

test('default Dmain runs G off the tape: G, D and the EMA bit-identical to a taped G forward over 3 steps (DCGAN with batch norm, DiffAugment, R1), fewer tensors alive at the end of D\'s loss, no leak', () => {
  const cfg = { ...dcganSmall32, width: 8, dWidth: 8, latentDim: 16 };
  const config: GanTrainConfig = { ...dcganTrainDefaults, seed: 'tape', batchSize: 4 as GanTrainConfig['batchSize'], r1Gamma: 1, r1Interval: 2 as GanTrainConfig['r1Interval'], augment: ['translation', 'color'], emaKimg: 0.01 };
  const reals = tf.tidy(() => tf.tanh(tf.randomNormal([4, 32, 32, 3], 0, 1, 'float32', 3)) as tf.Tensor4D);
  const before = tf.memory().numTensors;
  const run = (taped: boolean) => {
    const init = new Rng('tape-dmain');
    const g = createDCGANGenerator(cfg, init.fork('g')), ema = createDCGANGenerator(cfg, init.fork('g')), d = createDCGANDiscriminator(cfg, init.fork('d'));
    const live: number[] = [];
    const phases = defaultGanPhases(config).map((p): GanPhase => {
      if (p.name !== 'Dmain') return p;
      // The same loss with G's forward on the tape (what Dmain did before `untaped`).
      const tapedLoss = (ctx: GanPhaseContext): tf.Scalar => {
        const fakes = ctx.networks.generator.generate(ctx.latents('z'), true);
        const real = ctx.reals();
        const augR = ctx.augment('augReal'), augF = ctx.augment('augFake');
        const realLogits = ctx.networks.discriminator.score(augR(real), true);
        ctx.reportRealLogits?.(realLogits);
        return ctx.losses.discriminator(realLogits, ctx.networks.discriminator.score(augF(fakes), true));
      };
      return { ...p, loss: (ctx) => { const l = (taped ? tapedLoss : p.loss)(ctx); live.push(tf.memory().numTensors); return l; } };
    });
    const st = createGanStepper({ config, networks: { generator: g, generatorEma: ema, discriminator: d }, phases, reals: () => tf.clone(reals) });
    const scalars = [0, 1, 2].map((s) => st.step(s).scalars);
    const values = [...g.variables(), ...ema.variables(), ...d.variables()].map((v) => Buffer.from(v.dataSync().buffer).toString('base64'));
    st.dispose(); g.dispose(); ema.dispose(); d.dispose();
    return { scalars, values, live };
  };
  const old = run(true);
  const ours = run(false);
  assert.deepEqual(ours.scalars, old.scalars);
  assert.equal(ours.values.length, old.values.length);
  ours.values.forEach((v, i) => assert.equal(v, old.values[i], `variable ${i} bit-identical`));
  ours.live.forEach((n, i) => assert.ok(n < old.live[i]!, `step ${i}: ${n} tensors alive at the end of D's loss, taped G: ${old.live[i]}`));
  assert.equal(tf.memory().numTensors, before);
  reals.dispose();
});
