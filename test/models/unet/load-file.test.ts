import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/init.ts';
import { Rng } from '../../../src/core/rng.ts';
import { WeightsError } from '../../../src/core/errors.ts';
import { readSafetensors, writeSafetensors } from '../../../src/io/safetensors-file.ts';
import type { StateDict } from '../../../src/io/state-dict.ts';
import { createUNet, inferUNetConfig, loadUNetFile } from '../../../src/models/unet/index.ts';
import { torchSaveBytes } from './write-torch.ts';

/** The fixture's milesial state dict (keys `state.*` of the parity file) and its config. */
const fixture = (variant: 'transposed' | 'bilinear') => {
  const { tensors, metadata } = readSafetensors(`test/fixtures/unet/unet-${variant}.safetensors`);
  const state: StateDict = new Map();
  for (const [k, v] of tensors) if (k.startsWith('state.')) state.set(k.slice(6), v);
  return { state, config: JSON.parse(metadata.config as string) as Record<string, unknown> };
};

const maxAbs = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);

describe('loadUNetFile', () => {
  let dir = '';
  const x = () => tf.tidy(() => tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 7) as tf.Tensor4D);
  before(async () => {
    await initBackend({ backend: 'cpu', ignoreEnv: true });
    dir = mkdtempSync(join(tmpdir(), 'unet-load-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const variant of ['transposed', 'bilinear'] as const) {
    test(`milesial ${variant} .pth (width 4, depth 4, mask_values) → config inferred, forward equals the fixture's model`, () => {
      const f = fixture(variant);
      const file = join(dir, `checkpoint_${variant}.pth`);
      writeFileSync(file, torchSaveBytes(f.state, { mask_values: [0, 1] }));
      const unet = loadUNetFile(file);
      assert.deepEqual(unet.config, f.config);
      const ref = createUNet(f.config, new Rng(1));
      ref.loadStateDict(f.state);
      const input = x();
      const d = maxAbs(unet.forward(input), ref.forward(input));
      assert.ok(d === 0, `max |Δ| ${d}`);
      tf.dispose(input);
      unet.dispose();
      ref.dispose();
    });
  }

  test('DataParallel `module.` prefix is stripped; a safetensors file without config metadata is inferred', () => {
    const f = fixture('transposed');
    const prefixed: StateDict = new Map([...f.state].map(([k, v]) => [`module.${k}`, v]));
    const pt = join(dir, 'dp.pt');
    writeFileSync(pt, torchSaveBytes(prefixed));
    const a = loadUNetFile(pt);
    assert.deepEqual(a.config, f.config);
    const st = join(dir, 'plain.safetensors');
    writeSafetensors(st, f.state);
    const b = loadUNetFile(st);
    assert.deepEqual(b.config, f.config);
    a.dispose();
    b.dispose();
  });

  test('our safetensors (config in metadata) loads with its recorded config', () => {
    const unet = createUNet({ inChannels: 3, nClasses: 1, width: 2, depth: 2, bilinear: true }, new Rng(3));
    const file = join(dir, 'ours.safetensors');
    writeSafetensors(file, unet.stateDict(), { model: 'unet', config: JSON.stringify(unet.config) });
    const back = loadUNetFile(file);
    assert.deepEqual(back.config, unet.config);
    const input = x();
    assert.equal(maxAbs(back.forward(input), unet.forward(input)), 0);
    tf.dispose(input);
    unet.dispose();
    back.dispose();
  });

  test('inferUNetConfig reads milesial defaults from shapes [64,3,3,3] / [2,64,1,1] / 4 downs', () => {
    const t = (shape: number[]) => ({ dtype: 'float32' as const, shape, data: new Float32Array(0) });
    const dict: StateDict = new Map([
      ['inc.double_conv.0.weight', t([64, 3, 3, 3])], ['outc.conv.weight', t([2, 64, 1, 1])], ['up1.up.weight', t([1024, 512, 2, 2])],
      ...[1, 2, 3, 4].map((i) => [`down${i}.maxpool_conv.1.double_conv.0.weight`, t([1, 1, 3, 3])] as const),
    ]);
    assert.deepEqual(inferUNetConfig(dict), { inChannels: 3, nClasses: 2, width: 64, depth: 4, bilinear: false });
  });

  test('a checkpoint that is not a UNet, a missing key, and a missing file throw WeightsError naming the file', () => {
    const f = fixture('transposed');
    const notUNet = join(dir, 'other.pt');
    writeFileSync(notUNet, torchSaveBytes(new Map([['fc.weight', f.state.get('outc.conv.weight')!]])));
    assert.throws(() => loadUNetFile(notUNet), (e: unknown) => e instanceof WeightsError && /other\.pt.*inc\.double_conv\.0\.weight/s.test(e.message));
    const broken: StateDict = new Map(f.state);
    broken.delete('up2.conv.double_conv.3.weight');
    const partial = join(dir, 'partial.pth');
    writeFileSync(partial, torchSaveBytes(broken));
    assert.throws(() => loadUNetFile(partial), (e: unknown) => e instanceof WeightsError && /partial\.pth/.test(e.message) && /up2\.conv\.double_conv\.3\.weight/.test(e.message));
    assert.throws(() => loadUNetFile(join(dir, 'missing.pth')), (e: unknown) => e instanceof WeightsError && /missing\.pth.*not found/.test(e.message));
  });
});
