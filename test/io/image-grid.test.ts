import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { gridRaster } from '../../src/io/image-grid.ts';
import { writeGrid } from '../../src/io/image-file.ts';
import { decodeImage } from '../../src/io/image.ts';

test('gridRaster rows [2,4,4,3] image, [2,4,4,1] mask, overlay: layout and pixel values', async () => {
  await initBackend({ backend: 'cpu', ignoreEnv: true });
  const before = tf.memory().numTensors;
  const images = tf.fill([2, 4, 4, 3], 0) as tf.Tensor4D;           // grey 0.5 after [-1,1] -> [0,1]
  const masks = tf.tidy(() => tf.concat([tf.ones([1, 4, 4, 1]), tf.zeros([1, 4, 4, 1])])) as tf.Tensor4D;
  const g = gridRaster([images, masks, { image: images, mask: masks, color: [1, 0, 0], alpha: 0.5 }], { gap: 2, background: 1 });
  assert.deepEqual([g.width, g.height, g.channels], [2 * 4 + 3 * 2, 3 * 4 + 4 * 2, 3]);
  const at = (x: number, y: number): number[] => [0, 1, 2].map((k) => g.data[(y * g.width + x) * 3 + k]!);
  assert.deepEqual(at(0, 0), [1, 1, 1]);              // gap
  assert.deepEqual(at(2, 2), [0.5, 0.5, 0.5]);        // image row
  assert.deepEqual(at(2, 8), [1, 1, 1]);              // mask 1
  assert.deepEqual(at(8, 8), [0, 0, 0]);              // mask 0
  assert.deepEqual(at(2, 14), [0.75, 0.25, 0.25]);    // overlay: 0.5*(1-0.5) + 1*0.5, 0.5*0.5
  assert.deepEqual(at(8, 14), [0.5, 0.5, 0.5]);       // overlay where mask 0
  const dir = mkdtempSync(join(tmpdir(), 'grid-'));
  writeGrid(join(dir, 'g.png'), [images, masks]);
  const back = decodeImage(readFileSync(join(dir, 'g.png')));
  assert.deepEqual([back.width, back.height], [14, 14]);
  rmSync(dir, { recursive: true });
  tf.dispose([images, masks]);
  assert.equal(tf.memory().numTensors, before);
});
