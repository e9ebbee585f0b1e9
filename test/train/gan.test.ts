import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { trainGan, type GanNetworks, type GanTrainConfig, type TrainableGenerator } from '../../src/train/gan.ts';
import { epochBatchIndices } from '../../src/data/batches.ts';
import { defaultGanPhases, generatorPhase, r1Phase, type GanPhase } from '../../src/train/phases.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { Rng } from '../../src/core/rng.ts';
import { listCheckpoints, loadCheckpoint, loadLatestCheckpoint } from '../../src/train/checkpoint.ts';
import { NonFiniteError } from '../../src/train/errors.ts';
import type { TrainEvent } from '../../src/train/events.ts';
import { tinyConfig, tinyDiscriminator, tinyNetworks, tinyReals } from './tiny-gan.ts';

before(async () => { await initBackend({ backend: 'cpu', ignoreEnv: true }); });
const tmp = (p: string): string => fs.mkdtempSync(path.join(os.tmpdir(), p));

test('trainGan tiny dense GAN, 4 steps with R1/EMA/DiffAugment: finite scalars, events, grids, logs, no leaks', async () => {
  const out = tmp('gan-');
  const nets = tinyNetworks();
  const events: TrainEvent[] = [];
  const grids: string[] = [];
  const before = tf.memory().numTensors;
  const r = await trainGan({ config: tinyConfig(4), networks: nets, reals: tinyReals, out, onEvent: (e) => events.push(e),
    writeSamples: (x, f) => { assert.deepEqual(x.shape, [4, 4, 4, 1]); grids.push(path.basename(f)); } });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(r.step, 4);
  assert.ok(Number.isFinite(r.lastScalars['loss/G']!) && Number.isFinite(r.lastScalars['loss/D']!));
  assert.deepEqual(grids, ['step-00000002.png', 'step-00000004.png']);
  assert.deepEqual(events.map((e) => e.type).filter((t) => t !== 'step'), ['start', 'samples', 'checkpoint', 'samples', 'checkpoint', 'end']);
  const steps = events.filter((e) => e.type === 'step');
  assert.equal(steps.length, 4);
  assert.ok('loss/r1' in steps[0]!.scalars && !('loss/r1' in steps[1]!.scalars)); // lazy R1 every 2 steps
  assert.equal(fs.readFileSync(path.join(out, 'log.jsonl'), 'utf8').trim().split('\n').length, 4);
  assert.equal(fs.readdirSync(path.join(out, 'tb')).length, 1);
  assert.deepEqual(listCheckpoints(path.join(out, 'checkpoints')).map((c) => c.step), [4, 2]);
  nets.generator.dispose(); nets.generatorEma.dispose(); nets.discriminator.dispose();
  fs.rmSync(out, { recursive: true });
});

test('epochBatchIndices is a pure function of (n, batch, seed, step) and covers each epoch once', () => {
  const all = [0, 1, 2, 3, 4].flatMap((s) => epochBatchIndices(10, 4, 's', s)); // 20 = 2 epochs
  assert.deepEqual([...all.slice(0, 10)].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual([...all.slice(10)].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(epochBatchIndices(10, 4, 's', 3), all.slice(12, 16));
});

test('SIGKILL inside a checkpoint write, then resume: ends bit-identical to an uninterrupted run', async () => {
  // Uninterrupted reference, 6 steps.
  const ref = tmp('gan-ref-');
  const nets = tinyNetworks();
  await trainGan({ config: tinyConfig(6), networks: nets, reals: tinyReals, out: ref });
  nets.generator.dispose(); nets.generatorEma.dispose(); nets.discriminator.dispose();
  // Child: killed while writing its 2nd checkpoint (step 4); the step-2 one is complete.
  const out = tmp('gan-kill-');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'gan-child.ts'), out, '6', '2'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (b: Buffer) => { if (b.toString().includes('COMMITTING')) { child.kill('SIGKILL'); resolve(); } });
    child.on('exit', () => reject(new Error('child exited before the checkpoint write')));
  });
  await new Promise((r) => child.on('exit', r));
  const ckRoot = path.join(out, 'checkpoints');
  assert.ok(fs.readdirSync(ckRoot).some((n) => n.startsWith('.tmp-step-00000004')), 'the half-published checkpoint is left as a temp dir');
  assert.equal(loadLatestCheckpoint(ckRoot)!.step, 2);
  // Resume in this process to the end.
  const nets2 = tinyNetworks();
  const events: TrainEvent[] = [];
  await trainGan({ config: tinyConfig(6), networks: nets2, reals: tinyReals, out, resume: true, onEvent: (e) => events.push(e) });
  assert.equal(events[0]!.type === 'start' && events[0]!.step, 2);
  const logged = fs.readFileSync(path.join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step);
  assert.deepEqual(logged, [1, 2, 3, 4, 5, 6]); // steps 3–4 of the killed process were dropped and re-logged once
  nets2.generator.dispose(); nets2.generatorEma.dispose(); nets2.discriminator.dispose();
  const a = loadCheckpoint(path.join(ref, 'checkpoints', 'step-00000006'));
  const b = loadCheckpoint(path.join(ckRoot, 'step-00000006'));
  assert.deepEqual([...a.tensors.keys()], [...b.tensors.keys()]);
  for (const [k, v] of a.tensors) assert.deepEqual(Buffer.from((b.tensors.get(k)!.data as Float32Array).buffer, (b.tensors.get(k)!.data as Float32Array).byteOffset, v.data.byteLength), Buffer.from((v.data as Float32Array).buffer, (v.data as Float32Array).byteOffset, v.data.byteLength), k);
  assert.deepEqual(a.meta, b.meta);
  fs.rmSync(ref, { recursive: true }); fs.rmSync(out, { recursive: true });
});

test('non-finite loss: stop leaves the last checkpoint intact; skip counts the step and goes on', async () => {
  const nanAt3 = (step: number, n: number): tf.Tensor4D => (step === 2 ? tf.fill([n, 4, 4, 1], NaN) as tf.Tensor4D : tinyReals(step, n));
  const out = tmp('gan-nan-');
  const nets = tinyNetworks();
  await assert.rejects(trainGan({ config: tinyConfig(4), networks: nets, reals: nanAt3, out }),
    (e: unknown) => e instanceof NonFiniteError && e.step === 2 && /Dmain/.test((e as Error).message));
  const ck = loadLatestCheckpoint(path.join(out, 'checkpoints'))!;
  assert.equal(ck.step, 2);
  assert.ok([...ck.tensors.values()].every((t) => t.data.every(Number.isFinite)));
  // weights unchanged by the failed Dmain: D equals the checkpoint
  assert.deepEqual([...nets.discriminator.variables()[0]!.dataSync()], [...ck.tensors.get('D/0')!.data]);
  const out2 = tmp('gan-skip-');
  const nets2 = tinyNetworks();
  const r = await trainGan({ config: { ...tinyConfig(4), onNonFinite: 'skip' }, networks: nets2, reals: nanAt3, out: out2 });
  assert.equal(r.step, 4);
  assert.equal(r.skippedSteps, 1);
  for (const n of [nets, nets2]) { n.generator.dispose(); n.generatorEma.dispose(); n.discriminator.dispose(); }
  fs.rmSync(out, { recursive: true }); fs.rmSync(out2, { recursive: true });
});

test('eventStream yields a run\'s events in order as an async iterator', async () => {
  const { eventStream } = await import('../../src/train/events.ts');
  const out = tmp('gan-stream-');
  const nets = tinyNetworks();
  const types: string[] = [];
  for await (const e of eventStream((onEvent) => trainGan({ config: tinyConfig(2), networks: nets, reals: tinyReals, out, onEvent }))) types.push(e.type);
  assert.deepEqual(types, ['start', 'step', 'step', 'checkpoint', 'end']);
  nets.generator.dispose(); nets.generatorEma.dispose(); nets.discriminator.dispose();
  fs.rmSync(out, { recursive: true });
});

test('abort after step 3 of 6: checkpoint at 3 and a grid of step 3 are written, resume finishes', async () => {
  const out = tmp('gan-abort-');
  const nets = tinyNetworks();
  const ac = new AbortController();
  const grids: string[] = [];
  const r = await trainGan({ config: tinyConfig(6), networks: nets, reals: tinyReals, out, signal: ac.signal,
    onEvent: (e) => { if (e.type === 'step' && e.step === 3) ac.abort(); }, writeSamples: (_x, f) => grids.push(path.basename(f)) });
  assert.equal(r.step, 3);
  assert.deepEqual(grids, ['step-00000002.png', 'step-00000003.png']);
  assert.equal(loadLatestCheckpoint(path.join(out, 'checkpoints'))!.step, 3);
  const r2 = await trainGan({ config: tinyConfig(6), networks: nets, reals: tinyReals, out, resume: true });
  assert.equal(r2.step, 6);
  nets.generator.dispose(); nets.generatorEma.dispose(); nets.discriminator.dispose();
  fs.rmSync(out, { recursive: true });
});

// A tiny generator with a mapping network (w = leakyRelu(z·M)) and a synthesis network (img = tanh-free softplus(w·A)),
// so path-length regularization (Greg) applies.
const mappedGenerator = (seed: string): TrainableGenerator => {
  const r = new Rng(seed);
  const M = tf.variable(tf.tensor2d(r.normalArray(16, 0, 0.5), [4, 4])), A = tf.variable(tf.tensor2d(r.normalArray(64, 0, 0.25), [4, 16]));
  const mapToW = (z: tf.Tensor2D): tf.Tensor2D => tf.tidy(() => tf.leakyRelu(tf.matMul(z, M), 0.2));
  const synthesizeW = (w: tf.Tensor): tf.Tensor4D => tf.tidy(() => tf.reshape(tf.sub(tf.softplus(tf.matMul(w as tf.Tensor2D, A)), 0.7), [-1, 4, 4, 1]) as tf.Tensor4D);
  return {
    latentDim: 4, mapToW, synthesizeW,
    generate: (z) => tf.tidy(() => synthesizeW(mapToW(z))),
    variables: () => [M, A],
    dispose: () => tf.dispose([M, A]),
  };
};
const mappedNetworks = (): GanNetworks => ({ generator: mappedGenerator('mg'), generatorEma: mappedGenerator('mg-ema'), discriminator: tinyDiscriminator('d') });
const plConfig = (steps: number): GanTrainConfig => ({ ...tinyConfig(steps), plWeight: 2, plInterval: 2 as GanTrainConfig['plInterval'], plBatchShrink: 2 as GanTrainConfig['plBatchShrink'] });

test('Greg: lazy path-length regularization every plInterval steps, running mean checkpointed, resume bit-identical; refused without a mapping network', async () => {
  const out = tmp('gan-pl-');
  const nets = mappedNetworks();
  const events: TrainEvent[] = [];
  const before = tf.memory().numTensors;
  await trainGan({ config: plConfig(4), networks: nets, reals: tinyReals, out, onEvent: (e) => events.push(e) });
  assert.equal(tf.memory().numTensors, before);
  const steps = events.flatMap((e) => (e.type === 'step' ? [e.scalars] : []));
  assert.deepEqual(steps.map((s) => 'loss/pl' in s), [true, false, true, false]); // steps 0 and 2
  const means = steps.filter((s) => 'pl/mean' in s).map((s) => s['pl/mean']!);
  assert.ok(means[0]! > 0 && means[1]! > means[0]! && Number.isFinite(steps[0]!['loss/pl']!), `pl/mean ${means}`);
  const ck = loadCheckpoint(path.join(out, 'checkpoints', 'step-00000004'));
  assert.equal((ck.meta as { trainer: { plMean: number } }).trainer.plMean, means[1]);
  // 2 steps, then resume to 4: same weights (bit for bit) and running mean as the uninterrupted run
  const out2 = tmp('gan-pl-resume-');
  const n2 = mappedNetworks();
  await trainGan({ config: plConfig(2), networks: n2, reals: tinyReals, out: out2 });
  n2.generator.dispose(); n2.generatorEma.dispose(); n2.discriminator.dispose();
  const n3 = mappedNetworks();
  await trainGan({ config: plConfig(4), networks: n3, reals: tinyReals, out: out2, resume: true });
  const ck2 = loadCheckpoint(path.join(out2, 'checkpoints', 'step-00000004'));
  for (const [k, v] of ck.tensors) assert.deepEqual([...ck2.tensors.get(k)!.data], [...v.data], k);
  assert.deepEqual((ck2.meta as { trainer: unknown }).trainer, (ck.meta as { trainer: unknown }).trainer);
  // a generator without mapToW/synthesizeW cannot be path-length regularized
  const plain = tinyNetworks();
  await assert.rejects(trainGan({ config: plConfig(2), networks: plain, reals: tinyReals, out: tmp('gan-pl-bad-') }), /plWeight/);
  for (const n of [nets, n3, plain]) { n.generator.dispose(); n.generatorEma.dispose(); n.discriminator.dispose(); }
  fs.rmSync(out, { recursive: true }); fs.rmSync(out2, { recursive: true });
});

// ---------------------------------------------------------------------------
// Phases
// ---------------------------------------------------------------------------

const disposeNets = (n: GanNetworks): void => { n.generator.dispose(); n.generatorEma.dispose(); n.discriminator.dispose(); };
const bytes = (x: ArrayBufferView): Buffer => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
const sameTensors = (a: ReturnType<typeof loadCheckpoint>, b: ReturnType<typeof loadCheckpoint>, prefix: string): boolean =>
  [...a.tensors.keys()].filter((k) => k.startsWith(prefix)).every((k) => bytes(a.tensors.get(k)!.data).equals(bytes(b.tensors.get(k)!.data)));

test('phases: defaultGanPhases(config) passed explicitly = no phases option (bit-identical checkpoint); Gmain, Dmain, Dreg (R1 on), no Greg (plWeight 0)', async () => {
  const cfg = tinyConfig(4);
  assert.deepEqual(defaultGanPhases(cfg).map((p) => [p.name, p.network, p.every]), [['Gmain', 'G', 1], ['Dmain', 'D', 1], ['Dreg', 'D', 2]]);
  const runs = [];
  for (const phases of [undefined, defaultGanPhases(cfg)]) {
    const out = tmp('gan-phases-');
    const nets = tinyNetworks();
    await trainGan({ config: cfg, networks: nets, reals: tinyReals, out, ...(phases ? { phases } : {}) });
    disposeNets(nets);
    runs.push(loadCheckpoint(path.join(out, 'checkpoints', 'step-00000004')));
    fs.rmSync(out, { recursive: true });
  }
  assert.ok(sameTensors(runs[0]!, runs[1]!, ''));
  assert.deepEqual(runs[0]!.meta, runs[1]!.meta);
  assert.deepEqual((runs[0]!.meta as { trainer: unknown }).trainer, { optGStep: 4, optDStep: 6, plMean: 0 });
});

test('phases: an extra D regularizer every 3 steps runs at steps 0 and 3, logs its scalar then, keeps its stats in checkpoints, changes D and not G (1 step), no leaks', async () => {
  const calls: number[] = [];
  const logitPenalty: GanPhase = {
    name: 'Dlogit', network: 'D', every: 3, stats: { dlogitCalls: 0 },
    loss: (ctx) => {
      calls.push(ctx.step);
      assert.equal(ctx.rng('x').seed, `tiny/Dlogit/x/${ctx.step}`); // its own random streams
      return tf.mul(tf.mean(tf.square(ctx.networks.discriminator.score(ctx.reals(), true))), 3) as tf.Scalar;
    },
    after: (r, ctx) => { ctx.stats['dlogitCalls'] = ctx.stats['dlogitCalls']! + 1; return { 'loss/dlogit': r.loss }; },
  };
  const cfg = tinyConfig(4);
  const out = tmp('gan-extra-');
  const nets = tinyNetworks();
  const events: TrainEvent[] = [];
  const before = tf.memory().numTensors;
  await trainGan({ config: cfg, networks: nets, reals: tinyReals, out, phases: [...defaultGanPhases(cfg), logitPenalty], onEvent: (e) => events.push(e) });
  assert.equal(tf.memory().numTensors, before);
  disposeNets(nets);
  assert.deepEqual(calls, [0, 3]);
  const steps = events.flatMap((e) => (e.type === 'step' ? [e] : []));
  assert.deepEqual(steps.filter((e) => 'loss/dlogit' in e.scalars).map((e) => e.step), [1, 4]); // events count steps done
  assert.ok(steps.every((e) => Number.isFinite(e.scalars['loss/D']!)));
  assert.deepEqual(Object.keys(steps[0]!.scalars), ['loss/G', 'loss/D', 'loss/r1', 'loss/dlogit', 'ema/beta']); // phase order
  const ck = loadCheckpoint(path.join(out, 'checkpoints', 'step-00000004'));
  assert.deepEqual((ck.meta as { trainer: unknown }).trainer, { optGStep: 4, optDStep: 8, plMean: 0, dlogitCalls: 2 }); // Dmain 4 + Dreg 2 + Dlogit 2
  fs.rmSync(out, { recursive: true });
  // One step with and without it: the phase runs after G's update, so G (and its EMA) are bit-identical, D is not.
  const one = [];
  for (const phases of [undefined, [...defaultGanPhases(cfg), logitPenalty]]) {
    const o = tmp('gan-extra-1-');
    const n = tinyNetworks();
    await trainGan({ config: tinyConfig(1), networks: n, reals: tinyReals, out: o, ...(phases ? { phases } : {}) });
    disposeNets(n);
    one.push(loadCheckpoint(path.join(o, 'checkpoints', 'step-00000001')));
    fs.rmSync(o, { recursive: true });
  }
  assert.ok(sameTensors(one[0]!, one[1]!, 'G/') && sameTensors(one[0]!, one[1]!, 'Gema/'));
  assert.ok(!sameTensors(one[0]!, one[1]!, 'D/'));
});

test('phases: a repeated name, every 0 and a reserved stats key are ConfigErrors naming each phase field', async () => {
  const cfg = tinyConfig(2);
  const nets = tinyNetworks();
  const bad: GanPhase[] = [...defaultGanPhases(cfg), { ...generatorPhase(), every: 0 }, { ...r1Phase(cfg), name: 'X', stats: { optDStep: 1 } }];
  await assert.rejects(trainGan({ config: cfg, networks: nets, reals: tinyReals, out: tmp('gan-bad-phases-'), phases: bad }), (e: unknown) =>
    e instanceof ConfigError && ['phases[3].name', 'phases[3].every', 'phases[4].stats.optDStep'].every((p) => e.message.includes(p)));
  disposeNets(nets);
});
