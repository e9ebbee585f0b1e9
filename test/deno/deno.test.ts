import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core/rng.ts';

test('Deno imports the package, initialises wasm, and runs forward + backward like Node', async () => {
  const deno = 'node_modules/.bin/deno';
  assert.ok(existsSync(deno), 'the deno devDependency is installed');
  const r = spawnSync(deno, ['run', '--quiet', '--allow-read', '--allow-env', 'test/deno/smoke.ts'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const line = r.stdout.trim().split('\n').pop()!;
  const got = JSON.parse(line) as { backend: string; loss: number; gradNorm: number; gradShape: number[] };
  assert.equal(got.backend, 'wasm');
  assert.deepEqual(got.gradShape, [3, 3, 3, 4]);
  // The same computation in Node on the cpu backend.
  await tf.setBackend('cpu');
  const rng = new Rng(0);
  const x = tf.tensor4d(rng.normalArray(2 * 8 * 8 * 3), [2, 8, 8, 3]);
  const w = tf.variable(tf.tensor4d(rng.normalArray(3 * 3 * 3 * 4, 0, 0.1), [3, 3, 3, 4]));
  const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.leakyRelu(tf.conv2d(x, w, 1, 'same'), 0.2))) as tf.Scalar);
  const loss = value.dataSync()[0]!;
  const gn = tf.norm(grads[w.name]!).dataSync()[0]!;
  assert.ok(Math.abs(got.loss - loss) <= 1e-5 * Math.abs(loss), `deno ${got.loss} vs node ${loss}`);
  assert.ok(Math.abs(got.gradNorm - gn) <= 1e-4 * gn, `deno ${got.gradNorm} vs node ${gn}`);
});
