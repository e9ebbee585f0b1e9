import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as t from 'io-ts';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { Rng } from '../../src/core/rng.ts';
import { ConfigError, DataError } from '../../src/core/errors.ts';
import { centreEllipseMasks } from '../../src/data/baselines.ts';
import { generateShapeSample } from '../../src/data/shapes.ts';
import { writePng } from '../../src/io/image-file.ts';
import { main } from '../../src/cli/main.ts';
import type { MaskSource, MethodSpec } from '../../src/methods/spec.ts';
import { METHODS, withMethods } from '../../src/methods/table.ts';
import { decodeRunConfig } from '../../src/pipeline/run-config.ts';
import { runMethodPipeline } from '../../src/pipeline/run.ts';

before(async () => { await initBackend({ backend: 'cpu', ignoreEnv: true }); });

/** A run small enough for a test (16² images, a 2-step GAN, 2-step UNet, 4 evaluation images). */
const TINY = {
  resolution: 16, train: { count: 16 }, gan: { steps: 2, batchSize: 4, width: 4 },
  data: { count: 8 }, unet: { width: 4, depth: 2, steps: 2, batchSize: 4 }, eval: { count: 4 },
};

/** A throwaway method, defined here and nowhere in src/: every generated image gets the centre-ellipse mask. */
const centreMethod: MethodSpec<'centre-ellipse', { readonly scale: number }, 'generator'> = {
  name: 'centre-ellipse',
  paper: 'none: a test method',
  codec: t.type({ scale: t.number }),
  defaults: { scale: 1 },
  needs: ['generator'],
  stage: 'prepare:centre-ellipse',
  describe: (c) => `Centre ellipse, scale ${c.scale}.`,
  prepare: async ({ generator }, c): Promise<MaskSource> => ({
    kind: 'mask-source', method: 'centre-ellipse', classes: 1, resolution: generator.resolution, sourceId: `${generator.id}/centre`, generator,
    sample: (n, rng) => tf.tidy(() => {
      const z = generator.sampleLatent(n, rng);
      return { images: generator.synthesize(z).images, masks: tf.mul(centreEllipseMasks(n, generator.resolution), c.scale) as tf.Tensor4D };
    }),
    dispose: () => undefined,
    record: { scale: c.scale },
  }),
};

const inTmp = async (f: (dir: string) => Promise<void>): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), 'run-'));
  try { await f(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
};

test('runMethodPipeline runs a method registered from a test file (centre-ellipse masks) and reports its metrics', () => inTmp(async (dir) => {
  const methods = withMethods(METHODS, centreMethod);
  const events: string[] = [];
  const r = await runMethodPipeline({ ...TINY, method: 'centre-ellipse', 'centre-ellipse': { scale: 1 }, out: dir }, { methods, onEvent: (e) => { if (e.type === 'stage-end') events.push(e.stage); } });
  assert.deepEqual(events, ['train-gan', 'prepare:centre-ellipse', 'generate-data', 'train-segmenter', 'evaluate']);
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { rows: { name: string; metrics: { iou: number } }[]; records: { method: { name: string; config: { scale: number } } } };
  assert.equal(report.rows[0]?.metrics.iou, r.metrics.iou);
  assert.match(report.rows[0]?.name ?? '', /centre-ellipse masks/);
  assert.deepEqual(report.records.method.config, { scale: 1 });
  assert.ok(r.metrics.iou !== undefined && r.metrics.iou >= 0 && r.metrics.iou <= 1);
  // The method's config is decoded by its own codec: a wrong type is a ConfigError naming the field.
  await assert.rejects(runMethodPipeline({ ...TINY, method: 'centre-ellipse', 'centre-ellipse': { scale: 'big' }, out: dir }, { methods }),
    (e: unknown) => e instanceof ConfigError && e.issues.some((i) => i.path === 'scale'));
  // Not in the built-in table: a ConfigError listing the known names.
  await assert.rejects(runMethodPipeline({ ...TINY, method: 'centre-ellipse', out: dir }), (e: unknown) => e instanceof ConfigError && /latent-direction/.test(e.message));
}));

test('decodeRunConfig: defaults, the method block by name, and the earlier keys (direction, dataset, gan.trainImages)', () => {
  const a = decodeRunConfig({ 'latent-direction': { maskRadius: 2 } });
  assert.ok(a._tag === 'Right');
  assert.equal(a.right.method, 'latent-direction');
  assert.deepEqual(a.right.methodConfig, { maskRadius: 2 });
  assert.equal(a.right.eval.dataset, 'shapes');
  const b = decodeRunConfig({ direction: { iterations: 5 }, dataset: { images: 'x/images', masks: 'x/masks' }, gan: { trainImages: 7 } });
  assert.ok(b._tag === 'Right');
  assert.deepEqual(b.right.methodConfig, { iterations: 5 });
  assert.deepEqual(b.right.train, { dataset: { images: 'x/images' }, count: 7 });
  assert.deepEqual(b.right.eval.dataset, { images: 'x/images', masks: 'x/masks' });
  const bad = decodeRunConfig({ eval: { split: 'dev' }, unet: { steps: 0 } });
  assert.ok(bad._tag === 'Left');
  assert.deepEqual([...new Set(bad.left.issues.map((i) => i.path))].sort(), ['eval.split', 'unet.steps']);
});

test('CLI run method=latent-direction train.dataset=<dir> eval.dataset=<dir>: a folder of photos with masks, from the command line', () => inTmp(async (dir) => {
  const set = join(dir, 'photos');
  mkdirSync(join(set, 'images'), { recursive: true });
  mkdirSync(join(set, 'masks'));
  for (let i = 0; i < 6; i++) {
    const s = generateShapeSample(new Rng(`photo-${i}`), { size: 20 + 2 * i });
    writePng(join(set, 'images', `p${i}.png`), s.image);
    writePng(join(set, 'masks', `p${i}.png`), s.mask);
  }
  const out = join(dir, 'out');
  const prev = process.env.GAN_SEGMENTER_BACKEND;
  process.env.GAN_SEGMENTER_BACKEND = 'cpu';
  try {
    const code = await main(['run', 'method=latent-direction', `train.dataset=${set}`, `eval.dataset=${set}`, `out=${out}`, 'resolution=16', 'gan.steps=2', 'gan.batchSize=4', 'gan.width=4',
      'latent-direction.iterations=2', 'latent-direction.batchSize=4', 'latent-direction.filters.sizeRange=null', 'latent-direction.filters.histogramBins=0',
      'data.count=8', 'unet.width=4', 'unet.depth=2', 'unet.steps=2', 'unet.batchSize=4']);
    assert.equal(code, 0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { rows: { name: string }[]; records: { 'train-gan': { trainImages: number; id: string }; evaluate: { count: number } } };
    assert.equal(report.records['train-gan'].trainImages, 6, 'the GAN trained on the 6 photos');
    assert.match(report.records['train-gan'].id, /photos-seed0/);
    assert.equal(report.records.evaluate.count, 6, 'scored on the 6 photos');
    assert.match(report.rows[0]?.name ?? '', /photos/);
    // A directory without masks/ is a DataError naming the folder, before any work: exit 1.
    mkdirSync(join(dir, 'bare'));
    await assert.rejects(runMethodPipeline({ ...TINY, eval: { dataset: join(dir, 'bare') }, out: join(dir, 'out2') }), (e: unknown) => e instanceof DataError && e.message.includes(join(dir, 'bare', 'images')));
    assert.equal(existsSync(join(dir, 'out2', 'gan')), false, 'no GAN was trained');
    assert.equal(await main(['run', `eval.dataset=${join(dir, 'bare')}`, `out=${out}`]), 1);
  } finally {
    if (prev === undefined) delete process.env.GAN_SEGMENTER_BACKEND; else process.env.GAN_SEGMENTER_BACKEND = prev;
  }
}));

test('run: a generator file of another resolution than resolution= is a ConfigError naming both', () => inTmp(async (dir) => {
  await assert.rejects(runMethodPipeline({ ...TINY, gan: { weights: 'assets/dcgan-shapes-32.safetensors' }, out: dir }),
    (e: unknown) => e instanceof ConfigError && e.issues[0]?.path === 'resolution' && /32/.test(e.issues[0]?.expected ?? ''));
}));

/** A throwaway 3-class method: the centre ellipse split into a left and a right part (channel 0 the background). */
const halvesMethod: MethodSpec<'halves', Record<string, never>, 'generator'> = {
  name: 'halves', paper: 'none: a test method', codec: t.type({}) as unknown as t.Decoder<unknown, Record<string, never>>, defaults: {},
  needs: ['generator'], stage: 'prepare:halves', describe: () => 'Ellipse halves.', segmenterLoss: { crossEntropy: 0.5, dice: 0.5 },
  prepare: async ({ generator }): Promise<MaskSource> => ({
    kind: 'mask-source', method: 'halves', classes: 3, resolution: generator.resolution, sourceId: `${generator.id}/halves`, generator,
    sample: (n, rng) => tf.tidy(() => {
      const s = generator.resolution;
      const fg = centreEllipseMasks(n, s);
      const left = tf.mul(fg, tf.tensor4d(Array.from({ length: s * s }, (_, i) => (i % s < s / 2 ? 1 : 0)), [1, s, s, 1]));
      return { images: generator.synthesize(generator.sampleLatent(n, rng)).images, masks: tf.concat([tf.sub(1, fg), left, tf.sub(fg, left)], 3) as tf.Tensor4D };
    }),
    dispose: () => undefined,
    record: {},
  }),
};

test('runMethodPipeline with a K=3-class method: the UNet gets 3 outputs and is scored on the foreground union', () => inTmp(async (dir) => {
  const r = await runMethodPipeline({ ...TINY, method: 'halves', out: dir }, { methods: withMethods(METHODS, halvesMethod) });
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { records: { 'train-segmenter': { model: { nClasses: number } } } };
  assert.equal(report.records['train-segmenter'].model.nClasses, 3);
  // The method's segmenter loss weights reach the trainer (stored with the UNet's checkpoint).
  const ck = join(dir, 'unet', 'checkpoints', readdirSync(join(dir, 'unet', 'checkpoints'))[0] as string, 'manifest.json');
  const train = (JSON.parse(readFileSync(ck, 'utf8')) as { meta: { config: { train: { bceWeight: number; diceWeight: number } } } }).meta.config.train;
  assert.deepEqual([train.bceWeight, train.diceWeight], [0.5, 0.5]);
  assert.ok(r.metrics.iou !== undefined && r.metrics.iou >= 0 && r.metrics.iou <= 1);
  assert.ok(existsSync(join(dir, 'synthetic.png')));
}));

test('runMethodPipeline loads any generator family sample reads: a rosinality StyleGAN2 .pt and a BigGAN .pt', () => inTmp(async (dir) => {
  const tiny = { data: { count: 8 }, unet: { width: 4, depth: 2, steps: 2, batchSize: 4 }, eval: { count: 4 },
    'latent-direction': { iterations: 2, batchSize: 4, filters: { sizeRange: null, histogramBins: 0 } } };
  for (const [weights, resolution, family] of [['test/fixtures/stylegan2/tiny-rosinality.pt', 16, 'stylegan2'], ['test/fixtures/biggan/biggan-tiny-hier.pt', 32, 'biggan']] as const) {
    const out = join(dir, family);
    const r = await runMethodPipeline({ ...tiny, gan: { weights }, resolution, out });
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { records: { 'load-generator': { id: string; source: string } } };
    assert.equal(report.records['load-generator'].source, weights);
    assert.match(report.records['load-generator'].id, new RegExp(`^${family}:`));
    assert.ok(existsSync(join(out, 'direction.safetensors')), `${family}: the direction is saved`);
    assert.ok(r.metrics.iou !== undefined && r.metrics.iou >= 0 && r.metrics.iou <= 1);
  }
}));
