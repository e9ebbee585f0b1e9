/**
 * One benchmark measurement in its own process (so the RSS high-water mark belongs to one
 * workload on one backend). Prints one JSON line: {backend, workload, ms, times, maxRssMB, info}.
 *
 * Usage: node --import tsx bench/worker.ts --backend native|wasm|cpu|tensorflow --workload NAME [--warmup N] [--steps N] [--profile | --profile-shapes]
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/init.ts';
import { installProfiler, type KernelProfile } from './profile.ts';
import { makeWorkload } from './workloads.ts';
import { median } from './stats.ts';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
};
const backend = arg('backend', 'native');
const workload = arg('workload', 'conv3x3');
const warmup = Number(arg('warmup', '2'));
const steps = Number(arg('steps', '5'));
const profile = process.argv.includes('--profile') || process.argv.includes('--profile-shapes');

const main = async (): Promise<void> => {
  const info = await initBackend({ backend: backend as 'native' | 'wasm' | 'cpu' | 'tensorflow', ignoreEnv: true });
  const w = makeWorkload(workload);
  for (let i = 0; i < warmup; i++) w.step();
  const readProfile = profile ? installProfiler(tf.getBackend(), process.argv.includes('--profile-shapes')) : undefined;
  const times: number[] = [];
  const cpuTimes: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    const c = process.cpuUsage();
    w.step();
    const dc = process.cpuUsage(c);
    times.push(performance.now() - t);
    cpuTimes.push((dc.user + dc.system) / 1000);
  }
  let prof: KernelProfile | undefined;
  if (readProfile) {
    prof = readProfile();
    for (const v of Object.values(prof)) {
      v.ms /= steps;
      v.cpuMs /= steps;
      v.calls /= steps;
    }
  }
  const ms = median(times);
  const result = {
    backend,
    workload,
    ms,
    times,
    cpuMs: median(cpuTimes),
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    info: { ...w.info, tfBackend: info.tfBackend, reason: info.reason, numTensors: tf.memory().numTensors },
    ...(prof ? { profile: prof } : {}),
  };
  w.dispose();
  console.log(JSON.stringify(result));
};

main().catch((e: unknown) => {
  console.log(JSON.stringify({ backend, workload, error: e instanceof Error ? e.message.split('\n')[0] : String(e) }));
  process.exit(0);
});
