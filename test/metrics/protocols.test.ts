import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { createAccumulator, evaluate, PROTOCOLS, reportToJson, reportToMarkdown, type ProtocolName } from '../../src/metrics/index.ts';

interface Img { h: number; w: number; pred: number[]; gt: number[] }
interface Case { name: string; images: Img[]; expected: Record<ProtocolName, Record<string, number | 'NaN'>> }
const fixture = JSON.parse(readFileSync(new URL('../fixtures/metrics/protocols.json', import.meta.url), 'utf8')) as { cases: Case[] };

const close = (got: number | undefined, want: number | 'NaN', what: string): void => {
  if (want === 'NaN') return assert.ok(Number.isNaN(got), `${what}: expected NaN, got ${got}`);
  assert.ok(got !== undefined && Math.abs(got - want) <= 1e-6, `${what}: got ${got}, want ${want}`);
};

for (const protocol of PROTOCOLS) {
  for (const c of fixture.cases) {
    test(`${protocol} on ${c.name} (${c.images.length} images) matches numpy reference to 1e-6`, () => {
      const acc = createAccumulator(protocol);
      for (const im of c.images) acc.add(Float32Array.from(im.pred), Float32Array.from(im.gt));
      const r = acc.report();
      assert.equal(r.protocol, protocol);
      assert.equal(r.count, c.images.length);
      for (const [k, v] of Object.entries(c.expected[protocol])) close(k === 'mae' ? r.mae : r.details[k], v, `${protocol}/${c.name}/${k}`);
    });
  }
}

test('melas-kyriazi hand example: 2x2 images, iou/acc/fmax by hand', () => {
  const a = createAccumulator('melas-kyriazi');
  a.add([0.9, 0.2, 0.6, 0.1], [1, 0, 0, 0]); // hard [1,0,1,0]: inter 1, union 2, acc 3/4
  a.add([0, 0, 0, 0], [0, 0, 0, 0]);         // empty union counts 0; acc 1
  const r = a.report();
  assert.equal(r.iou, 0.25);
  assert.equal(r.acc, 0.875);
  // image 2: P=R=1 at every threshold -> F=1; image 1 at t in [0.6,0.9): P=1,R=1 -> F=1
  assert.equal(r.fmax, 1);
});

test('evaluate streams tensors and rasters; headline numbers and serialization', async () => {
  const c = fixture.cases[0] as Case;
  const preds = c.images.map((im) => tf.tensor2d(im.pred, [im.h, im.w]));
  const gts = c.images.map((im) => ({ width: im.w, height: im.h, channels: 1, data: Float32Array.from(im.gt) }));
  const r = await evaluate(preds, gts, 'melas-kyriazi');
  close(r.iou ?? undefined, c.expected['melas-kyriazi'].iou as number, 'iou');
  close(r.fmax ?? undefined, c.expected['melas-kyriazi'].f_max as number, 'fmax');
  const j = JSON.parse(reportToJson(r)) as Record<string, unknown>;
  for (const k of ['protocol', 'acc', 'iou', 'fmax', 'mae', 'count', 'source']) assert.ok(k in j, k);
  assert.match(reportToMarkdown([r], ['x']), /\| x \| melas-kyriazi \| 6 \|/);
  preds.forEach((p) => p.dispose());
  await assert.rejects(evaluate([tf.zeros([2, 2])], [], 'ganseg'), /ended after 0/);
});
