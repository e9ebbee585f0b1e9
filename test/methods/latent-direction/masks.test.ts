import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/init.ts';
import { labelComponents, filterConnectedComponents, foregroundFraction, histc, histogramPeaks, maskFromShift, postprocessMasks, PAPER_MASK_FILTERS } from '../../../src/methods/latent-direction/masks.ts';

before(async () => { await initBackend({ backend: 'cpu', ignoreEnv: true }); });

// 5×5 mask: a 2×2 block (area 4), a diagonal pair touching only by a corner (area 2, one
// 8-connected component), and a single pixel (area 1).
const M = [
  1, 1, 0, 0, 0,
  1, 1, 0, 0, 1,
  0, 0, 0, 1, 0,
  0, 0, 0, 0, 0,
  0, 0, 1, 0, 0,
];

test('labelComponents 5×5: 8-connectivity joins diagonal neighbours (3 components, areas 4,2,1)', () => {
  const { count, areas, labels } = labelComponents(M, 5, 5);
  assert.equal(count, 3);
  assert.deepEqual(areas.slice(1), [4, 2, 1]);
  assert.equal(labels[9], labels[13]); // (1,4) and (2,3) touch diagonally
});

test('filterConnectedComponents keeps area/largest > t strictly: t=0.2 keeps 1/4; t=0.3 drops it; t=0.5 drops 2/4 too', () => {
  assert.deepEqual(Array.from(filterConnectedComponents(M, 5, 5, 0.2)), M);
  const keep03 = Array.from(filterConnectedComponents(M, 5, 5, 0.3));
  assert.deepEqual(keep03, M.map((v, i) => (i === 22 ? 0 : v)));
  const keep05 = Array.from(filterConnectedComponents(M, 5, 5, 0.5));
  assert.deepEqual(keep05, M.map((v, i) => (i < 7 && v ? 1 : 0)));
  assert.deepEqual(Array.from(filterConnectedComponents(new Array(25).fill(0), 5, 5, 0.2)), new Array(25).fill(0));
});

test('foregroundFraction and histc (torch.histc semantics: max in last bin, outside ignored)', () => {
  assert.equal(foregroundFraction(M), 7 / 25);
  assert.deepEqual(Array.from(histc([-1, -0.5, 0, 0.99, 1, 1.5, -2], 4, -1, 1)), [1, 1, 0, 2].map((v, i) => (i === 2 ? 1 : v)));
});

const centre = (b: number): number => -1 + (b + 0.5) * (2 / 12);
const fromCounts = (counts: number[]): number[] => counts.flatMap((c, b) => new Array(c).fill(centre(b)));
const UNIMODAL = [1, 2, 3, 4, 5, 6, 7, 6, 5, 4, 3, 2]; // 48 values

test('histogramPeaks 12 bins (box-3 smoothing, plateaus count as in the official code)', () => {
  assert.equal(histogramPeaks(fromCounts(UNIMODAL), 12), 1);
  assert.equal(histogramPeaks(fromCounts([5, 6, 7, 6, 5, 4, 3, 4, 5, 6, 5, 4]), 12), 2);
  // Smoothed [0,0,1,1,2,1,1,0,0,0,0,0]: `>=` on both sides holds at bins 0, 2, 4, 6 and 8..11 → 8.
  assert.equal(histogramPeaks([centre(3), centre(5)], 12), 8);
  // Empty bins form plateaus that count (official `>=` on both sides): bins {0,1,2}, {4,5,6}, {8,9,10} → 9.
  assert.equal(histogramPeaks(fromCounts([0, 50, 0, 0, 0, 0, 0, 0, 0, 30, 0, 0]), 12), 9);
});

test('maskFromShift lighter − darker > 0 (strict); postprocessMasks verdicts size/histogram/kept', () => {
  const lighter = tf.tensor4d([0.5, 0.5, 0.5, 0, 0, 0], [1, 1, 2, 3]);
  const darker = tf.tensor4d([0, 0, 0, 0, 0, 0], [1, 1, 2, 3]);
  assert.deepEqual(Array.from(maskFromShift(lighter, darker).dataSync()), [1, 0]);
  // Three 4×4 images: 0) foreground 4/16 and a two-tone image → kept; 1) foreground 12/16 → size;
  // 2) foreground 4/16 but a flat image → histogram.
  const raw = new Float32Array(3 * 16);
  for (const p of [5, 6, 9, 10]) raw[p] = 1;
  for (let p = 0; p < 12; p++) raw[16 + p] = 1;
  for (const p of [5, 6, 9, 10]) raw[32 + p] = 1;
  const img = new Float32Array(3 * 16 * 3);
  for (let p = 0; p < 16; p++) for (let c = 0; c < 3; c++) {
    img[p * 3 + c] = [5, 6, 9, 10].includes(p) ? 0.8 : -0.8;
    img[48 + p * 3 + c] = [5, 6, 9, 10].includes(p) ? 0.8 : -0.8;
  }
  img.set(fromCounts(UNIMODAL), 96);
  const r = postprocessMasks(tf.tensor4d(raw, [3, 4, 4, 1]), tf.tensor4d(img, [3, 4, 4, 3]), PAPER_MASK_FILTERS);
  assert.deepEqual(r.verdicts, ['kept', 'size', 'histogram']);
  assert.deepEqual(r.kept, [0]);
  assert.deepEqual(Array.from(r.masks.dataSync()), Array.from(raw));
});
