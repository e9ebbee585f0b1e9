// Forward timing of a 64×64 StyleGAN2 generator, batch 16, on wasm:
//   node --import tsx test/models/stylegan2/bench.mts [channelMultiplier]
// Reports wall time and this process's CPU time (the wasm backend is single-threaded,
// so CPU time is the figure that does not depend on other load on the machine).
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/init.ts';
import { Rng } from '../../../src/core/rng.ts';
import { createStyleGAN2Generator, styleGAN2Preset } from '../../../src/models/stylegan2/index.ts';

await initBackend({ backend: 'wasm', ignoreEnv: true });
const run = (f: () => tf.Tensor): [number, number] => {
  const t0 = performance.now(), c0 = process.cpuUsage();
  const r = tf.tidy(f); // never return a TypedArray from tidy: it walks every element
  r.dataSync();
  r.dispose();
  const c = process.cpuUsage(c0);
  return [(performance.now() - t0) / 1000, (c.user + c.system) / 1e6];
};
const cm = Number(process.argv[2] ?? 1);
const g = createStyleGAN2Generator(styleGAN2Preset('small-64', { channelMultiplier: cm }), new Rng(0));
const z = g.sampleLatent(16, new Rng(1));
run(() => g.synthesize(z).images); // warm-up
const [wall, cpu] = run(() => g.synthesize(z).images);
console.log(`64×64 channel multiplier ${cm}, batch 16, wasm: ${wall.toFixed(2)} s wall, ${cpu.toFixed(2)} s CPU per forward (${(g.variables().reduce((a, v) => a + v.size, 0) / 1e6).toFixed(1)} M params)`);
g.dispose();
z.dispose();
