import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/init.ts';
import { decodeOrThrow } from '../../../src/core/codec.ts';
import { ConfigError, WeightsError } from '../../../src/core/errors.ts';
import { Rng } from '../../../src/core/rng.ts';
import { serializeSafetensors } from '../../../src/io/safetensors.ts';
import { readSafetensors } from '../../../src/io/safetensors-file.ts';
import { BigGANDiscriminator, deepConfigFromJson } from '../../../src/models/biggan/index.ts';
import { DCGANDiscriminator } from '../../../src/models/dcgan/index.ts';
import type { Generator } from '../../../src/models/generator.ts';
import {
  GENERATOR_FAMILIES, GENERATOR_FAMILY_NAMES, generatorFamilyOf, isGeneratorFamilyName, type AnyGeneratorFamily, type FamilyConfig, type GeneratorFamilyName,
} from '../../../src/models/registry/families.ts';
import { generatorFromBytes, generatorSafetensors, loadGenerator, readGeneratorWeights, saveGenerator } from '../../../src/models/registry/files.ts';
import { StyleGAN2Discriminator } from '../../../src/models/stylegan2/index.ts';

before(async () => {
  await initBackend({ backend: 'cpu', ignoreEnv: true });
});

/** A tiny config per family (the type checks each against its codec's type). */
const TINY: { readonly [F in GeneratorFamilyName]: FamilyConfig<F> } = {
  dcgan: decodeOrThrow(GENERATOR_FAMILIES.dcgan.codec, { resolution: 16, latentDim: 8, width: 4, dWidth: 4, channels: 3, dBatchNorm: false }),
  stylegan2: decodeOrThrow(GENERATOR_FAMILIES.stylegan2.codec, {
    resolution: 16, styleDim: 16, nMlp: 1, channelMultiplier: 1, lrMlp: 0.01, blurKernel: [1, 3, 3, 1], meanWSamples: 64, channels: [8, 4, 4],
  }),
  'biggan-deep': deepConfigFromJson(JSON.parse(readFileSync('test/fixtures/biggan/deep-tiny-config.json', 'utf8'))),
  biggan: decodeOrThrow(GENERATOR_FAMILIES.biggan.codec, {
    resolution: 32, ch: 4, dimZ: 12, sharedDim: 8, hier: true, attention: [16], numClasses: 3, bnEps: 1e-4, snEps: 1e-4, outputBnEps: 1e-5, unconditional: false,
  }),
};

/** Which families come with a discriminator. */
const HAS_D: Readonly<Record<GeneratorFamilyName, boolean>> = { dcgan: true, stylegan2: true, 'biggan-deep': false, biggan: true };

const sample = (g: Generator, z: tf.Tensor2D): tf.Tensor4D =>
  g.synthesize(z, { ...(g.numClasses === undefined ? {} : { classes: [0, 1] }), ...(g.wDim === undefined && g.numClasses === undefined ? {} : { truncation: 0.7 }) }).images;

test('the table lists dcgan, stylegan2, biggan-deep, biggan, each under the name its files record', () => {
  assert.deepEqual(GENERATOR_FAMILY_NAMES, ['dcgan', 'stylegan2', 'biggan-deep', 'biggan']);
  for (const name of GENERATOR_FAMILY_NAMES) assert.equal(GENERATOR_FAMILIES[name].name, name);
  assert.ok(isGeneratorFamilyName('biggan') && !isGeneratorFamilyName('toString') && !isGeneratorFamilyName(3));
});

for (const name of GENERATOR_FAMILY_NAMES) {
  test(`${name}: create → saveGenerator → loadGenerator gives identical G(z); the file records model + config; the id names family, file and hash`, () => {
    const f: AnyGeneratorFamily = GENERATOR_FAMILIES[name];
    const dir = mkdtempSync(join(tmpdir(), `family-${name}-`));
    // tf.variable(t) keeps its initial tensor in some layers (nn/): what a bare create + dispose leaves is the allowance.
    let before = tf.memory().numTensors;
    f.create(TINY[name], new Rng(0)).dispose();
    const createLeak = tf.memory().numTensors - before;
    before = tf.memory().numTensors;
    try {
      const g = f.create(TINY[name], new Rng(`family/${name}`), `${name}-tiny`);
      assert.equal(generatorFamilyOf(g), name);
      assert.equal(g.id, `${name}-tiny`);
      const file = join(dir, `${name}.safetensors`);
      saveGenerator(file, g, { metadata: { step: '7' } });
      const st = readSafetensors(file);
      assert.equal(st.metadata['model'], name);
      assert.equal(st.metadata['step'], '7');
      assert.deepEqual(decodeOrThrow(f.codec, JSON.parse(st.metadata['config']!)), TINY[name]);
      assert.ok(f.matches(st.tensors), 'the saved tensors carry the family\'s reference names');
      const back = loadGenerator(file);
      assert.equal(generatorFamilyOf(back), name);
      assert.match(back.id, new RegExp(`^${name}:${name}\\.safetensors:[0-9a-f]{8}$`));
      assert.equal(back.latentDim, g.latentDim);
      assert.equal(back.resolution, g.resolution);
      const z = g.sampleLatent(2, new Rng(1));
      tf.tidy(() => {
        const a = sample(g, z), b = sample(back, z);
        assert.equal(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0], 0);
        assert.ok(tf.moments(a).variance.dataSync()[0]! > 0, 'fresh weights give a non-constant image');
      });
      z.dispose();
      // the in-memory path gives the same content as the file
      const mem = generatorSafetensors(g);
      assert.deepEqual([...mem.tensors.keys()], [...st.tensors.keys()]);
      g.dispose();
      back.dispose();
      assert.ok(tf.memory().numTensors - before <= 2 * createLeak, `no leaked tensors beyond the two creations' ${2 * createLeak}: ${tf.memory().numTensors - before}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`${name}: discriminator ${HAS_D[name] ? 'scores images of the generator\'s resolution' : 'is absent (none was released)'}`, () => {
    const f: AnyGeneratorFamily = GENERATOR_FAMILIES[name];
    const d = f.discriminator(TINY[name], new Rng(`family/${name}/D`));
    if (!HAS_D[name]) {
      assert.equal(d, undefined);
      return;
    }
    const r = name === 'biggan' ? 32 : 16;
    const x = tf.zeros([2, r, r, 3]) as tf.Tensor4D;
    const logits = d instanceof BigGANDiscriminator ? d.apply(x, [0, 2])
      : d instanceof StyleGAN2Discriminator ? d.apply(x)
      : d instanceof DCGANDiscriminator ? d.score(x, false)
      : assert.fail(`unexpected discriminator for ${name}`);
    assert.equal(logits.shape[0], 2);
    tf.dispose([x, logits]);
    d?.dispose();
  });
}

test('a given family must match the file; an `id` in the metadata is kept; a DCGAN state dict needs its config; configs are checked by the codec', () => {
  const g = GENERATOR_FAMILIES.dcgan.create(TINY.dcgan, new Rng(0));
  const { tensors, metadata } = generatorSafetensors(g);
  const dir = mkdtempSync(join(tmpdir(), 'family-bad-'));
  try {
    const file = join(dir, 'g.safetensors');
    saveGenerator(file, g);
    assert.throws(() => loadGenerator(file, { family: 'stylegan2' }), (e: unknown) => e instanceof WeightsError && /holds a 'dcgan' model, not 'stylegan2'/.test(e.message) && e.message.includes(file));
    assert.throws(() => loadGenerator(file, { config: { ...TINY.dcgan, width: 0 } }), ConfigError);
    const w = readGeneratorWeights(readFileSync(file), file);
    assert.deepEqual({ family: w.family, format: w.format }, { family: 'dcgan', format: 'safetensors' });
    // an `id` in the metadata is the loaded generator's id
    saveGenerator(join(dir, 'with-id.safetensors'), g, { metadata: { id: 'fixed-id' } });
    const withId = loadGenerator(join(dir, 'with-id.safetensors'));
    assert.equal(withId.id, 'fixed-id');
    withId.dispose();
    // no metadata: the family is recognised by its names, but DCGAN weights do not say the architecture
    const bytes = serializeSafetensors(tensors);
    assert.throws(() => generatorFromBytes(bytes, 'bare.safetensors'), (e: unknown) => e instanceof WeightsError && /--config/.test(e.message) && e.message.includes('bare.safetensors'));
    const h = generatorFromBytes(bytes, 'bare.safetensors', { config: JSON.parse(metadata['config']!) });
    assert.equal(generatorFamilyOf(h), 'dcgan');
    h.dispose();
  } finally {
    g.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
