import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateCommand, evaluateFolders } from '../../src/cli/commands/evaluate.ts';
import { baselineCommand } from '../../src/cli/commands/baseline.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { openBenchmark } from '../../src/data/layouts.ts';
import { otsuMask } from '../../src/data/baselines.ts';
import { writePng } from '../../src/io/image-file.ts';
import { createAccumulator } from '../../src/metrics/protocols.ts';
import { HORSE_FIXTURE } from '../shared-data.ts';

const raster = (w: number, h: number, f: (x: number, y: number) => number) => {
  const data = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = f(x, y);
  return { width: w, height: h, channels: 1, data };
};
const capture = async (run: () => Promise<number>): Promise<{ code: number; out: string }> => {
  const log = console.log;
  let out = '';
  console.log = (...a: unknown[]) => { out += a.join(' ') + '\n'; };
  try { return { code: await run(), out }; } finally { console.log = log; }
};

test('evaluate --layout CUB_200_2011/test: the mask and a non-square prediction are centre-cropped (melas-kyriazi); --gt scores the full frame', async () => {
  const root = mkdtempSync(join(tmpdir(), 'eval-layout-'));
  const images = join(root, 'CUB_200_2011/test_images'), masks = join(root, 'CUB_200_2011/test_segmentations');
  mkdirSync(images, { recursive: true });
  writePng(join(images, 'a.png'), raster(8, 4, () => 0.5));
  writePng(join(masks, 'a.png'), raster(8, 4, (x) => (x >= 2 && x < 4 ? 1 : 0)));   // 8×4 gt, foreground columns 2-3
  writePng(join(root, 'pred/a.png'), raster(8, 4, (x) => (x < 4 ? 1 : 0)));        // full-frame prediction, columns 0-3
  const cropped = await evaluateFolders(join(root, 'pred'), { layout: 'CUB_200_2011/test', root }, 'melas-kyriazi');
  assert.equal(cropped.iou, 1);    // centre 4×4: columns 2-5 of both → identical
  const full = await evaluateFolders(join(root, 'pred'), masks, 'melas-kyriazi');
  assert.equal(full.iou, 0.5);     // columns 2-3 of 0-3
  const r = await capture(() => evaluateCommand.run(['--pred', join(root, 'pred'), '--layout', 'CUB_200_2011/test', '--data', root, '--json']));
  assert.equal(JSON.parse(r.out).iou, 1);
  await assert.rejects(evaluateCommand.run(['--pred', 'p', '--layout', 'PASCAL', '--data', root]), (e: unknown) => e instanceof ConfigError && /--layout/.test(e.message));
  await assert.rejects(evaluateCommand.run(['--pred', 'p', '--layout', 'ECSSD']), (e: unknown) => e instanceof ConfigError && /--data/.test(e.message));
  await assert.rejects(evaluateCommand.run(['--pred', 'p', '--gt', 'g', '--layout', 'ECSSD', '--data', root]), (e: unknown) => e instanceof ConfigError && /not both/.test(e.message));
  await assert.rejects(evaluateCommand.run(['--pred', 'p', '--gtt', 'g']), (e: unknown) => e instanceof ConfigError && /--gtt/.test(e.message));
  rmSync(root, { recursive: true });
});

test('baseline --layout generic then evaluate --layout generic on the horse fixture photos: the Otsu IoU of the data layer', async () => {
  const out = mkdtempSync(join(tmpdir(), 'base-horse-'));
  const r = await capture(() => baselineCommand.run(['--method', 'otsu', '--layout', 'generic', '--data', HORSE_FIXTURE, '--out', out]));
  assert.equal(r.code, 0);
  assert.match(r.out, /wrote 3 otsu masks/);
  const got = await evaluateFolders(out, { layout: 'generic', root: HORSE_FIXTURE }, 'melas-kyriazi');
  const want = createAccumulator('melas-kyriazi'), ds = openBenchmark('generic', HORSE_FIXTURE, { threshold: null });
  for (let i = 0; i < ds.length; i++) { const s = await ds.get(i); want.add(otsuMask(s.image).data, s.mask.data); }
  assert.equal(got.count, 3);
  assert.ok(Math.abs(got.iou! - want.report().iou!) < 1e-12, `${got.iou} vs ${want.report().iou}`);
  // --data <dir> (no layout) finds <dir>/images, as before
  const again = await capture(() => baselineCommand.run(['--method', 'center', '--data', HORSE_FIXTURE, '--out', join(out, 'c')]));
  assert.match(again.out, /wrote 3 center masks/);
  await assert.rejects(baselineCommand.run(['--method', 'otsu', '--data', HORSE_FIXTURE, '--out', out, '--layout', 'x']), (e: unknown) => e instanceof ConfigError && /--layout/.test(e.message));
  rmSync(out, { recursive: true });
});
