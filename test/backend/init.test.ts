import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { BackendError } from '../../src/core/errors.ts';

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
