import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchmarkJson, benchmarkMarkdown, rankRows, type BenchmarkResult, type PartScores } from '../src/pipeline/benchmark-report.ts';

const s = (iou: number, n = 140): PartScores => ({ n, iou, acc: 0.9, fmax: 0.8 });
const fake: BenchmarkResult = {
  title: 'gan-segmenter benchmark — fake',
  dataset: 'data/fake',
  split: { file: 'assets/splits/fake.json', validation: 60, test: 140, seed: '0' },
  notes: ['a note'],
  rows: [
    { name: 'baseline: centre ellipse', kind: 'baseline', settings: 'ellipse', validation: s(0.4, 60), test: s(0.42), seconds: 1 },
    { name: 'baseline: GrabCut', kind: 'baseline', settings: 'rect', validation: s(0.68, 60), test: s(0.69), seconds: 30 },
    { name: 'labels4free', kind: 'method', settings: '', validation: s(NaN, 0), test: s(NaN, 0), seconds: 3, error: 'needs | a thing' },
    { name: 'latent-direction', kind: 'method', settings: 'flip+grabcut', validation: s(0.75, 60), test: s(0.76), testPlain: s(0.6), seconds: 600 },
  ],
  levers: [
    { method: 'latent-direction', variant: 'plain', validationIou: 0.6, chosen: false },
    { method: 'latent-direction', variant: 'flip+grabcut', validationIou: 0.75, chosen: true },
  ],
  timings: { 'train-gan': 300 },
  images: { 'latent-direction': 'hardest-latent-direction.png' },
  config: { seed: 0 },
};

test('rankRows: best test IoU first, failed entries last', () => {
  assert.deepEqual(rankRows(fake.rows).map((r) => r.name), ['latent-direction', 'baseline: GrabCut', 'baseline: centre ellipse', 'labels4free']);
});

test('benchmarkJson of a fake record: ranked rows, bestMinusGrabcut = 0.76 − 0.69, NaN as null', () => {
  const j = JSON.parse(benchmarkJson(fake)) as { rows: Array<{ name: string; test: { iou: number | null } }>; bestMinusGrabcut: number; levers: unknown[]; split: { test: number } };
  assert.equal(j.rows[0]?.name, 'latent-direction');
  assert.ok(Math.abs(j.bestMinusGrabcut - 0.07) < 1e-12);
  assert.equal(j.rows[3]?.test.iou, null);
  assert.equal(j.levers.length, 2);
  assert.equal(j.split.test, 140);
});

test('benchmarkMarkdown of a fake record: leaderboard rows in rank order, margin, levers, failure, pictures', () => {
  const md = benchmarkMarkdown(fake);
  const lines = md.split('\n');
  const row = (name: string): number => lines.findIndex((l) => l.includes(name) && l.startsWith('|'));
  assert.ok(row('**latent-direction**') < row('baseline: GrabCut') && row('baseline: GrabCut') < row('baseline: centre ellipse'));
  assert.ok(lines.includes('| 1 | **latent-direction** | flip+grabcut | 0.760 | 0.900 | 0.800 | 0.750 | 0.600 | 600 |'));
  assert.match(md, /Best method minus GrabCut on the test part: \*\*\+0\.070 IoU\*\*/);
  assert.match(md, /\| latent-direction \| flip\+grabcut \| 0\.750 \| ✓ \|/);
  assert.match(md, /failed: needs \/ a thing/);
  assert.match(md, /!\[latent-direction\]\(hardest-latent-direction\.png\)/);
  assert.match(md, /60 validation photos/);
});
