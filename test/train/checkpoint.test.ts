import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { listCheckpoints, loadCheckpoint, loadLatestCheckpoint, probeOutput, restoreVariables, saveCheckpoint } from '../../src/train/checkpoint.ts';
import { TrainingError } from '../../src/train/errors.ts';

before(async () => { await initBackend({ backend: 'cpu', ignoreEnv: true }); });

test('checkpoint round-trip: tensors bit-exact, meta, keep-last-k, corrupt newest falls back, temp dirs ignored', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ck-'));
  const a = tf.tensor2d([[1.5, -2], [Math.PI, 1e-30]]), b = tf.tensor1d([7]);
  for (const step of [10, 20, 30, 40]) saveCheckpoint(root, step, { a: tf.mul(a, step), b }, { step, rng: { s: [1, 2] } });
  assert.deepEqual(listCheckpoints(root).map((c) => c.step), [40, 30, 20]); // keep 3
  const ck = loadLatestCheckpoint(root)!;
  assert.equal(ck.step, 40);
  assert.deepEqual(ck.meta, { step: 40, rng: { s: [1, 2] } });
  assert.deepEqual([...ck.tensors.get('a')!.data], [...tf.mul(a, 40).dataSync()]);
  assert.deepEqual(ck.tensors.get('a')!.shape, [2, 2]);
  // corrupt the newest: one flipped byte → checksum error → loader falls back to step 30
  const bin = path.join(root, 'step-00000040', 'tensors.bin');
  const bytes = fs.readFileSync(bin); bytes[3] ^= 1; fs.writeFileSync(bin, bytes);
  assert.throws(() => loadCheckpoint(path.join(root, 'step-00000040')), /checksum/);
  assert.equal(loadLatestCheckpoint(root)!.step, 30);
  // a leftover temp dir (killed writer) is not a checkpoint
  fs.mkdirSync(path.join(root, '.tmp-step-00000050-1'));
  assert.equal(loadLatestCheckpoint(root)!.step, 30);
  // restore into variables; shape mismatch lists the problem
  const v = tf.variable(tf.zeros([2, 2]));
  restoreVariables(loadLatestCheckpoint(root)!, { a: v });
  assert.deepEqual([...v.dataSync()], [...tf.mul(a, 30).dataSync()]);
  assert.throws(() => restoreVariables(ck, { b: v, c: v }), /missing c.*b: checkpoint \[1\] vs model \[2,2\]|b: checkpoint \[1\] vs model \[2,2\].*missing c/);
  fs.rmSync(root, { recursive: true });
});

test('probeOutput fails early on an unwritable folder', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-'));
  probeOutput(path.join(root, 'ok'), 1024);
  assert.deepEqual(fs.readdirSync(path.join(root, 'ok')), []);
  const file = path.join(root, 'file');
  fs.writeFileSync(file, 'x');
  assert.throws(() => probeOutput(path.join(file, 'sub'), 10), (e: unknown) => e instanceof TrainingError && /not writable/.test((e as Error).message));
  assert.throws(() => probeOutput(path.join(root, 'big'), 2 ** 60), TrainingError);
  fs.rmSync(root, { recursive: true });
});
