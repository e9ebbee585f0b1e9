import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { ConfigError, WeightsError } from '../../src/core/errors.ts';
import { Rng } from '../../src/core/rng.ts';
import { readNpy, writeNpy } from '../../src/io/npy-file.ts';
import { readSafetensors } from '../../src/io/safetensors-file.ts';
import { writeSafetensors } from '../../src/io/safetensors-file.ts';
import { createDCGANGenerator } from '../../src/models/dcgan/index.ts';
import { loadGenerator } from '../../src/models/registry/files.ts';
import { parseSampleArgs, runSample, sampleCommand } from '../../src/cli/commands/sample.ts';

const cfg = { resolution: 16, latentDim: 8, width: 4, dWidth: 4, channels: 3, dBatchNorm: false };

before(async () => {
  await initBackend({ backend: 'wasm', ignoreEnv: true });
});

test('sample --model dcgan: PNGs + images.npy equal to the generator; --latents z.npy reproduces them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sample-'));
  try {
    const g = createDCGANGenerator(cfg, new Rng(3));
    const weights = join(dir, 'g.safetensors');
    writeSafetensors(weights, g.stateDict(), { model: 'dcgan', config: JSON.stringify(cfg) });
    const out = join(dir, 'a');
    const code = await sampleCommand.run(['--model', 'dcgan', '--weights', weights, '--n', '3', '--seed', '7', '--out', out, '--npy', '--batch', '2', '--backend', 'wasm']);
    assert.equal(code, 0);
    assert.deepEqual(readdirSync(out).sort(), ['000000.png', '000001.png', '000002.png', 'images.npy', 'z.npy']);
    const imgs = readNpy(join(out, 'images.npy'));
    assert.deepEqual(imgs.shape, [3, 16, 16, 3]);
    const z = g.sampleLatent(3, new Rng('7').fork('z'));
    const want = g.synthesize(z).images.dataSync();
    const err = Math.max(...Array.from(want, (v, i) => Math.abs(v - (imgs.data[i] as number))));
    assert.ok(err < 1e-5, `images.npy vs generator: ${err}`);
    const r = runSample(parseSampleArgs(['--model', 'dcgan', '--weights', weights, '--latents', join(out, 'z.npy'), '--out', join(dir, 'b'), '--npy']));
    assert.equal(r.pngs.length, 3);
    assert.deepEqual(Array.from(readNpy(join(dir, 'b', 'images.npy')).data), Array.from(imgs.data));
    tf.dispose(z);
    g.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sample reports clear errors: bad flags, missing/corrupt weights, torch dcgan, unconditional --class, wrong latents', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sample-bad-'));
  try {
    assert.throws(() => parseSampleArgs(['--model', 'gan', '--weights', 'x', '--n', '1', '--out', dir]), ConfigError);
    assert.throws(() => parseSampleArgs(['--model', 'dcgan', '--weights', 'x', '--out', dir]), ConfigError);
    assert.throws(() => parseSampleArgs(['--model', 'dcgan', '--weights', 'x', '--n', '0', '--out', dir]), ConfigError);
    assert.throws(() => parseSampleArgs(['--model', 'dcgan', '--weights', 'x', '--n', '1', '--out', dir, '--bogus', '1']), ConfigError);
    const base = ['--model', 'dcgan', '--n', '1', '--out', join(dir, 'o')];
    assert.throws(() => runSample(parseSampleArgs([...base, '--weights', join(dir, 'missing.safetensors')])), WeightsError);
    writeFileSync(join(dir, 'bad.safetensors'), new Uint8Array([200, 0, 0, 0, 0, 0, 0, 0, 123]));
    assert.throws(() => runSample(parseSampleArgs([...base, '--weights', join(dir, 'bad.safetensors')])), (e: unknown) => e instanceof WeightsError && e.message.includes('bad.safetensors'));
    const g = createDCGANGenerator(cfg, new Rng(3));
    const w = join(dir, 'g.safetensors');
    writeSafetensors(w, g.stateDict(), { model: 'dcgan', config: JSON.stringify(cfg) });
    assert.throws(() => runSample(parseSampleArgs([...base, '--weights', w, '--format', 'torch'])), ConfigError);
    assert.throws(() => runSample(parseSampleArgs([...base, '--weights', w, '--format', 'torch', '--config', JSON.stringify(cfg)])), WeightsError);
    assert.throws(() => runSample(parseSampleArgs([...base, '--weights', w, '--class', '3'])), ConfigError);
    assert.throws(() => runSample(parseSampleArgs([...base, '--weights', w, '--config', JSON.stringify({ ...cfg, width: 8 })])), WeightsError);
    writeSafetensors(join(dir, 'noconf.safetensors'), g.stateDict());
    assert.throws(() => runSample(parseSampleArgs([...base, '--weights', join(dir, 'noconf.safetensors')])), /--config/);
    const r = runSample(parseSampleArgs([...base, '--weights', join(dir, 'noconf.safetensors'), '--config', JSON.stringify(cfg)]));
    assert.equal(r.pngs.length, 1);
    g.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sample --model dcgan --format torch --config: a torch.save\'d PyTorch generator reproduces its images', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sample-torch-'));
  try {
    const io = readSafetensors('test/fixtures/dcgan/dcgan-16-tiny-io.safetensors');
    const z = io.tensors.get('z')!, want = io.tensors.get('images')!;
    writeNpy(join(dir, 'z.npy'), { dtype: '<f4', shape: z.shape, data: z.data as Float32Array });
    const args = ['--model', 'dcgan', '--weights', 'test/fixtures/dcgan/dcgan-16-tiny.pt', '--latents', join(dir, 'z.npy'), '--out', join(dir, 'o'), '--npy'];
    assert.throws(() => runSample(parseSampleArgs(args)), /--config is required/);
    runSample(parseSampleArgs([...args, '--config', io.metadata.config!]));
    const got = readNpy(join(dir, 'o', 'images.npy'));
    assert.deepEqual(got.shape, [2, 16, 16, 3]);
    const [n, c, h, w] = want.shape as [number, number, number, number];
    let err = 0;
    for (let i = 0; i < n; i++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) {
      err = Math.max(err, Math.abs((got.data[((i * h + y) * w + x) * c + k] as number) - (want.data[((i * c + k) * h + y) * w + x] as number)));
    }
    assert.ok(err < 1e-5, `max abs error vs PyTorch ${err}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sample without --model detects the family: a rosinality StyleGAN2 .pt and a BigGAN-PyTorch G (--class) give the loaded generator\'s images', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sample-auto-'));
  try {
    for (const [weights, extra, classes] of [
      ['test/fixtures/stylegan2/tiny-rosinality.pt', [], undefined],
      ['test/fixtures/biggan/biggan-tiny-hier.pt', ['--class', '1'], [1, 1]],
    ] as const) {
      const out = join(dir, weights.split('/').pop()!);
      const r = runSample(parseSampleArgs(['--weights', weights, '--n', '2', '--seed', '3', '--out', out, '--npy', ...extra]));
      assert.equal(r.pngs.length, 2);
      const g = loadGenerator(weights);
      const z = readNpy(join(out, 'z.npy'));
      const zt = tf.tensor2d(z.data as Float32Array, z.shape as [number, number]);
      const want = g.synthesize(zt, classes === undefined ? {} : { classes: [...classes] }).images.dataSync();
      const got = readNpy(join(out, 'images.npy')).data;
      assert.deepEqual(Array.from(got), Array.from(want), weights);
      tf.dispose(zt);
      g.dispose();
    }
    assert.throws(() => runSample(parseSampleArgs(['--weights', 'test/fixtures/biggan/biggan-tiny-hier.pt', '--n', '1', '--out', dir])), /--class C is required: the biggan generator/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
