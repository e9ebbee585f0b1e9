import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import * as TE from 'fp-ts/lib/TaskEither.js';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { initBackend } from '../../src/backend/init.ts';
import { Rng } from '../../src/core/rng.ts';
import { ConfigError, ShapeError } from '../../src/core/errors.ts';
import { PAPER_CONFIG } from '../../src/methods/latent-direction/config.ts';
import { latentDirectionMethod } from '../../src/methods/latent-direction/method.ts';
import { findDirection, generateData, prepareMethod, useGenerator } from '../../src/pipeline/stages.ts';
import { METHODS, withMethods } from '../../src/methods/table.ts';
import { argmaxForegroundSegmenter, ensembleSegmenters } from '../../src/pipeline/segmenter.ts';
import type { PipelineEvent, Stage, SyntheticDataArtifact, SegmenterArtifact } from '../../src/pipeline/types.ts';
import { TinyLinearGenerator } from '../methods/latent-direction/tiny-generator.ts';

before(async () => { await initBackend({ backend: 'cpu', ignoreEnv: true }); });

const cfg = { ...PAPER_CONFIG, batchSize: 8, iterations: 30, learningRate: 0.05 } as typeof PAPER_CONFIG;

test('pipeline generator → find-direction → generate-data runs, reports events, records serialize to JSON', async () => {
  const g = new TinyLinearGenerator();
  const events: PipelineEvent[] = [];
  const ctx = { rng: new Rng(0), onEvent: (e: PipelineEvent) => events.push(e) };
  const r = await pipe(
    TE.right(useGenerator(g)),
    TE.chain(findDirection(cfg, ctx)),
    TE.chain(generateData({ mode: 'memory', count: 12, chunk: 6, previewCount: 4 }, ctx)),
  )();
  assert.ok(E.isRight(r), E.isLeft(r) ? r.left.message : '');
  const data = r.right;
  assert.deepEqual(data.preview.masks.shape, [4, 16, 16, 1]);
  const b = data.pairs(3, 5);
  const b2 = data.pairs(3, 5);
  assert.deepEqual(Array.from(b.masks.dataSync()), Array.from(b2.masks.dataSync()), 'same step → same batch');
  b2.images.dispose(); b2.masks.dispose();
  assert.deepEqual(b.images.shape, [5, 16, 16, 3]);
  b.images.dispose(); b.masks.dispose();
  const json = JSON.parse(JSON.stringify(data.record)) as { count: number; meanForegroundFraction: number; source: { method: string; generatorId: string } };
  assert.equal(json.count, 12);
  assert.equal(json.source.method, 'latent-direction');
  assert.equal(json.source.generatorId, g.id);
  assert.ok(Math.abs(json.meanForegroundFraction - (g.disc.reduce((a, v) => a + v, 0) / 256)) < 0.05);
  assert.deepEqual(events.filter((e) => e.type !== 'stage-progress').map((e) => `${e.type}:${e.stage}`), ['stage-start:find-direction', 'stage-end:find-direction', 'stage-start:generate-data', 'stage-end:generate-data']);
  assert.ok(events.some((e) => e.type === 'stage-progress' && e.stage === 'find-direction'));
  data.dispose();
  g.dispose();
});

test('method table: prepareMethod decodes partial configs; unknown method and bad config are typed Lefts', async () => {
  const reg = METHODS;
  assert.ok(Object.keys(reg).includes('latent-direction'));
  assert.throws(() => withMethods(reg, latentDirectionMethod), ConfigError);
  const g = new TinyLinearGenerator();
  const ctx = { rng: new Rng(0) };
  const ok = await prepareMethod(reg, 'latent-direction', { batchSize: 4, iterations: 3 }, ctx)(useGenerator(g))();
  assert.ok(E.isRight(ok));
  assert.equal(ok.right.method, 'latent-direction');
  ok.right.dispose();
  const unknown = await prepareMethod(reg, 'no-such-method', {}, ctx)(useGenerator(g))();
  assert.ok(E.isLeft(unknown) && unknown.left instanceof ConfigError && /latent-direction/.test(unknown.left.message));
  const bad = await prepareMethod(reg, 'latent-direction', { iterations: -1 }, ctx)(useGenerator(g))();
  assert.ok(E.isLeft(bad) && bad.left instanceof ConfigError && bad.left.issues[0]?.path === 'iterations');
  g.dispose();
});

test('type level: a stage that does not fit the previous one fails to type-check', () => {
  const g = new TinyLinearGenerator();
  const ctx = { rng: new Rng(0) };
  const needsData: Stage<SyntheticDataArtifact, SegmenterArtifact> = () => TE.left(new ConfigError('x', []));
  // Fits: generator → direction → data → segmenter.
  const good = pipe(TE.right(useGenerator(g)), TE.chain(findDirection(cfg, ctx)), TE.chain(generateData({ mode: 'stream', count: 0 }, ctx)), TE.chain(needsData));
  const direction = pipe(TE.right(useGenerator(g)), TE.chain(findDirection(cfg, ctx)));
  // @ts-expect-error a direction (mask source) is not a synthetic data set
  const skipsData = pipe(direction, TE.chain(needsData));
  // @ts-expect-error a generator is not a mask source
  const wrongStart = pipe(TE.right(useGenerator(g)), TE.chain(generateData({ mode: 'stream', count: 0 }, ctx)));
  assert.equal(typeof good, 'function');
  assert.equal(typeof skipsData, 'function');
  assert.equal(typeof wrongStart, 'function');
  g.dispose();
});

test('ensembleSegmenters averages the members\' probabilities; one member is itself; none is a ShapeError', () => {
  const constant = (v: number): SegmenterArtifact => ({
    kind: 'segmenter', resolution: 4, record: { v },
    predict: (images) => tf.fill([images.shape[0], 4, 4, 1], v) as tf.Tensor4D,
  });
  const a = constant(0.2), b = constant(0.6), c = constant(1);
  const x = tf.zeros([2, 4, 4, 3]) as tf.Tensor4D;
  const p = ensembleSegmenters([a, b, c]).predict(x);
  assert.deepEqual(p.shape, [2, 4, 4, 1]);
  for (const v of p.dataSync()) assert.ok(Math.abs(v - 0.6) < 1e-6, `mean of 0.2, 0.6, 1 is 0.6, got ${v}`);
  assert.deepEqual(ensembleSegmenters([a, b]).record, { ensemble: [{ v: 0.2 }, { v: 0.6 }] });
  assert.equal(ensembleSegmenters([a]), a);
  assert.throws(() => ensembleSegmenters([]), ShapeError);
  const before = tf.memory().numTensors;
  ensembleSegmenters([a, b]).predict(x).dispose();
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  tf.dispose([x, p]);
});

test('argmaxForegroundSegmenter: a K=3 segmenter is scored by argmax ≠ background (0.4/0.3/0.3 is background); ensembles average class probabilities', () => {
  const probs = (p: readonly number[]): SegmenterArtifact => ({
    kind: 'segmenter', resolution: 1, classes: 3, record: { p: [...p] },
    predict: (images) => tf.fill([images.shape[0], 1, 1, 1], 1 - (p[0] as number)) as tf.Tensor4D,
    predictClasses: (images) => tf.tidy(() => tf.tile(tf.tensor4d([...p], [1, 1, 1, 3]), [images.shape[0], 1, 1, 1]) as tf.Tensor4D),
  });
  const x = tf.zeros([2, 1, 1, 3]) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  const bg = argmaxForegroundSegmenter(probs([0.4, 0.3, 0.3]));
  const pb = bg.predict(x);
  assert.deepEqual(Array.from(pb.dataSync()), [0, 0], '1 − p(bg) = 0.6 > 0.5, but the argmax is the background');
  const fg = argmaxForegroundSegmenter(probs([0.3, 0.5, 0.2])).predict(x);
  assert.deepEqual(Array.from(fg.dataSync()), [1, 1]);
  tf.dispose([pb, fg]);
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  // The mean of (0.4, 0.3, 0.3) and (0.2, 0.7, 0.1) is (0.3, 0.5, 0.2): foreground.
  const ens = ensembleSegmenters([probs([0.4, 0.3, 0.3]), probs([0.2, 0.7, 0.1])]);
  assert.equal(ens.classes, 3);
  const pe = argmaxForegroundSegmenter(ens).predict(x);
  assert.deepEqual(Array.from(pe.dataSync()), [1, 1]);
  // A binary segmenter is left as it is.
  const binary: SegmenterArtifact = { kind: 'segmenter', resolution: 1, record: null, predict: (images) => tf.zeros([images.shape[0], 1, 1, 1]) as tf.Tensor4D };
  assert.equal(argmaxForegroundSegmenter(binary), binary);
  tf.dispose([pe, x]);
});
