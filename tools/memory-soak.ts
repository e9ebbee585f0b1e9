/**
 * Long-run memory soak (issue 20): a 2000-step GAN training (a tiny DCGAN, 16×16, with R1, EMA,
 * DiffAugment, checkpoints every 100 steps, logs every 10) in this process, sampling
 * `tf.memory().numTensors`, tfjs bytes, RSS and the V8 heap every `--every` steps. Prints the
 * samples' summary and the least-squares slopes per 1000 steps over the second half … of the run
 * (after warm-up: the first 10 % of the steps are left out). Exits 1 when tensors leak (numTensors
 * not flat after warm-up).
 *
 * Usage: `node --import tsx tools/memory-soak.ts [--steps 2000] [--every 20] [--backend cpu|wasm|native]`
 *
 * @module
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendName } from '../src/backend/init.ts';
import { Rng } from '../src/core/rng.ts';
import { loadShapes } from '../src/data/tensors.ts';
import { epochBatches } from '../src/data/batches.ts';
import { dcganSmall32 } from '../src/models/dcgan/index.ts';
import { createGanDiscriminator, createGanGenerator } from '../src/models/gan-model.ts';
import { dcganTrainDefaults, trainGan, type GanTrainConfig } from '../src/train/gan.ts';

const { values } = parseArgs({ options: { steps: { type: 'string', default: '2000' }, every: { type: 'string', default: '20' }, backend: { type: 'string', default: 'cpu' } } });
const steps = Number(values.steps), every = Number(values.every);

/** Least-squares slope of y over x. */
const slope = (xs: readonly number[], ys: readonly number[]): number => {
  const n = xs.length, mx = xs.reduce((a, b) => a + b, 0) / n, my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0, den = 0;
  for (let i = 0; i < n; i++) { num += (xs[i]! - mx) * (ys[i]! - my); den += (xs[i]! - mx) ** 2; }
  return den === 0 ? 0 : num / den;
};

const info = await initBackend({ backend: values.backend as BackendName, ignoreEnv: true });
const model = { ...dcganSmall32, resolution: 16, width: 4, dWidth: 4, latentDim: 8 };
const rng = new Rng('memory-soak/init');
const networks = { generator: createGanGenerator(model, rng.fork('G')), generatorEma: createGanGenerator(model, rng.fork('G')), discriminator: createGanDiscriminator(model, rng.fork('D')) };
const reals = (await loadShapes(new Rng('memory-soak/shapes'), 64, 16));
reals.masks.dispose();
const config: GanTrainConfig = {
  ...dcganTrainDefaults, seed: 'memory-soak', steps: steps as GanTrainConfig['steps'], batchSize: 8 as GanTrainConfig['batchSize'],
  r1Gamma: 1, r1Interval: 4 as GanTrainConfig['r1Interval'], emaKimg: 0.1, augment: ['color', 'translation', 'cutout'],
  logEvery: 10 as GanTrainConfig['logEvery'], sampleEvery: 0 as GanTrainConfig['sampleEvery'], checkpointEvery: 100 as GanTrainConfig['checkpointEvery'],
};
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'memory-soak-'));
const samples: Array<{ step: number; tensors: number; tfBytes: number; rss: number; heap: number }> = [];
const t0 = performance.now();
const r = await trainGan({
  config, networks, reals: epochBatches(reals.images, 'memory-soak/data'), out,
  onEvent: (e) => {
    if (e.type !== 'step' || e.step % every !== 0) return;
    const m = tf.memory(), u = process.memoryUsage();
    samples.push({ step: e.step, tensors: m.numTensors, tfBytes: m.numBytes, rss: u.rss, heap: u.heapUsed });
    if (e.step % 200 === 0) console.error(`memory-soak: step ${e.step}/${steps} tensors ${m.numTensors} rss ${(u.rss / 2 ** 20).toFixed(1)} MiB heap ${(u.heapUsed / 2 ** 20).toFixed(1)} MiB`);
  },
});
const seconds = (performance.now() - t0) / 1000;
const after = samples.filter((s) => s.step > steps * 0.1);
const xs = after.map((s) => s.step);
const per1000 = (k: 'tensors' | 'tfBytes' | 'rss' | 'heap'): number => slope(xs, after.map((s) => s[k])) * 1000;
const mib = (b: number): string => (b / 2 ** 20).toFixed(2);
const tensors = after.map((s) => s.tensors);
console.log(`\nMemory soak: ${r.step} GAN steps (DCGAN 16×16 width 4, batch 8, R1 every 4, EMA, DiffAugment, checkpoint every 100), backend ${info.reason.split(':')[0]}, ${seconds.toFixed(0)} s, ${samples.length} samples (every ${every} steps; slopes over steps ${xs[0]}–${xs[xs.length - 1]}).\n`);
console.log('| quantity | first sample | last sample | min | max | least-squares slope per 1000 steps |');
console.log('|---|---:|---:|---:|---:|---:|');
console.log(`| tf.memory().numTensors | ${after[0]!.tensors} | ${after[after.length - 1]!.tensors} | ${Math.min(...tensors)} | ${Math.max(...tensors)} | ${per1000('tensors').toFixed(3)} |`);
console.log(`| tfjs bytes (MiB) | ${mib(after[0]!.tfBytes)} | ${mib(after[after.length - 1]!.tfBytes)} | ${mib(Math.min(...after.map((s) => s.tfBytes)))} | ${mib(Math.max(...after.map((s) => s.tfBytes)))} | ${mib(per1000('tfBytes'))} MiB |`);
console.log(`| RSS (MiB) | ${mib(after[0]!.rss)} | ${mib(after[after.length - 1]!.rss)} | ${mib(Math.min(...after.map((s) => s.rss)))} | ${mib(Math.max(...after.map((s) => s.rss)))} | ${mib(per1000('rss'))} MiB |`);
console.log(`| V8 heap used (MiB) | ${mib(after[0]!.heap)} | ${mib(after[after.length - 1]!.heap)} | ${mib(Math.min(...after.map((s) => s.heap)))} | ${mib(Math.max(...after.map((s) => s.heap)))} | ${mib(per1000('heap'))} MiB |`);
fs.rmSync(out, { recursive: true, force: true });
const flat = Math.max(...tensors) === Math.min(...tensors);
console.log(`\nnumTensors ${flat ? 'flat' : 'NOT flat'} after warm-up.`);
process.exit(flat ? 0 : 1);
