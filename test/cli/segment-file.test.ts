import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { Rng } from '../../src/core/rng.ts';
import { main } from '../../src/cli/main.ts';
import { generateShapeSample } from '../../src/data/shapes.ts';
import { readImage, writePng } from '../../src/io/image-file.ts';
import { createUNet } from '../../src/models/unet/index.ts';
import { loadSegmenter, segmentFolder, segmentImage } from '../../src/pipeline/segment.ts';
import { predictProbabilities } from '../../src/pipeline/segmenter.ts';
import { torchSaveBytes } from '../models/unet/write-torch.ts';

before(async () => { await initBackend({ backend: 'cpu', ignoreEnv: true }); });

test('segment --model <milesial .pth> --resolution 16: one mask per image, equal to the same UNet predicting at 16²', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'segment-file-'));
  const prev = process.env.GAN_SEGMENTER_BACKEND;
  process.env.GAN_SEGMENTER_BACKEND = 'cpu';
  try {
    const unet = createUNet({ inChannels: 3, nClasses: 2, width: 4, depth: 2, bilinear: false }, new Rng(3));
    const pth = join(dir, 'unet.pth');
    writeFileSync(pth, torchSaveBytes(unet.stateDict()));
    const imgs = join(dir, 'imgs');
    mkdirSync(imgs);
    writePng(join(imgs, 'a.png'), generateShapeSample(new Rng(1), { size: 16 }).image);
    writePng(join(imgs, 'b.png'), generateShapeSample(new Rng(2), { size: 24 }).image);
    const out = join(dir, 'masks');
    assert.equal(await main(['segment', imgs, '--model', pth, '--out', out, '--resolution', '16', '--probabilities']), 0);
    assert.deepEqual(readdirSync(out).sort(), ['a.png', 'b.png']);
    assert.equal(readImage(join(out, 'b.png')).width, 24);
    // The file's UNet is the UNet that was saved: the same probabilities as predicting with it directly.
    const x = tf.tidy(() => tf.sub(tf.mul(tf.tensor4d(generateShapeSample(new Rng(1), { size: 16 }).image.data, [1, 16, 16, 3]), 2), 1) as tf.Tensor4D);
    const p = predictProbabilities(unet, 16, x);
    const written = readImage(join(out, 'a.png')).data;
    const expected = p.dataSync();
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs((written[i] as number) - (expected[i] as number)));
    assert.ok(worst <= 1 / 255 + 1e-6, `8-bit probabilities differ by ${worst}`);
    tf.dispose([x, p]);
    // The library call with its default resolution (128) reads the same file.
    const seg = loadSegmenter(pth);
    assert.equal(seg.resolution, 128);
    assert.equal(segmentFolder(seg, imgs, join(dir, 'm128')).length, 2);
    seg.model.dispose();
    assert.equal(await main(['segment', imgs, '--model', pth, '--out', out, '--resolution', '0']), 2, 'a bad --resolution is a usage error');
    unet.dispose();
  } finally {
    if (prev === undefined) delete process.env.GAN_SEGMENTER_BACKEND; else process.env.GAN_SEGMENTER_BACKEND = prev;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('segmentImage: the mask segmentFolder writes (binary and probabilities), at the image size; a grey image is a RangeError', () => {
  const dir = mkdtempSync(join(tmpdir(), 'segment-image-'));
  try {
    const unet = createUNet({ inChannels: 3, nClasses: 2, width: 4, depth: 2, bilinear: false }, new Rng(5));
    const seg = { model: unet, resolution: 16, checkpoint: 'memory' };
    const img = generateShapeSample(new Rng(7), { size: 24 }).image;
    const imgs = join(dir, 'imgs');
    mkdirSync(imgs);
    writePng(join(imgs, 'a.png'), img);
    const rgb = readImage(join(imgs, 'a.png')); // the PNG round trip quantizes to 8 bits, as segmentFolder reads it
    for (const probabilities of [false, true]) {
      const mask = segmentImage(seg, rgb, { probabilities, threshold: 0.5 });
      assert.equal(mask.length, 24 * 24);
      const out = join(dir, probabilities ? 'p' : 'b');
      segmentFolder(seg, imgs, out, { probabilities });
      const written = readImage(join(out, 'a.png')).data;
      let worst = 0;
      for (let i = 0; i < mask.length; i++) worst = Math.max(worst, Math.abs((written[i] as number) - (mask[i] as number)));
      assert.ok(worst <= 1 / 255 + 1e-6, `written mask differs by ${worst}`);
      if (!probabilities) assert.ok(mask.every((v) => v === 0 || v === 1));
    }
    assert.throws(() => segmentImage(seg, { width: 4, height: 4, channels: 1, data: new Float32Array(16) }), RangeError);
    unet.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
