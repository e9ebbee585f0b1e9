import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { loadAddon } from '../../src/backend/native/addon.ts';
import { Adam, type AdamConfig } from '../../src/train/adam.ts';
import { minimize } from '../../src/train/step.ts';
import { NonFiniteError } from '../../src/train/errors.ts';

// minimize's finiteness check reads the gradients in place on the cpu backend (float64 sum), with one
// native kernel where the addon is built, and
// with tf ops elsewhere (float32 sum on the device): both must accept and refuse the same steps.
// With the native kernels, one kernel sums them (float64, rounded once to float32).
const backends = ['cpu', 'wasm', ...(loadAddon().ok ? (['native'] as const) : [])] as const;
after(async () => { await initBackend({ backend: 'cpu', ignoreEnv: true }); });

const cfg = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8 } as AdamConfig;

/** One minimize of sum(scale · w) over w = [1, 2, 3]: the gradient is `scale` in every element. */
const stepWith = (scale: number, onNonFinite: 'stop' | 'skip'): { skipped: boolean; w: number[]; leaked: number } => {
  const w = tf.variable(tf.tensor1d([1, 2, 3]));
  const opt = new Adam([w], cfg);
  const before = tf.memory().numTensors;
  try {
    const r = minimize(opt, () => tf.sum(tf.mul(w, scale)), { step: 7, phase: 'test', onNonFinite });
    return { skipped: r.skipped, w: [...w.dataSync()], leaked: tf.memory().numTensors - before };
  } finally {
    opt.dispose();
    w.dispose();
  }
};

for (const backend of backends) {
  test(`minimize on ${backend}: finite gradients step; NaN, ∞ and a squared norm past float32's range (3 × (2e19)² = 1.2e39) skip or stop; 3 × (1e19)² = 3e38 < 3.4e38 steps; no tensors left`, async () => {
    await initBackend({ backend, ignoreEnv: true });
    const ok = stepWith(1, 'skip');
    assert.equal(ok.skipped, false);
    assert.ok(ok.w.every((v, i) => v < i + 1), `weights moved against the gradient: ${ok.w}`);
    assert.equal(ok.leaked, 0);

    const large = stepWith(1e19, 'skip'); // Σg² = 3e38: still finite in float32
    assert.equal(large.skipped, false);

    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 2e19]) {
      const r = stepWith(bad, 'skip');
      assert.equal(r.skipped, true, `gradient ${bad} must skip`);
      assert.deepEqual(r.w, [1, 2, 3], 'a skipped step leaves the weights untouched');
      assert.equal(r.leaked, 0);
      // NaN and ∞ make the loss non-finite too (named first); 2e19 leaves the loss finite (1.2e20): the gradient is named.
      const what = Number.isFinite(bad) ? /gradient/ : /loss/;
      assert.throws(() => stepWith(bad, 'stop'), (e: unknown) => e instanceof NonFiniteError && what.test((e as Error).message) && /test/.test((e as Error).message));
    }
  });
}
