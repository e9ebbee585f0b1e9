import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { loadAddon } from '../../../src/backend/native/addon.ts';
import { BufferPool } from '../../../src/backend/native/pool.ts';
import { disableNative } from '../../../src/backend/native/index.ts';

const built = loadAddon();
const addon = built.ok ? built.addon : undefined;
const skip = !built.ok ? `native addon not built (${built.error})` : addon?.detach ? false : 'native addon built before detach existed; run `npm run build:native`';
const release = (b: ArrayBuffer): boolean => addon!.detach!(b);
const N = 1 << 15; // above the pool's 16 Ki-float minimum

/** A pool on the cpu backend (native kernels off, so only this pool is hooked). */
const withPool = async (maxBytes: number, f: (pool: BufferPool) => void): Promise<void> => {
  await tf.setBackend('cpu');
  disableNative();
  const pool = new BufferPool(maxBytes, release);
  pool.attach(tf.findBackend('cpu') as never);
  try {
    f(pool);
  } finally {
    pool.detach();
  }
};

test('pool with cap 0: a disposed tensor frees its array at once (detached), a view-sharing reshape keeps it alive until disposed too', { skip }, async () => {
  await withPool(0, (pool) => {
    const a = pool.alloc(N).fill(2);
    const t = tf.tensor1d(a);
    const r = tf.reshape(t, [N / 2, 2]);
    t.dispose();
    assert.equal(a.length, N, 'still referenced by the reshape');
    assert.equal(tf.sum(r).dataSync()[0], 2 * N);
    r.dispose();
    assert.equal(a.length, 0, 'detached once no tensor refers to it');
    assert.equal(pool.stats.released, 1);
  });
});

test('pool: values read with dataSync are never freed or recycled; others are recycled up to the cap', { skip }, async () => {
  await withPool(1 << 30, (pool) => {
    const a = pool.alloc(N).fill(3);
    const t = tf.tensor1d(a);
    const seen = t.dataSync();
    t.dispose();
    assert.equal(seen.length, N);
    assert.equal(seen[N - 1], 3);
    assert.notEqual(pool.alloc(N).buffer, a.buffer, 'an escaped array is not handed out again');
    const b = pool.alloc(N).fill(1);
    tf.tensor1d(b).dispose();
    assert.equal(pool.alloc(N).buffer, b.buffer, 'a disposed, unread array is recycled');
    assert.equal(pool.stats.released, 0);
  });
});

test('pool: detach() frees what waits for reuse', { skip }, async () => {
  await tf.setBackend('cpu');
  disableNative();
  const pool = new BufferPool(1 << 30, release);
  pool.attach(tf.findBackend('cpu') as never);
  const a = pool.alloc(N).fill(1);
  tf.tensor1d(a).dispose();
  assert.equal(a.length, N, 'waiting in the pool');
  pool.detach();
  assert.equal(a.length, 0);
});
