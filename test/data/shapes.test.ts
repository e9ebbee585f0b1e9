import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/core/rng.ts';
import { generateShapeSample, shapesDataset } from '../../src/data/shapes.ts';
import { writeShapes } from '../../src/data/shapes-disk.ts';
import { openBenchmark } from '../../src/data/layouts.ts';
import { centerPriorMask, otsuMask, otsuThreshold } from '../../src/data/baselines.ts';
import { createAccumulator } from '../../src/metrics/protocols.ts';

test('shapes: deterministic per index, object 10-50% of a 32x32 image, cheap', async () => {
  const ds = shapesDataset(new Rng('t'), 200, { size: 32 });
  const a = await ds.get(5), b = await shapesDataset(new Rng('t'), 200, { size: 32 }).get(5);
  assert.deepEqual(a.image.data, b.image.data);
  assert.deepEqual(a.mask.data, b.mask.data);
  assert.notDeepEqual((await ds.get(6)).mask.data, a.mask.data);
  const t0 = performance.now();
  const fracs: number[] = [];
  for (let i = 0; i < 200; i++) { const s = await ds.get(i); fracs.push(s.mask.data.reduce((x, y) => x + y, 0) / 1024); }
  const ms = (performance.now() - t0) / 200;
  assert.ok(ms < 10, `${ms} ms per 32x32 image`);
  assert.ok(Math.min(...fracs) > 0.05 && Math.max(...fracs) < 0.6, `fractions ${Math.min(...fracs)}..${Math.max(...fracs)}`);
  const mean = fracs.reduce((x, y) => x + y, 0) / fracs.length;
  assert.ok(mean > 0.2 && mean < 0.4, `mean fraction ${mean}`);
});

test('shapes is not trivially solvable: centre prior and Otsu IoU < 0.6 on 150 images at 64x64', () => {
  const c = createAccumulator('melas-kyriazi'), o = createAccumulator('melas-kyriazi');
  const rng = new Rng('baseline-test');
  for (let i = 0; i < 150; i++) {
    const s = generateShapeSample(rng.fork(String(i)), { size: 64 });
    c.add(centerPriorMask(64, 64).data, s.mask.data);
    o.add(otsuMask(s.image).data, s.mask.data);
  }
  const ci = c.report().iou!, oi = o.report().iou!;
  assert.ok(ci < 0.6 && ci > 0.2, `centre ${ci}`);
  assert.ok(oi < 0.6 && oi > 0.2, `otsu ${oi}`);
});

test('otsuThreshold separates two clusters; otsuMask picks the side away from the border', () => {
  const t = otsuThreshold(Float32Array.from([0.1, 0.12, 0.1, 0.8, 0.82, 0.8]));
  assert.ok(t > 0.12 && t < 0.8);
  const img = { width: 5, height: 5, channels: 1, data: new Float32Array(25).fill(0.9) };
  img.data[12] = 0.1; // dark centre pixel on a bright image
  assert.deepEqual(Array.from(otsuMask(img).data).map((v, i) => (v ? i : -1)).filter((i) => i >= 0), [12]);
  const cp = centerPriorMask(10, 10);
  assert.equal(cp.data[55], 1);
  assert.equal(cp.data[0], 0);
});

test('writeShapes writes the images/ + masks/ layout that openBenchmark(generic) reads back exactly', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shapes-'));
  await writeShapes(dir, new Rng('w'), 3, { size: 16 });
  const f = openBenchmark('generic', dir);
  assert.equal(f.length, 3);
  const back = await f.get(1), orig = await shapesDataset(new Rng('w'), 3, { size: 16 }).get(1);
  assert.deepEqual(back.mask.data, orig.mask.data);
  assert.ok(back.image.data.every((v, i) => Math.abs(v - orig.image.data[i]!) <= 0.5 / 255 + 1e-6));
  rmSync(dir, { recursive: true });
});

test('melasEvalPair: crop layouts centre-crop image and mask, image short side 128, mask stays full size', async () => {
  const { melasEvalPair, upsampleProbability } = await import('../../src/data/eval-input.ts');
  const image = { width: 300, height: 200, channels: 3, data: new Float32Array(300 * 200 * 3) };
  const mask = { width: 300, height: 200, channels: 1, data: new Float32Array(300 * 200) };
  const a = melasEvalPair({ id: 'x', image, mask }, true);
  assert.deepEqual([a.input.width, a.input.height, a.gt.width, a.gt.height], [128, 128, 200, 200]);
  const b = melasEvalPair({ id: 'x', image, mask }, false);
  assert.deepEqual([b.input.width, b.input.height, b.gt.width, b.gt.height], [192, 128, 300, 200]);
  assert.deepEqual([upsampleProbability(a.gt, 400, 400).width], [400]);
});
