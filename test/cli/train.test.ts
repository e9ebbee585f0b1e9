import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main.ts';
import * as tf from '@tensorflow/tfjs';
import { readSafetensors } from '../../src/io/safetensors-file.ts';
import { loadGeneratorCheckpoint, loadGeneratorFile } from '../../src/pipeline/generators.ts';
import { Rng } from '../../src/core/rng.ts';

const tmp = (p: string): string => fs.mkdtempSync(path.join(os.tmpdir(), p));
const quiet = async (f: () => Promise<number>): Promise<{ code: number; stdout: string }> => {
  const log = console.log, err = console.error;
  let stdout = '';
  console.log = (s: unknown) => { stdout += `${String(s)}\n`; };
  console.error = () => {};
  try { return { code: await f(), stdout }; } finally { console.log = log; console.error = err; }
};

test('train-gan: tiny DCGAN 16×16 on shapes, 2 steps (cpu) → checkpoints, grid, TensorBoard, generator.safetensors; --resume extends to 3', async () => {
  const out = tmp('cli-gan-');
  const common = ['backend=cpu', 'model.resolution=16', 'model.width=4', 'model.dWidth=4', 'model.latentDim=8', 'data.count=8',
    'train.batchSize=2', 'train.checkpointEvery=1', 'train.sampleEvery=2', 'train.numSamples=4', 'train.augment=[translation]'];
  const r = await quiet(() => main(['train-gan', `out=${out}`, 'train.steps=2', ...common]));
  assert.equal(r.code, 0);
  const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(summary.step, 2);
  assert.ok(fs.existsSync(path.join(out, 'samples', 'step-00000002.png')));
  assert.equal(fs.readdirSync(path.join(out, 'tb')).length, 1);
  const st = readSafetensors(path.join(out, 'generator.safetensors'));
  assert.ok(st.tensors.size > 0 && JSON.parse(st.metadata['config']!).resolution === 16);
  // the same command again without --resume refuses to mix runs
  assert.equal((await quiet(() => main(['train-gan', `out=${out}`, 'train.steps=2', ...common]))).code, 1);
  // resume: config comes from the checkpoint; override extends the run
  const r2 = await quiet(() => main(['train-gan', '--resume', out, 'train.steps=3']));
  assert.equal(r2.code, 0);
  assert.equal(JSON.parse(r2.stdout.trim().split('\n').pop()!).step, 3);
  // a bad override is a usage error (a ConfigError) naming the field: exit 2
  assert.equal((await quiet(() => main(['train-gan', 'train.steps=0', `out=${out}-x`]))).code, 2);
  fs.rmSync(out, { recursive: true });
});

test('train-gan: tiny StyleGAN2 32×32 (model.kind=stylegan2, R1 every step), 2 steps → its weights file and EMA checkpoint give the same images; --resume extends to 3', async () => {
  const out = tmp('cli-sg2-');
  const model = ['model.kind=stylegan2', 'model.resolution=32', 'model.styleDim=16', 'model.nMlp=1', 'model.channelMultiplier=1', 'model.lrMlp=0.01',
    'model.blurKernel=[1,3,3,1]', 'model.meanWSamples=64', 'model.channels=[8,8,8,4]'];
  const r = await quiet(() => main(['train-gan', `out=${out}`, 'backend=cpu', ...model, 'data.count=8', 'train.batchSize=4', 'train.steps=2',
    'train.r1Gamma=0.01', 'train.r1Interval=1', 'train.emaKimg=0.01', 'train.checkpointEvery=1', 'train.sampleEvery=0']));
  assert.equal(r.code, 0);
  assert.equal(JSON.parse(r.stdout.trim().split('\n').pop()!).step, 2);
  const st = readSafetensors(path.join(out, 'generator.safetensors'));
  assert.equal(st.metadata['model'], 'stylegan2');
  const stored = JSON.parse(st.metadata['config']!);
  assert.equal(stored.kind, 'stylegan2');
  assert.equal(stored.width, undefined, 'DCGAN default fields are not stored with a StyleGAN2 model');
  assert.ok(st.tensors.has('noises.noise_0') && st.tensors.has('to_rgbs.2.conv.weight'));
  const fromFile = loadGeneratorFile(path.join(out, 'generator.safetensors'));
  const fromCk = loadGeneratorCheckpoint(path.join(out, 'checkpoints', 'step-00000002'));
  const z = fromFile.sampleLatent(3, new Rng(5));
  const a = fromFile.synthesize(z).images, b = fromCk.synthesize(z).images;
  assert.equal(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0], 0);
  assert.ok(tf.moments(a).variance.dataSync()[0]! > 0);
  tf.dispose([z, a, b]);
  fromFile.dispose();
  fromCk.dispose();
  const r2 = await quiet(() => main(['train-gan', '--resume', out, 'train.steps=3']));
  assert.equal(r2.code, 0);
  assert.equal(JSON.parse(r2.stdout.trim().split('\n').pop()!).step, 3);
  fs.rmSync(out, { recursive: true });
});

test('train-segmenter: tiny UNet 16×16 on shapes pairs, validation on held-out shapes, best checkpoint and weights', async () => {
  const out = tmp('cli-seg-');
  const r = await quiet(() => main(['train-segmenter', `out=${out}`, 'backend=cpu', 'resolution=16', 'model.width=4', 'model.depth=2', 'data.count=8', 'validation.count=4',
    'train.steps=2', 'train.batchSize=2', 'train.validateEvery=2', 'train.checkpointEvery=2']));
  assert.equal(r.code, 0);
  const s = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(s.step, 2);
  assert.ok(s.bestCheckpoint.includes('best-00000002'));
  assert.ok(typeof s.validation.iou === 'number' && s.validation.iou >= 0 && s.validation.iou <= 1);
  assert.ok(fs.existsSync(path.join(out, 'segmenter.safetensors')));
  fs.rmSync(out, { recursive: true });
});

test('train-segmenter ensemble=2: members in member-0/1, averaged validation', async () => {
  const out = tmp('cli-ens-');
  const r = await quiet(() => main(['train-segmenter', `out=${out}`, 'backend=cpu', 'resolution=16', 'model.width=4', 'model.depth=2', 'data.count=8', 'validation.count=4',
    'ensemble=2', 'train.steps=1', 'train.batchSize=2', 'train.validateEvery=1', 'train.checkpointEvery=1']));
  assert.equal(r.code, 0);
  const s = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(s.members.length, 2);
  assert.ok(fs.existsSync(path.join(out, 'member-1', 'checkpoints')));
  assert.ok(fs.existsSync(path.join(out, 'segmenter-member-1.safetensors')));
  assert.ok(typeof s.validation.iou === 'number');
  fs.rmSync(out, { recursive: true });
});
