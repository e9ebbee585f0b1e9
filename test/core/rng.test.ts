import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core/rng.ts';

const draw = (seed: number): number[] => {
  const r = new Rng(seed);
  return [r.uniform(), r.normal(), r.int(0, 1000), ...r.shuffle([1, 2, 3, 4, 5, 6]), ...r.normalArray(3)];
};

test('Rng same seed gives the same sequence; different seeds differ', () => {
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));
});

test('Rng.fork is independent of draws on the parent and stable', () => {
  const a = new Rng(1);
  const fa = a.fork('x').uniform();
  const b = new Rng(1);
  b.uniform(); b.uniform();
  assert.equal(b.fork('x').uniform(), fa);
  assert.notEqual(a.fork('y').uniform(), fa);
});

test('Rng state round-trips mid-sequence (including the cached normal)', () => {
  const a = new Rng('s');
  a.normal(); a.uniform(); a.normal();
  const b = Rng.fromState(JSON.parse(JSON.stringify(a.getState())));
  assert.deepEqual([a.normal(), a.normal(), a.uniform()], [b.normal(), b.normal(), b.uniform()]);
});

test('Rng normal draws have mean ≈ 0 and std ≈ 1 (n=20000)', () => {
  const x = new Rng(3).normalArray(20000);
  const m = x.reduce((s, v) => s + v, 0) / x.length;
  const v = x.reduce((s, t) => s + (t - m) ** 2, 0) / x.length;
  assert.ok(Math.abs(m) < 0.03, `mean ${m}`);
  assert.ok(Math.abs(Math.sqrt(v) - 1) < 0.03, `std ${Math.sqrt(v)}`);
});

test('Rng.int covers [lo,hi) uniformly; shuffle is a permutation', () => {
  const r = new Rng(5);
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 8000; i++) counts[r.int(0, 4)]!++;
  for (const c of counts) assert.ok(Math.abs(c - 2000) < 200, `counts ${counts}`);
  assert.deepEqual(r.shuffle([...Array(50).keys()]).sort((a, b) => a - b), [...Array(50).keys()]);
  assert.throws(() => r.int(3, 3), RangeError);
});

const tensorBytes = (seed: number): string => {
  const r = new Rng(seed);
  const t1 = tf.randomNormal([4, 8], 0, 1, 'float32', r.tfSeed());
  const t2 = tf.tensor(r.normalArray(16), [4, 4]);
  const s = Buffer.from(new Float32Array([...t1.dataSync(), ...t2.dataSync()]).buffer).toString('hex');
  tf.dispose([t1, t2]);
  return s;
};

test('same seed gives bit-identical tensors in one process and across two processes', async () => {
  await tf.setBackend('cpu');
  const a = tensorBytes(11);
  assert.equal(tensorBytes(11), a);
  assert.notEqual(tensorBytes(12), a);
  const code = `import * as tf from '@tensorflow/tfjs'; import { Rng } from './src/core/rng.ts';
    await tf.setBackend('cpu'); const r = new Rng(11);
    const t1 = tf.randomNormal([4, 8], 0, 1, 'float32', r.tfSeed()); const t2 = tf.tensor(r.normalArray(16), [4, 4]);
    process.stdout.write(Buffer.from(new Float32Array([...t1.dataSync(), ...t2.dataSync()]).buffer).toString('hex'));`;
  const out = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  assert.equal(out.stdout, a);
});
