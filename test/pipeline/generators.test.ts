import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { WeightsError } from '../../src/core/errors.ts';
import { Rng } from '../../src/core/rng.ts';
import type { StoredTensor } from '../../src/io/state-dict.ts';
import { parseSafetensors } from '../../src/io/safetensors.ts';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors-file.ts';
import { loadTorchCheckpoint } from '../../src/io/torch/load.ts';
import { storedToTensor } from '../../src/io/weights.ts';
import { bigGANDeepFromStateDict, bigGANFromStateDict, deepConfigFromJson } from '../../src/models/biggan/index.ts';
import { createGanGenerator, loadGanGeneratorWeights } from '../../src/models/gan-model.ts';
import type { Generator, SynthesizeOptions } from '../../src/models/generator.ts';
import { generatorFamilyOf } from '../../src/models/registry/families.ts';
import { loadStyleGAN2Checkpoint } from '../../src/models/stylegan2/index.ts';
import { fnv1a, loadGeneratorFile } from '../../src/pipeline/generators.ts';

const BIGGAN = 'test/fixtures/biggan';

before(async () => {
  await initBackend({ backend: 'cpu', ignoreEnv: true });
});

/** Max |a − b| of two tensors of the same shape. */
const maxDiff = (a: tf.Tensor, b: tf.Tensor): number => {
  assert.deepEqual(a.shape, b.shape);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
};
/** G(z) of both generators with the same options; they must agree exactly. */
const sameOutputs = (a: Generator, b: Generator, z: tf.Tensor2D, options: SynthesizeOptions = {}): void => {
  const x = a.synthesize(z, options).images, y = b.synthesize(z, options).images;
  assert.equal(maxDiff(x, y), 0);
  tf.dispose([x, y]);
};
const nchwToNhwc = (t: StoredTensor): tf.Tensor4D => tf.tidy(() => tf.transpose(storedToTensor(t), [0, 2, 3, 1]) as tf.Tensor4D);
const z2d = (t: StoredTensor): tf.Tensor2D => storedToTensor(t) as tf.Tensor2D;

test('loadGeneratorFile(dcgan safetensors): the demo asset loads as before — same id, same G(z) as the DCGAN loader', () => {
  const file = 'assets/dcgan-shapes-32.safetensors';
  const g = loadGeneratorFile(file);
  assert.equal(g.id, 'dcgan:dcgan-shapes-32.safetensors:4983df31');
  assert.equal(fnv1a(new Uint8Array(readFileSync(file))), '4983df31');
  assert.equal(generatorFamilyOf(g), 'dcgan');
  // The family-specific path this replaced: decode the file, build a DCGAN from its config, load the tensors.
  const { tensors, metadata } = parseSafetensors(new Uint8Array(readFileSync(file)));
  const ref = createGanGenerator(JSON.parse(metadata['config']!), new Rng('load'), 'ref');
  loadGanGeneratorWeights(ref, tensors, file);
  const z = g.sampleLatent(4, new Rng(7));
  sameOutputs(g, ref, z);
  const x = g.synthesize(z).images;
  const d = x.dataSync();
  assert.ok(Math.abs(d[0]! - 0.05359095335006714) < 1e-6 && Math.abs(d[1000]! - -0.19000889360904694) < 1e-6, `G(z) numbers: ${d[0]}, ${d[1000]}`);
  tf.dispose([z, x]);
  g.dispose();
  ref.dispose();
});

test('loadGeneratorFile(dcgan safetensors without config metadata) still reads it as dcganSmall32', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gen-noconf-'));
  try {
    const file = join(dir, 'g.safetensors');
    writeSafetensors(file, readSafetensors('assets/dcgan-shapes-32.safetensors').tensors);
    const g = loadGeneratorFile(file);
    assert.equal(g.resolution, 32);
    assert.ok(g.id.startsWith('dcgan:g.safetensors:'));
    g.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loadGeneratorFile(rosinality StyleGAN2 .pt, g_ema): G(z) matches PyTorch and loadStyleGAN2Checkpoint', () => {
  const file = 'test/fixtures/stylegan2/tiny-rosinality.pt';
  const g = loadGeneratorFile(file);
  assert.equal(generatorFamilyOf(g), 'stylegan2');
  assert.match(g.id, /^stylegan2:tiny-rosinality\.pt:[0-9a-f]{8}$/);
  const check = loadTorchCheckpoint(file, { key: 'check' });
  const z = z2d(check.get('z')!), want = nchwToNhwc(check.get('images')!);
  const x = g.synthesize(z).images;
  const e = maxDiff(x, want);
  assert.ok(e <= 1e-4, `max abs error vs PyTorch ${e}`);
  const { generator: ref } = loadStyleGAN2Checkpoint(readFileSync(file), { where: 'tiny.pt' });
  sameOutputs(g, ref, z);
  sameOutputs(g, ref, z, { truncation: 0.7 });
  tf.dispose([z, want, x]);
  g.dispose();
  ref.dispose();
});

test('loadGeneratorFile(pytorch-pretrained-BigGAN folder): BigGAN-deep G(z) matches PyTorch at truncation 1 and 0.4', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gen-deep-'));
  try {
    copyFileSync(`${BIGGAN}/deep-tiny.pt`, join(dir, 'pytorch_model.bin'));
    copyFileSync(`${BIGGAN}/deep-tiny-config.json`, join(dir, 'config.json'));
    const g = loadGeneratorFile(dir);
    assert.equal(generatorFamilyOf(g), 'biggan-deep');
    assert.equal(g.resolution, 32);
    const io = loadTorchCheckpoint(`${BIGGAN}/deep-tiny-io.pt`);
    const z = z2d(io.get('z')!);
    const classes = [...(io.get('classes')!.data as Int32Array)];
    for (const [truncation, key] of [[1, 'out_t100'], [0.4, 'out_t040']] as const) {
      const x = g.synthesize(z, { classes, truncation }).images;
      const want = storedToTensor(io.get(key)!);
      const e = maxDiff(x, want);
      assert.ok(e <= 1e-4, `truncation ${truncation}: ${e}`);
      tf.dispose([x, want]);
    }
    const ref = bigGANDeepFromStateDict(loadTorchCheckpoint(`${BIGGAN}/deep-tiny.pt`), { config: deepConfigFromJson(JSON.parse(readFileSync(`${BIGGAN}/deep-tiny-config.json`, 'utf8'))) });
    sameOutputs(g, ref, z, { classes, truncation: 0.4 });
    z.dispose();
    g.dispose();
    ref.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loadGeneratorFile(pytorch_model.bin alone): the config inferred as bigGANDeepFromStateDict infers it', () => {
  const file = `${BIGGAN}/deep-tiny.pt`;
  const g = loadGeneratorFile(file);
  assert.match(g.id, /^biggan-deep:deep-tiny\.pt:[0-9a-f]{8}$/);
  const ref = bigGANDeepFromStateDict(loadTorchCheckpoint(file));
  const z = g.sampleLatent(2, new Rng(1));
  sameOutputs(g, ref, z, { classes: [0, 3], truncation: 0.5 });
  z.dispose();
  g.dispose();
  ref.dispose();
});

for (const name of ['biggan-tiny-hier', 'biggan-tiny-flat']) {
  test(`loadGeneratorFile(BigGAN-PyTorch ${name}.pt): same G(z) as bigGANFromStateDict${name.endsWith('hier') ? ', and as PyTorch' : ''}`, () => {
    const file = `${BIGGAN}/${name}.pt`;
    const g = loadGeneratorFile(file);
    assert.equal(generatorFamilyOf(g), 'biggan');
    const ref = bigGANFromStateDict(loadTorchCheckpoint(file));
    const io = loadTorchCheckpoint(`${BIGGAN}/${name}-io.pt`);
    const z = z2d(io.get('z')!);
    const classes = [...(io.get('classes')!.data as Int32Array)];
    sameOutputs(g, ref, z, { classes });
    if (name.endsWith('hier')) {
      // The flat fixture was made with other epsilons (not in the weights); the hierarchical one with the inferred ones.
      const x = g.synthesize(z, { classes }).images, want = storedToTensor(io.get('out')!);
      const e = maxDiff(x, want);
      assert.ok(e <= 1e-4, `max abs error vs PyTorch ${e}`);
      tf.dispose([x, want]);
    }
    z.dispose();
    g.dispose();
    ref.dispose();
  });
}

test('loadGeneratorFile errors name the file: missing, unknown model metadata, no generator family', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gen-bad-'));
  try {
    const missing = join(dir, 'missing.safetensors');
    assert.throws(() => loadGeneratorFile(missing), (e: unknown) => e instanceof WeightsError && e.message.includes(missing));
    const odd = join(dir, 'odd.safetensors');
    writeSafetensors(odd, new Map([['w', { dtype: 'float32', shape: [1], data: new Float32Array(1) }]]), { model: 'vqgan' });
    assert.throws(() => loadGeneratorFile(odd), (e: unknown) => e instanceof WeightsError && e.message.includes(odd) && /vqgan/.test(e.message) && /biggan-deep/.test(e.message));
    const none = join(dir, 'none.safetensors');
    writeSafetensors(none, new Map([['w', { dtype: 'float32', shape: [1], data: new Float32Array(1) }]]));
    assert.throws(() => loadGeneratorFile(none), (e: unknown) => e instanceof WeightsError && e.message.includes(none) && /no generator family/.test(e.message));
    const junk = join(dir, 'junk.pt');
    writeFileSync(junk, new Uint8Array([1, 2, 3, 4]));
    assert.throws(() => loadGeneratorFile(junk), (e: unknown) => e instanceof WeightsError && e.message.includes(junk));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loadGeneratorFile(BigGAN, { classIndex }): samples that class when given none, looks unconditional, id names the class', () => {
  const file = `${BIGGAN}/biggan-tiny-hier.pt`;
  const g = loadGeneratorFile(file, { classIndex: 2 });
  const ref = loadGeneratorFile(file);
  assert.equal(g.numClasses, undefined);
  assert.equal(g.id, `${ref.id}:class2`);
  const z = ref.sampleLatent(2, new Rng(4));
  const a = g.synthesize(z).images, b = ref.synthesize(z, { classes: [2, 2] }).images;
  assert.equal(maxDiff(a, b), 0);
  tf.dispose([z, a, b]);
  assert.throws(() => loadGeneratorFile(file, { classIndex: 99 }), /class/);
  assert.throws(() => loadGeneratorFile('assets/dcgan-shapes-32.safetensors', { classIndex: 0 }), /unconditional/);
  g.dispose();
  ref.dispose();
});
