import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { captureMain, inTmpWithBackend } from '../capture-cli.ts';
import { readImage } from '../../src/io/image-file.ts';
import { readNpy } from '../../src/io/npy-file.ts';
import { readSafetensors } from '../../src/io/safetensors-file.ts';
import { LAYERED_GENERATOR_MODEL } from '../../src/methods/ilsgan/index.ts';

const inTmp = (f: (dir: string) => Promise<void>): Promise<void> => inTmpWithBackend('cli-train-ilsgan-', 'cpu', f);

// 16² shapes, batch 4 (the minibatch-stddev group), a tiny layered G/D: one step per 0.004 kimg.
const TINY = [
  '--data', 'shapes', 'count=8', 'resolution=16', 'samples=3', 'sampleEvery=2',
  'ilsgan.batchSize=4', 'ilsgan.zDim=8', 'ilsgan.wDim=8', 'ilsgan.mappingLayers=1', 'ilsgan.channelBase=64', 'ilsgan.channelMax=8',
  'ilsgan.checkpointEvery=1', 'ilsgan.logEvery=1',
];
const weights = (out: string) => readSafetensors(join(out, 'ilsgan-generator.safetensors'));


test('train-ilsgan on 16² shapes, 4 steps: G_ema with NVlabs names and its config, layer grids every 2 steps and at the end; resume 2 → 4 gives the same bytes; sample-layers reads it back', () => inTmp(async (dir) => {
  const full = join(dir, 'full'), half = join(dir, 'half');
  assert.equal(await main(['train-ilsgan', ...TINY, `out=${full}`, 'ilsgan.kimg=0.016']), 0);
  const a = weights(full);
  assert.equal(a.metadata['model'], LAYERED_GENERATOR_MODEL);
  assert.equal(JSON.parse(a.metadata['generator']!).resolution, 16);
  assert.ok(['synthesis_fg.', 'synthesis_bg.', 'mapping_fg.', 'mapping_bg.'].every((p) => [...a.tensors.keys()].some((k) => k.startsWith(p))), [...a.tensors.keys()].slice(0, 5).join(','));
  assert.deepEqual(readdirSync(join(full, 'samples')).sort(), ['step-00000002.png', 'step-00000004.png']);
  const grid = readImage(join(full, 'layers.png'));
  assert.ok(grid.height >= 6 * 16 && grid.width >= 3 * 16, `6 rows of 3 16² tiles: ${grid.width}×${grid.height}`);
  assert.ok(existsSync(join(full, 'checkpoints')) && existsSync(join(full, 'train-ilsgan.json')));

  assert.equal(await main(['train-ilsgan', ...TINY, `out=${half}`, 'ilsgan.kimg=0.008']), 0);
  assert.equal(await main(['train-ilsgan', '--resume', half, 'ilsgan.kimg=0.016']), 0);
  const b = weights(half);
  for (const [k, v] of a.tensors) assert.deepEqual(Array.from(b.tensors.get(k)!.data as Float32Array), Array.from(v.data as Float32Array), `${k} identical after resume`);

  const layers = join(dir, 'layers');
  assert.equal(await main(['sample-layers', '--weights', join(full, 'ilsgan-generator.safetensors'), '--n', '5', '--seed', '1', '--columns', '4', '--out', layers, '--npy']), 0);
  const fg = readNpy(join(layers, 'fg.npy')), bg = readNpy(join(layers, 'bg.npy')), m = readNpy(join(layers, 'mask.npy')), img = readNpy(join(layers, 'composite.npy'));
  assert.deepEqual(fg.shape, [5, 16, 16, 3]);
  assert.deepEqual(m.shape, [5, 16, 16, 1]);
  assert.deepEqual(readNpy(join(layers, 'z.npy')).shape, [5, 8]);
  // composite = m·fg + (1 − m)·bg, pixel by pixel, from the files
  let worst = 0;
  for (let p = 0; p < 5 * 16 * 16; p++) {
    const mv = m.data[p] as number;
    assert.ok(mv >= 0 && mv <= 1);
    for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs((img.data[p * 3 + c] as number) - (mv * (fg.data[p * 3 + c] as number) + (1 - mv) * (bg.data[p * 3 + c] as number))));
  }
  assert.ok(worst < 1e-5, `composite differs from m·fg + (1 − m)·bg by ${worst}`);
  const lg = readImage(join(layers, 'layers.png'));
  assert.ok(lg.width >= 4 * 16 && lg.width < 5 * 16 + 20, `4 columns: ${lg.width}`);
}));

test('train-ilsgan / sample-layers bad arguments exit 2 (a missing run folder or a file of another model 1) with a message naming the problem', () => inTmp(async (dir) => {
  const cases: Array<[string[], RegExp, number]> = [
    [['train-ilsgan', '--dta', 'shapes'], /--dta/, 2],
    [['train-ilsgan', '--data', join(dir, 'nowhere')], /--data/, 2],
    [['train-ilsgan', '--preset', 'ILS_64'], /--preset.*ILS_predL/s, 2],
    [['train-ilsgan', 'ilsgan.lr=-1'], /ilsgan\.lr/, 2],
    [['train-ilsgan', '--resume', join(dir, 'nothing')], /--resume/, 1],
    [['sample-layers', '--n', '2', '--out', dir], /--weights/, 2],
    [['sample-layers', '--weights', 'x', '--n', '0', '--out', dir], /--n/, 2],
    [['sample-layers', '--weights', 'assets/dcgan-shapes-32.safetensors', '--out', dir], /not a layered generator/, 1],
  ];
  for (const [argv, re, want] of cases) {
    const { code, err: text } = await captureMain(argv);
    assert.equal(code, want, argv.join(' '));
    assert.match(text, re, argv.join(' '));
  }
}));
