// Tiny dense GAN (no convs: fast on the cpu backend) shared by the trainer tests and the kill/resume child.
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core/rng.ts';
import type { GanNetworks, GanTrainConfig, TrainableDiscriminator, TrainableGenerator } from '../../src/train/gan.ts';
import { dcganTrainDefaults } from '../../src/train/gan.ts';

const dense = (rng: Rng, i: number, o: number): tf.Variable => tf.variable(tf.tensor2d(rng.normalArray(i * o, 0, 1 / Math.sqrt(i)), [i, o]));

export const tinyGenerator = (seed: string): TrainableGenerator => {
  const rng = new Rng(seed);
  const w1 = dense(rng, 4, 8), w2 = dense(rng, 8, 16);
  return {
    latentDim: 4,
    generate: (z, _training) => tf.tidy(() => tf.reshape(tf.tanh(tf.matMul(tf.relu(tf.matMul(z, w1)), w2)), [-1, 4, 4, 1]) as tf.Tensor4D),
    variables: () => [w1, w2],
    dispose: () => tf.dispose([w1, w2]),
  };
};

export const tinyDiscriminator = (seed: string): TrainableDiscriminator => {
  const rng = new Rng(seed);
  const w1 = dense(rng, 16, 8), w2 = dense(rng, 8, 1);
  return {
    score: (x, _training) => tf.tidy(() => tf.matMul(tf.softplus(tf.matMul(tf.reshape(x, [-1, 16]), w1)), w2)),
    variables: () => [w1, w2],
    dispose: () => tf.dispose([w1, w2]),
  };
};

export const tinyNetworks = (): GanNetworks => ({ generator: tinyGenerator('g'), generatorEma: tinyGenerator('g-ema'), discriminator: tinyDiscriminator('d') });

/** Reals: a fixed pattern plus noise, a pure function of step. */
export const tinyReals = (step: number, batchSize: number): tf.Tensor4D =>
  tf.tidy(() => tf.add(tf.tensor4d(new Rng(`reals/${step}`).normalArray(batchSize * 16, 0, 0.1), [batchSize, 4, 4, 1]), tf.linspace(-0.8, 0.8, 16).reshape([1, 4, 4, 1])));

export const tinyConfig = (steps: number): GanTrainConfig => ({
  ...dcganTrainDefaults,
  seed: 'tiny',
  steps: steps as GanTrainConfig['steps'],
  batchSize: 4 as GanTrainConfig['batchSize'],
  r1Gamma: 1,
  r1Interval: 2 as GanTrainConfig['r1Interval'],
  emaKimg: 0.01,
  augment: ['color', 'translation', 'cutout'],
  logEvery: 1 as GanTrainConfig['logEvery'],
  sampleEvery: 2 as GanTrainConfig['sampleEvery'],
  numSamples: 4 as GanTrainConfig['numSamples'],
  checkpointEvery: 2 as GanTrainConfig['checkpointEvery'],
});
