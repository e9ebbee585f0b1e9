import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { trainGan, type GanNetworks, type GanTrainConfig } from '../../src/train/gan.ts';
import { loadCheckpoint } from '../../src/train/checkpoint.ts';
import type { TrainEvent } from '../../src/train/events.ts';
import { tinyConfig, tinyNetworks, tinyReals } from './tiny-gan.ts';

before(async () => { await initBackend({ backend: 'wasm', ignoreEnv: true }); });

const tmp = (p: string): string => fs.mkdtempSync(path.join(os.tmpdir(), p));
const disposeNets = (n: GanNetworks): void => { n.generator.dispose(); n.generatorEma.dispose(); n.discriminator.dispose(); };
// p moves by batch·interval/(kimg·1000) = 4·1/(0.04·1000) = 0.1 per step
const adaConfig = (steps: number): GanTrainConfig => ({ ...tinyConfig(steps), augment: [], ada: { pipe: 'bgc', target: 0.6, interval: 1, kimg: 0.04, initialP: 0.3 } });

test('trainGan with ADA: p starts at initialP, moves by ±batch·interval/(kimg·1000) per adjustment, never below 0, is checkpointed, and a resumed run ends bit-identical', async () => {
  const out = tmp('gan-ada-');
  const nets = tinyNetworks();
  const events: TrainEvent[] = [];
  const n0 = tf.memory().numTensors;
  await trainGan({ config: adaConfig(6), networks: nets, reals: tinyReals, out, onEvent: (e) => events.push(e) });
  assert.equal(tf.memory().numTensors, n0);
  const ps = events.flatMap((e) => (e.type === 'step' ? [e.scalars['ada/p']!] : []));
  assert.equal(ps.length, 6);
  let prev = 0.3;
  for (const p of ps) {
    const d = Math.abs(p - prev);
    assert.ok(p >= 0 && (Math.abs(d - 0.1) < 1e-9 || (d < 0.1 + 1e-9 && p === 0)), `p ${prev} → ${p}`);
    prev = p;
  }
  const ck = loadCheckpoint(path.join(out, 'checkpoints', 'step-00000006'));
  assert.equal((ck.meta as { trainer: { adaP: number } }).trainer.adaP, ps[5]);
  // 4 steps, then resume to 6
  const out2 = tmp('gan-ada-resume-');
  const n2 = tinyNetworks();
  await trainGan({ config: adaConfig(4), networks: n2, reals: tinyReals, out: out2 });
  disposeNets(n2);
  const n3 = tinyNetworks();
  await trainGan({ config: adaConfig(6), networks: n3, reals: tinyReals, out: out2, resume: true });
  const ck2 = loadCheckpoint(path.join(out2, 'checkpoints', 'step-00000006'));
  for (const [k, v] of ck.tensors) assert.deepEqual([...ck2.tensors.get(k)!.data], [...v.data], k);
  assert.deepEqual((ck2.meta as { trainer: unknown }).trainer, (ck.meta as { trainer: unknown }).trainer);
  for (const n of [nets, n3]) disposeNets(n);
  fs.rmSync(out, { recursive: true }); fs.rmSync(out2, { recursive: true });
});

test('trainGan with a fixed ADA p (target null): p stays, D sees augmented images (D differs from a run without ADA)', async () => {
  const fixed: GanTrainConfig = { ...adaConfig(2), ada: { pipe: 'bgc', target: null, interval: 1, kimg: 0.04, initialP: 0.8 } };
  const a = tinyNetworks(), b = tinyNetworks();
  const events: TrainEvent[] = [];
  const outA = tmp('gan-ada-fixed-'), outB = tmp('gan-noada-');
  await trainGan({ config: fixed, networks: a, reals: tinyReals, out: outA, onEvent: (e) => events.push(e) });
  await trainGan({ config: { ...fixed, ada: null }, networks: b, reals: tinyReals, out: outB });
  assert.deepEqual(events.flatMap((e) => (e.type === 'step' ? [e.scalars['ada/p']] : [])), [0.8, 0.8]);
  const da = a.discriminator.variables()[0]!.dataSync(), db = b.discriminator.variables()[0]!.dataSync();
  assert.ok(da.some((v, i) => v !== db[i]));
  disposeNets(a); disposeNets(b);
  fs.rmSync(outA, { recursive: true }); fs.rmSync(outB, { recursive: true });
});
