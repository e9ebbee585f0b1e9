import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureMain as capture } from '../capture-cli.ts';
import { DataError } from '../../src/core/errors.ts';
import { writePng } from '../../src/io/image-file.ts';
import { createAccumulator, labels4freePairs, naturalCompare } from '../../src/metrics/protocols.ts';

/** A 2×2 8-bit grey mask from its four values. */
const mask = (v: readonly number[]) => ({ width: 2, height: 2, channels: 1, data: Float32Array.from(v, (x) => x / 255) });

test('naturalCompare is natsort order: x9 < x10, Cat2 < Cat10, text by code point', () => {
  assert.deepEqual(['x10.png', 'x9.png', 'Cat10.png', 'Cat2.png', 'b.png', 'B.png'].sort(naturalCompare), ['B.png', 'Cat2.png', 'Cat10.png', 'b.png', 'x9.png', 'x10.png']);
  assert.deepEqual(['10.png', '1.png', '2.png'].sort(naturalCompare), ['1.png', '2.png', '10.png']);
});

test('labels4freePairs: top-level *.png only, natural-sorted, by position (names ignored); unequal counts are a DataError', () => {
  assert.deepEqual(labels4freePairs(['x10.png', 'x9.png', 'note.jpg', 'sub/x1.png'], ['n.png', 'm.png', 'm.PNG']), [['x9.png', 'm.png'], ['x10.png', 'n.png']]);
  assert.throws(() => labels4freePairs(['a.png'], ['a.png', 'b.png']), DataError);
});

test('labels4free accumulator: only 255 is foreground (254 is background) in gt and prediction', () => {
  const acc = createAccumulator('labels4free');
  acc.add(mask([255, 255, 254, 0]).data, mask([255, 254, 0, 255]).data);
  const d = acc.report().details;
  assert.deepEqual([d.tp, d.fp, d.fn, d.tn], [1, 1, 1, 1]);
});

test('evaluate --protocol labels4free: hand-made 254/255 masks named differently, paired by natural-sorted position; hand-computed table', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'l4f-eval-'));
  try {
    const pred = join(dir, 'pred'), gt = join(dir, 'gt');
    mkdirSync(pred); mkdirSync(gt);
    // Natural order pairs x9 ↔ m and x10 ↔ n (plain string order would pair x10 ↔ m).
    writePng(join(gt, 'm.png'), mask([255, 254, 0, 255]));   // fg at 0 and 3
    writePng(join(pred, 'x9.png'), mask([255, 255, 254, 0])); // fg at 0 and 1: tp 1, fp 1, fn 1, tn 1
    writePng(join(gt, 'n.png'), mask([255, 255, 255, 255])); // all fg
    writePng(join(pred, 'x10.png'), mask([254, 254, 254, 254])); // 254 is background: fn 4
    const r = await capture(['evaluate', '--pred', pred, '--gt', gt, '--protocol', 'labels4free', '--json']);
    assert.equal(r.code, 0, r.err);
    const rep = JSON.parse(r.out) as { count: number; iou: number; details: Record<string, number> };
    assert.equal(rep.count, 2);
    assert.deepEqual([rep.details.tp, rep.details.fp, rep.details.fn, rep.details.tn], [1, 1, 5, 1]);
    // IoU per class = tp / (1e-4 + pred + gt − tp): fg 1/(1e-4 + 2 + 6 − 1), bg 1/(1e-4 + 6 + 2 − 1).
    assert.ok(Math.abs(rep.details.IoU_fg! - 1 / 7.0001) < 1e-12);
    assert.ok(Math.abs(rep.details.IoU_bg! - 1 / 7.0001) < 1e-12);
    assert.ok(Math.abs(rep.iou - 1 / 7.0001) < 1e-12);
    // Pixel accuracy of each class = (total − (pred + gt − 2 tp)) / total = (8 − 6) / 8.
    assert.ok(Math.abs(rep.details.Acc_fg! - 0.25) < 1e-12);
    // Unequal counts: the script's assert, as exit 1 with the counts.
    writePng(join(gt, 'o.png'), mask([0, 0, 0, 0]));
    const bad = await capture(['evaluate', '--pred', pred, '--gt', gt, '--protocol', 'labels4free']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /2 predictions, 3 masks/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
