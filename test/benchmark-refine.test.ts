import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Raster } from '../src/core/raster.ts';
import { DataError } from '../src/core/errors.ts';
import { grabcutFromLabels } from '../src/data/grabcut.ts';
import { refineWithGrabcut, seedLabels } from '../src/data/refine.ts';

test('seedLabels: definite where p ≥ 0.95 or ≤ 0.05, probable by p > 0.5 otherwise', () => {
  assert.deepEqual([...seedLabels([0.01, 0.05, 0.4, 0.5, 0.6, 0.95, 0.99])], [0, 0, 2, 2, 3, 1, 1]);
  assert.deepEqual([...seedLabels([0.01, 0.99], 1.1)], [2, 3]);
});

/** 24×16: left half red, right half blue, with a blue square inside the red half. */
const image = (): Raster => {
  const w = 24, h = 16, data = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const blue = x >= 12 || (x >= 3 && x < 7 && y >= 5 && y < 9);
    data.set(blue ? [0.1, 0.2, 0.9] : [0.9, 0.1, 0.1], (y * w + x) * 3);
  }
  return { width: w, height: h, channels: 3, data };
};

test('refineWithGrabcut 24×16: follows the colours where labels are probable, keeps definite labels', async () => {
  const img = image(), w = 24, h = 16;
  // Probable foreground on the right half (the blue object), probable background on the left — except
  // a definite-foreground pixel (1,1) in the red half and a definite-background pixel (20,8) in the blue half.
  const prob = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) prob[y * w + x] = x >= 12 ? 0.7 : 0.3;
  prob[1 * w + 1] = 0.99;
  prob[8 * w + 20] = 0.01;
  const m = await refineWithGrabcut(img, { width: w, height: h, channels: 1, data: prob });
  assert.equal(m.data[1 * w + 1], 1, 'definite foreground kept');
  assert.equal(m.data[8 * w + 20], 0, 'definite background kept');
  assert.equal(m.data[4 * w + 16], 1, 'blue half is foreground');
  assert.equal(m.data[12 * w + 2], 0, 'red half is background');
  assert.equal(m.data[6 * w + 4], 1, 'the blue square in the red half, labelled probable background, becomes foreground by colour');
});

test('refineWithGrabcut with no foreground returns the thresholded map; grabcutFromLabels rejects one-class labels', async () => {
  const img = image();
  const m = await refineWithGrabcut(img, { width: 24, height: 16, channels: 1, data: new Float32Array(24 * 16).fill(0.2) });
  assert.equal(m.data.reduce((a, b) => a + b, 0), 0);
  await assert.rejects(grabcutFromLabels(img, new Uint8Array(24 * 16).fill(2)), DataError);
  await assert.rejects(refineWithGrabcut(img, { width: 3, height: 3, channels: 1, data: new Float32Array(9) }), DataError);
});

test('boxLabels 6×4: everything outside the box of p > 0.5 (enlarged by 0.5 of its size) becomes definite background', async () => {
  const { boxLabels } = await import('../src/data/refine.ts');
  const prob = new Float32Array(24).fill(0.3);
  prob[1 * 6 + 2] = 0.9; prob[2 * 6 + 3] = 0.9; // box x 2…3, y 1…2 → margin 1 each way → x 1…4, y 0…3
  const labels = boxLabels(seedLabels(prob), prob, 6, 4, 0.5);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 6; x++) {
    const inside = x >= 1 && x <= 4;
    assert.equal(labels[y * 6 + x], inside ? (prob[y * 6 + x]! > 0.5 ? 3 : 2) : 0, `(${x},${y})`);
  }
});
