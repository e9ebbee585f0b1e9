import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, mkdirSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureMain as capture } from '../capture-cli.ts';
import { writePng } from '../../src/io/image-file.ts';
import { Rng } from '../../src/core/rng.ts';
import { writeShapes } from '../../src/data/shapes-disk.ts';
import { openBenchmark } from '../../src/data/layouts.ts';
import { otsuMask } from '../../src/data/baselines.ts';
import { createAccumulator } from '../../src/metrics/protocols.ts';

const raster = (w: number, h: number, f: (x: number, y: number) => number) => {
  const data = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = f(x, y);
  return { width: w, height: h, channels: 1, data };
};

test('evaluate CLI: predictions resized (nearest) to gt, matched by stem; hand-computed JSON; missing prediction names the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-eval-'));
  mkdirSync(join(dir, 'gt/sub'), { recursive: true });
  writePng(join(dir, 'gt/sub/a.png'), raster(8, 6, (x) => (x < 4 ? 1 : 0)));
  writePng(join(dir, 'gt/b.png'), raster(8, 6, () => 0));
  writePng(join(dir, 'pred/sub/a.png'), raster(4, 3, (x) => (x < 2 ? 200 / 255 : 0)));
  writePng(join(dir, 'pred/b.png'), raster(4, 3, () => 0));
  const r = await capture(['evaluate', '--pred', join(dir, 'pred'), '--gt', join(dir, 'gt'), '--json']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as Record<string, number | string>;
  assert.equal(j.protocol, 'melas-kyriazi');
  assert.equal(j.count, 2);
  assert.equal(j.iou, 0.5);   // image a: 1; image b: empty union counts 0
  assert.equal(j.acc, 1);
  assert.equal(j.fmax, 1);
  assert.ok(Math.abs((j.mae as number) - (55 / 255 / 2) / 2) < 1e-7);
  const md = await capture(['evaluate', '--pred', join(dir, 'pred'), '--gt', join(dir, 'gt'), '--protocol', 'ganseg']);
  assert.match(md.out, /\| ganseg \| 2 \| – \| 0\.5000 \|/);
  unlinkSync(join(dir, 'pred/b.png'));
  const miss = await capture(['evaluate', '--pred', join(dir, 'pred'), '--gt', join(dir, 'gt')]);
  assert.equal(miss.code, 1);
  assert.match(miss.err, /no prediction for ground truth b\.png/);
  const bad = await capture(['evaluate', '--pred', 'x', '--gt', 'y', '--protocol', 'nope']);
  assert.equal(bad.code, 2, 'a bad flag value is a usage error');
  assert.match(bad.err, /--protocol/);
  rmSync(dir, { recursive: true });
});

test('baseline CLI (otsu, center) then evaluate: end to end on written shapes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-base-'));
  await writeShapes(join(dir, 'data'), new Rng('cli'), 4, { size: 24 });
  const r = await capture(['baseline', '--method', 'otsu', '--data', join(dir, 'data'), '--out', join(dir, 'otsu')]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /wrote 4 otsu masks/);
  const e = await capture(['evaluate', '--pred', join(dir, 'otsu'), '--gt', join(dir, 'data/masks'), '--json']);
  const want = createAccumulator('melas-kyriazi'), ds = openBenchmark('generic', join(dir, 'data'));
  for (let i = 0; i < ds.length; i++) { const s = await ds.get(i); want.add(otsuMask(s.image).data, s.mask.data); }
  const j = JSON.parse(e.out) as { iou: number; acc: number };
  assert.ok(Math.abs(j.iou - want.report().iou!) < 1e-9, `${j.iou} vs ${want.report().iou}`);
  assert.equal((await capture(['baseline', '--method', 'center', '--data', join(dir, 'data/images'), '--out', join(dir, 'c')])).code, 0);
  assert.equal((await capture(['baseline', '--method', 'x', '--data', 'a', '--out', 'b'])).code, 2);
  rmSync(dir, { recursive: true });
});
