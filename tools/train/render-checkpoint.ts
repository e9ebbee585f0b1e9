// Render sample grids from a train-gan checkpoint: the EMA generator (eval mode, as the run's grids) and the raw
// generator in eval and train (batch statistics) mode — a check that EMA and batch-norm statistics are sane.
// node --import tsx tools/train/render-checkpoint.ts <checkpoint dir> <out prefix>
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { Rng } from '../../src/core/rng.ts';
import { createDCGANGenerator } from '../../src/models/dcgan/index.ts';
import { loadCheckpoint, restoreVariables } from '../../src/train/checkpoint.ts';
import { namedVariables } from '../../src/train/loop.ts';
import { writeSampleGrid } from '../../src/cli/commands/train-gan.ts';

const [dir, prefix] = process.argv.slice(2);
await initBackend({ backend: 'cpu', ignoreEnv: true });
const ck = loadCheckpoint(dir!);
const cfg = (ck.meta as { config: { model: unknown } }).config.model;
const g = createDCGANGenerator(cfg, new Rng(0));
const z = g.sampleLatent(32, new Rng('render'));
for (const [name, prefixName, training] of [['ema-eval', 'Gema', false], ['raw-eval', 'G', false], ['raw-train', 'G', true]] as const) {
  restoreVariables(ck, namedVariables(prefixName, g.variables()));
  const x = tf.tidy(() => g.generate(z, training));
  writeSampleGrid(x, `${prefix}-${name}.png`);
  console.log(name, 'mean', tf.mean(x).dataSync()[0], 'std', tf.moments(x).variance.sqrt().dataSync()[0]);
  x.dispose();
}
