import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../src/backend/init.ts';
import { Rng } from '../../src/core/rng.ts';
import { main } from '../../src/cli/main.ts';
import { inTmpWithBackend } from '../capture-cli.ts';
import { generateShapeSample } from '../../src/data/shapes.ts';
import { writePng, readImage } from '../../src/io/image-file.ts';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors-file.ts';
import { createGanGenerator, ganGeneratorWeights } from '../../src/models/gan-model.ts';

before(async () => { await initBackend({ backend: 'cpu', ignoreEnv: true }); });

/** Run `f` in a fresh temporary folder with the CLI's backend forced to cpu; both undone afterwards. */
const inCpuTmp = (prefix: string, f: (dir: string) => Promise<void>): Promise<void> => inTmpWithBackend(prefix, 'cpu', f);

/** A run small enough for a test: 16² images, a 2-step GAN, direction and UNet, 8 pairs, 4 held-out images. */
const TINY_RUN = ['resolution=16', 'gan.trainImages=16', 'gan.steps=2', 'gan.batchSize=4', 'gan.width=4',
  'direction.iterations=2', 'direction.batchSize=4', 'direction.filters.sizeRange=null', 'direction.filters.histogramBins=0',
  'data.count=8', 'unet.width=4', 'unet.depth=2', 'unet.steps=2', 'unet.batchSize=4', 'eval.count=4'];

test('CLI run (tiny shapes pipeline) writes report.md/report.json with measured metrics; segment writes one mask per image', () => inCpuTmp('cli-run-', async (dir) => {
  const out = join(dir, 'out');
  const code = await main(['run', `out=${out}`, ...TINY_RUN]);
  assert.equal(code, 0);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { rows: { name: string; metrics: { iou: number } }[]; timings: Record<string, number> };
  assert.equal(report.rows.length, 4); // UNet, centre ellipse, Otsu, GrabCut
  const iou = report.rows[0]?.metrics.iou as number;
  assert.ok(iou >= 0 && iou <= 1);
  assert.ok(readFileSync(join(out, 'report.md'), 'utf8').includes(iou.toFixed(4)), 'markdown shows the same IoU');
  for (const k of ['train-gan', 'find-direction', 'generate-data', 'train-segmenter', 'evaluate']) assert.ok(k in report.timings, k);
  // The run's masks are made at shift radius 1 (its default; the paper's 5 is the library default), and the report says so.
  assert.equal(readSafetensors(join(out, 'direction.safetensors')).metadata['mask_radius'], '1');
  assert.ok(readFileSync(join(out, 'report.md'), 'utf8').includes('G(z + 1d)'));
  // segment: a folder of 2 images of different sizes.
  const imgs = join(dir, 'imgs');
  mkdirSync(imgs);
  writePng(join(imgs, 'a.png'), generateShapeSample(new Rng(1), { size: 20 }).image);
  writePng(join(imgs, 'b.png'), generateShapeSample(new Rng(2), { size: 24 }).image);
  const masks = join(dir, 'masks');
  assert.equal(await main(['segment', imgs, '--model', join(out, 'unet'), '--out', masks]), 0);
  assert.deepEqual(readdirSync(masks).sort(), ['a.png', 'b.png']);
  const b = readImage(join(masks, 'b.png'));
  assert.equal(b.width, 24);
  assert.ok(Array.from(b.data).every((v) => v === 0 || v === 1));
  assert.equal(await main(['segment', imgs, '--out', masks]), 2, 'missing --model is a usage error');
}));

test('CLI run with ensemble=2: two members (directions, UNets), one averaged evaluation, the stage records of both members', () => inCpuTmp('cli-run-ens-', async (dir) => {
  const out = join(dir, 'out');
  const code = await main(['run', `out=${out}`, 'ensemble=2', ...TINY_RUN]);
  assert.equal(code, 0);
  for (const f of ['direction.safetensors', 'direction-1.safetensors', 'unet', 'unet-1']) assert.ok(readdirSync(out).includes(f), f);
  const d0 = readSafetensors(join(out, 'direction.safetensors')).tensors, d1 = readSafetensors(join(out, 'direction-1.safetensors')).tensors;
  assert.notDeepEqual([...d0.values()][0]!.data, [...d1.values()][0]!.data, 'members find their own directions');
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { rows: { name: string }[]; records: Record<string, unknown> };
  assert.ok(report.rows[0]!.name.startsWith('mean of 2 UNets'));
  assert.equal((report.records['train-segmenter'] as unknown[]).length, 2);
  assert.equal((report.records['find-direction'] as unknown[]).length, 2);
}));

test('CLI run with a StyleGAN2 generator file and direction.space=w: the direction lives in W and the report is written', () => inCpuTmp('cli-run-sg2-', async (dir) => {
  const model = { kind: 'stylegan2', resolution: 32, styleDim: 16, nMlp: 1, channelMultiplier: 1, lrMlp: 0.01, blurKernel: [1, 3, 3, 1], meanWSamples: 64, channels: [8, 8, 8, 4] };
  const g = createGanGenerator(model, new Rng(3));
  const { tensors, model: kind } = ganGeneratorWeights(g);
  const file = join(dir, 'g.safetensors');
  writeSafetensors(file, tensors, { model: kind, config: JSON.stringify(model) });
  g.dispose();
  const out = join(dir, 'out');
  const code = await main(['run', `out=${out}`, `gan.weights=${file}`, 'direction.space=w',
    'direction.iterations=2', 'direction.batchSize=4', 'direction.filters.sizeRange=null', 'direction.filters.histogramBins=0',
    'data.count=8', 'unet.width=4', 'unet.depth=2', 'unet.steps=2', 'unet.batchSize=4', 'eval.count=4']);
  assert.equal(code, 0);
  const meta = readSafetensors(join(out, 'direction.safetensors')).metadata;
  assert.equal(meta['space'], 'w');
  assert.ok(meta['generator_id']?.startsWith('stylegan2:'));
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { rows: { metrics: { iou: number } }[] };
  assert.ok(report.rows[0]!.metrics.iou >= 0 && report.rows[0]!.metrics.iou <= 1);
}));

test('CLI run eval.split=validation scores a second shapes set: same direction and UNet, other images than the test split', () => inCpuTmp('cli-run-split-', async (dir) => {
  const outs = { test: join(dir, 'test'), validation: join(dir, 'validation') };
  for (const [split, out] of Object.entries(outs)) assert.equal(await main(['run', `out=${out}`, `eval.split=${split}`, ...TINY_RUN]), 0);
  const dir0 = readFileSync(join(outs.test, 'direction.safetensors')), dir1 = readFileSync(join(outs.validation, 'direction.safetensors'));
  assert.ok(dir0.equals(dir1), 'the split does not touch the training streams');
  const grid0 = readImage(join(outs.test, 'held-out.png')), grid1 = readImage(join(outs.validation, 'held-out.png'));
  assert.notDeepEqual(grid0.data, grid1.data, 'other images');
  const name = (out: string): string => (JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { rows: { name: string }[] }).rows[0]!.name;
  assert.match(name(outs.test), /held-out shapes/);
  assert.match(name(outs.validation), /validation shapes/);
  assert.equal(await main(['run', `out=${join(dir, 'bad')}`, 'eval.split=train', ...TINY_RUN]), 2, 'an unknown split is a usage error');
}));

test('CLI run gan.augment: the in-run GAN trains with DiffAugment, says so in its record and id, and differs from the plain GAN', () => inCpuTmp('cli-run-aug-', async (dir) => {
  const plain = join(dir, 'plain'), aug = join(dir, 'aug');
  assert.equal(await main(['run', `out=${plain}`, ...TINY_RUN]), 0);
  assert.equal(await main(['run', `out=${aug}`, 'gan.augment=[color,translation,cutout]', ...TINY_RUN]), 0);
  const record = (out: string): { id: string; augment: string[] } =>
    (JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { records: Record<string, { id: string; augment: string[] }> }).records['train-gan']!;
  assert.deepEqual(record(aug).augment, ['color', 'translation', 'cutout']);
  assert.deepEqual(record(plain).augment, []);
  assert.match(record(aug).id, /diffaug-color-translation-cutout$/);
  assert.ok(!readFileSync(join(plain, 'generator.safetensors')).equals(readFileSync(join(aug, 'generator.safetensors'))), 'the discriminator saw augmented images');
  assert.equal(await main(['run', `out=${join(dir, 'bad')}`, 'gan.augment=[rotate]', ...TINY_RUN]), 2, 'an unknown transform is a usage error');
}));
