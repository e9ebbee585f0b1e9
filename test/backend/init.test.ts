import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { BackendError } from '../../src/core/errors.ts';
import { spawnSync } from 'node:child_process';

test('initBackend cpu and wasm activate and say why', async () => {
  const cpu = await initBackend({ backend: 'cpu', ignoreEnv: true });
  assert.equal(cpu.tfBackend, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  const wasm = await initBackend({ backend: 'wasm', ignoreEnv: true });
  assert.equal(wasm.tfBackend, 'wasm');
  assert.match(wasm.reason, /wasm: loaded/);
});

test("initBackend 'tensorflow' when tfjs-node is absent is a BackendError with the install command", async () => {
  let installed = true;
  try { await import('@tensorflow/tfjs-node' as string); } catch { installed = false; }
  if (installed) return; // nothing to check on a machine that has it
  await assert.rejects(initBackend({ backend: 'tensorflow', ignoreEnv: true }), (e: unknown) => {
    assert.ok(e instanceof BackendError);
    assert.match(e.message, /^initBackend: /);
    assert.match(e.message, /npm install @tensorflow\/tfjs-node-gpu/);
    return true;
  });
});

test('initBackend auto falls back past tensorflow and reports each candidate', async () => {
  const info = await initBackend({ backend: 'auto', ignoreEnv: true });
  assert.ok(['tensorflow', 'cpu', 'wasm'].includes(info.tfBackend));
  assert.match(info.reason, /tfjs-node/);
});

test('GAN_SEGMENTER_BACKEND overrides the request; a bad value is a BackendError', async () => {
  process.env['GAN_SEGMENTER_BACKEND'] = 'cpu';
  try {
    const info = await initBackend({ backend: 'wasm' });
    assert.equal(info.tfBackend, 'cpu');
    assert.match(info.reason, /GAN_SEGMENTER_BACKEND/);
    process.env['GAN_SEGMENTER_BACKEND'] = 'gpu9';
    await assert.rejects(initBackend(), BackendError);
  } finally {
    delete process.env['GAN_SEGMENTER_BACKEND'];
  }
});

test("initBackend cpu: no 'install tfjs-node' banner on the first tensor (the cpu backend is our choice there), other warnings untouched", () => {
  // A fresh process: the banner shows once per process, on the cpu backend's first tensor.
  const script = `import { initBackend } from './src/backend/init.ts'; import * as tf from '@tensorflow/tfjs';
await initBackend({ backend: 'cpu', ignoreEnv: true }); tf.tensor([1, 2]).dispose(); console.warn('stderr works');`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /stderr works/);
  assert.doesNotMatch(r.stderr, /looks like you are running TensorFlow\.js in Node\.js/);
});
