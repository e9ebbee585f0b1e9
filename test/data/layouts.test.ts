import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { DataError } from '../../src/core/errors.ts';
import { encodePng } from '../../src/io/image.ts';
import { BENCHMARK_LAYOUTS, openBenchmark, type BenchmarkName } from '../../src/data/layouts.ts';

// Folder names as in lukemelas/unsupervised-image-segmentation src/config/segment.yaml (test splits) and real_dataset.py.
const EXPECTED: Record<BenchmarkName, [string, string, boolean]> = {
  'CUB_200_2011/train': ['CUB_200_2011/train_images', 'CUB_200_2011/train_segmentations', true],
  'CUB_200_2011/test': ['CUB_200_2011/test_images', 'CUB_200_2011/test_segmentations', true],
  'Flowers/train': ['Flowers/train_images', 'Flowers/train_segmentations', true],
  'Flowers/test': ['Flowers/test_images', 'Flowers/test_segmentations', true],
  DUT_OMRON: ['DUT_OMRON/DUT-OMRON-image', 'DUT_OMRON/pixelwiseGT-new-PNG', false],
  'DUTS-TE': ['DUTS/DUTS-TE/DUTS-TE-Image', 'DUTS/DUTS-TE/DUTS-TE-Mask', false],
  'DUTS-TR': ['DUTS/DUTS-TR/DUTS-TR-Image', 'DUTS/DUTS-TR/DUTS-TR-Mask', false],
  ECSSD: ['ECSSD/images', 'ECSSD/ground_truth_mask', false],
  generic: ['images', 'masks', false],
};

test('every benchmark layout opens a tree laid out as the papers ship it (JPEG images, PNG masks paired by stem); soft CUB masks binarized at 0.5', async () => {
  assert.deepEqual(Object.keys(BENCHMARK_LAYOUTS).sort(), Object.keys(EXPECTED).sort());
  const root = mkdtempSync(join(tmpdir(), 'layouts-'));
  const jpg = jpeg.encode({ width: 6, height: 4, data: Buffer.alloc(6 * 4 * 4, 128) }, 95).data;
  // soft mask (as CUB's averaged annotations): left half 153/255 = 0.6, right half 102/255 = 0.4
  const soft = new Float32Array(24).map((_, i) => (i % 6 < 3 ? 153 / 255 : 102 / 255));
  for (const [name, [images, masks, crop]] of Object.entries(EXPECTED) as Array<[BenchmarkName, [string, string, boolean]]>) {
    const layout = BENCHMARK_LAYOUTS[name];
    assert.deepEqual([layout.images, layout.masks, layout.centerCrop], [images, masks, crop], name);
    assert.match(layout.maskRule, /> 0\.5/, name);
    mkdirSync(join(root, images), { recursive: true });
    mkdirSync(join(root, masks), { recursive: true });
    writeFileSync(join(root, images, 'x_0001.jpg'), jpg);
    writeFileSync(join(root, masks, 'x_0001.png'), encodePng({ width: 6, height: 4, channels: 1, data: soft }));
  }
  for (const name of Object.keys(EXPECTED) as BenchmarkName[]) {
    const f = openBenchmark(name, root);
    assert.equal(f.length, 1, name);
    const s = await f.get(0);
    assert.equal(s.id, 'x_0001');
    assert.deepEqual([s.image.width, s.image.height, s.image.channels, s.mask.channels], [6, 4, 3, 1]);
    assert.deepEqual(Array.from(s.mask.data), Array.from({ length: 24 }, (_, i) => (i % 6 < 3 ? 1 : 0)), name);
  }
  assert.throws(() => openBenchmark('ECSSD', join(root, 'nowhere')), (e: unknown) => e instanceof DataError && /nowhere/.test((e as Error).message));
  assert.throws(() => openBenchmark('PASCAL' as BenchmarkName, root), (e: unknown) => e instanceof DataError && /unknown benchmark 'PASCAL'/.test((e as Error).message));
  rmSync(root, { recursive: true });
});
