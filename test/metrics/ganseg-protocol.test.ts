import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAccumulator, gansegForeground } from '../../src/metrics/protocols.ts';

// test_seg.py: fg = (argmax != 0); cal_iou = (fg & gt).sum / ((fg | gt).sum + 1e-6) per image, mean over images;
// gt from the preprocessing scripts: 8-bit mask > 255/2.
test('ganseg protocol: per-image IoU with +1e-6 in float32, mean over images; gt v/255 > 0.5 ⇔ v > 127.5', () => {
  const acc = createAccumulator('ganseg');
  acc.add([1, 1, 0, 0], [128 / 255, 127 / 255, 1, 0]); // gt = [1,0,1,0]: inter 1, union 3
  acc.add([0, 0, 0, 0], [0, 0, 0, 0]);                 // empty: 0 / (0 + 1e-6) = 0
  const r = acc.report();
  const want = (Math.fround(1 / Math.fround(3 + 1e-6)) + 0) / 2;
  assert.equal(r.iou, want);
  assert.equal(r.details.test_iou, want);
});

test('gansegForeground: argmax over K + 1 classes != 0 (first max wins, as torch.max), not p_fg > 0.5', () => {
  const p = [0.4, 0.3, 0.3, /**/ 0.2, 0.5, 0.3, /**/ 0.5, 0.5, 0, /**/ 0.3, 0.35, 0.35];
  assert.deepEqual(Array.from(gansegForeground(p, 3)), [0, 1, 0, 1]);
  // pixel 0: p_fg = 0.6 > 0.5 but argmax is the background — the two rules differ for K + 1 > 2
  const acc = createAccumulator('ganseg');
  acc.add(gansegForeground(p, 3), [0, 1, 0, 1]);
  assert.ok(Math.abs(acc.report().iou! - 2 / (2 + 1e-6)) < 1e-7);
  assert.throws(() => gansegForeground([0.5, 0.5, 0.1], 2));
});
