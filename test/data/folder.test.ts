import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError } from '../../src/core/errors.ts';
import { encodePng } from '../../src/io/image.ts';
import { ImageFolder, SegmentationFolder } from '../../src/data/folder.ts';
import { openBenchmark } from '../../src/data/layouts.ts';
import { HORSE_FIXTURE, horseReference, weizmannHorse, weizmannHorseSkip } from '../shared-data.ts';

const png = (w: number, h: number, c: number, v: number): Uint8Array => encodePng({ width: w, height: h, channels: c, data: new Float32Array(w * h * c).fill(v) });

const makeTree = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'segfolder-'));
  for (const d of ['images/a', 'masks/a']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, 'images/a/x.png'), png(6, 4, 3, 0.2));
  writeFileSync(join(dir, 'masks/a/x.png'), png(6, 4, 1, 0.6));   // soft 0.6 -> 1
  writeFileSync(join(dir, 'images/y.png'), png(5, 5, 3, 0.4));
  writeFileSync(join(dir, 'masks/y.png'), png(5, 5, 3, 0.4));     // RGB mask 0.4 -> 0
  writeFileSync(join(dir, 'images/nomask.png'), png(5, 5, 3, 0.4));
  writeFileSync(join(dir, 'images/bad.png'), png(5, 5, 3, 0.4).slice(0, 40));
  writeFileSync(join(dir, 'masks/bad.png'), png(5, 5, 1, 1));
  writeFileSync(join(dir, 'images/size.png'), png(5, 5, 3, 0.4));
  writeFileSync(join(dir, 'masks/size.png'), png(4, 5, 1, 1));
  return dir;
};

test('SegmentationFolder pairs by relative stem; a missing mask stops by default, naming the file', () => {
  const dir = makeTree();
  assert.throws(() => new SegmentationFolder(join(dir, 'images'), join(dir, 'masks')), (e: unknown) => e instanceof DataError && /nomask\.png/.test(e.message) && (e.file ?? '').endsWith('nomask.png'));
  rmSync(dir, { recursive: true });
});

test('SegmentationFolder onError=skip: counts pairing errors, loads binarized masks, truncated and size-mismatched files are DataErrors', async () => {
  const dir = makeTree();
  const f = new SegmentationFolder(join(dir, 'images'), join(dir, 'masks'), { onError: 'skip' });
  assert.equal(f.errors.length, 1);
  assert.deepEqual(f.pairs.map((p) => p.id), ['a/x', 'bad', 'size', 'y']);
  const x = await f.get(0);
  assert.deepEqual([x.image.width, x.image.height, x.image.channels, x.mask.channels], [6, 4, 3, 1]);
  assert.ok(x.mask.data.every((v) => v === 1));
  assert.ok(Math.abs(x.image.data[0]! - 51 / 255) < 1e-7);
  assert.ok((await f.get(3)).mask.data.every((v) => v === 0));
  await assert.rejects(f.get(1), (e: unknown) => e instanceof DataError && /bad\.png/.test(e.message));
  await assert.rejects(f.get(2), (e: unknown) => e instanceof DataError && /4x5 but image size\.png is 5x5/.test(e.message));
  const soft = new SegmentationFolder(join(dir, 'images'), join(dir, 'masks'), { onError: 'skip', threshold: null });
  assert.ok(Math.abs((await soft.get(0)).mask.data[0]! - 153 / 255) < 1e-7);
  rmSync(dir, { recursive: true });
});

test('ImageFolder lists nested images sorted; the horse fixture opens with the generic layout, masks binarized as NumPy does', async () => {
  const dir = makeTree();
  const f = new ImageFolder(join(dir, 'images'));
  assert.deepEqual(f.files.length, 5);
  assert.equal((await f.get(0)).id, 'a/x');
  rmSync(dir, { recursive: true });
  const horses = openBenchmark('generic', HORSE_FIXTURE), refs = horseReference();
  assert.deepEqual(horses.pairs.map((p) => p.id), Object.keys(refs));
  for (let i = 0; i < horses.length; i++) {
    const s = await horses.get(i), r = refs[s.id]!;
    assert.deepEqual([s.image.width, s.image.height, s.mask.width, s.mask.height], [r.w, r.h, r.mask_w, r.mask_h]);
    assert.ok(s.mask.data.every((v) => v === 0 || v === 1));
    assert.equal(s.mask.data.reduce((a, v) => a + v, 0) / s.mask.data.length, r.foreground, s.id);
  }
});

test('weizmann-horse (the whole development set) opens with the generic layout (200 pairs)', { skip: weizmannHorseSkip }, async () => {
  const horses = openBenchmark('generic', weizmannHorse());
  assert.equal(horses.length, 200);
  const s = await horses.get(0);
  assert.equal(s.id, 'horse001');
  assert.deepEqual([s.mask.width, s.mask.height], [s.image.width, s.image.height]);
  assert.ok(s.mask.data.some((v) => v === 1) && s.mask.data.every((v) => v === 0 || v === 1));
});
