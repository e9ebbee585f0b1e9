import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main.ts';
import { Rng } from '../../../src/core/rng.ts';
import { generateShapeSample } from '../../../src/data/shapes.ts';
import { readImage, writePng } from '../../../src/io/image-file.ts';

const TINY = ['resolution=16', 'train.count=8', 'data.count=8', 'unet.width=4', 'unet.depth=2', 'unet.steps=2', 'unet.batchSize=4', 'eval.count=4',
  'labels4free.iterations=2', 'labels4free.batchSize=2', 'labels4free.dRegEvery=2', 'labels4free.checkpointEvery=2', 'labels4free.maskThreshold=0.5'];

test('CLI run method=labels4free then segment --model <run>/unet on two images of other sizes: one 0/1 mask per image at its size', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'l4f-segment-'));
  const prev = process.env.GAN_SEGMENTER_BACKEND;
  process.env.GAN_SEGMENTER_BACKEND = 'wasm';
  try {
    const out = join(dir, 'run');
    assert.equal(await main(['run', 'method=labels4free', 'gan.weights=test/fixtures/stylegan2/tiny-rosinality.pt', `out=${out}`, ...TINY]), 0);
    assert.ok(existsSync(join(out, 'unet')) && existsSync(join(out, 'alpha-net.safetensors')));
    const imgs = join(dir, 'imgs'), masks = join(dir, 'masks');
    mkdirSync(imgs);
    writePng(join(imgs, 'a.png'), generateShapeSample(new Rng(1), { size: 20 }).image);
    writePng(join(imgs, 'b.png'), generateShapeSample(new Rng(2), { size: 24 }).image);
    assert.equal(await main(['segment', imgs, '--model', join(out, 'unet'), '--out', masks]), 0);
    assert.deepEqual(readdirSync(masks).sort(), ['a.png', 'b.png']);
    for (const [f, size] of [['a.png', 20], ['b.png', 24]] as const) {
      const m = readImage(join(masks, f));
      assert.equal(m.width, size);
      assert.ok(Array.from(m.data).every((v) => v === 0 || v === 1), `${f} is a hard mask`);
    }
  } finally {
    if (prev === undefined) delete process.env.GAN_SEGMENTER_BACKEND; else process.env.GAN_SEGMENTER_BACKEND = prev;
    rmSync(dir, { recursive: true, force: true });
  }
});
