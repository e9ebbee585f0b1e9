import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { encode as encodePngRaw } from 'fast-png';
import jpeg from 'jpeg-js';
import { DataError } from '../../src/core/errors.ts';
import { centerCrop, decodeImage, encodePng, pad, resize, shortSideSize, toRgb, type Raster } from '../../src/io/image.ts';
import { HORSE_FIXTURE, horseReference } from '../shared-data.ts';
import { join } from 'node:path';

const ref = JSON.parse(readFileSync(new URL('../fixtures/data/image-reference.json', import.meta.url), 'utf8')) as Record<string, any>;
const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
};

test('PNG 8-bit RGB, grey, RGBA round-trip exactly', () => {
  for (const channels of [1, 3, 4]) {
    const data = new Float32Array(5 * 3 * channels).map((_, i) => ((i * 37) % 256) / 255);
    const back = decodeImage(encodePng({ width: 5, height: 3, channels, data }));
    assert.deepEqual([back.width, back.height, back.channels], [5, 3, channels]);
    assert.ok(maxAbs(back.data, data) < 1e-7);
  }
});

test('PNG 16-bit grey decodes value/65535 (not truncated to 8 bits)', () => {
  const raw = Uint16Array.from([0, 1, 257, 65535, 32768, 12345]);
  const img = decodeImage(encodePngRaw({ width: 3, height: 2, channels: 1, depth: 16, data: raw }));
  assert.ok(maxAbs(img.data, Array.from(raw, (v) => v / 65535)) < 1e-7);
  assert.equal(img.data[1], Math.fround(1 / 65535));
});

test('JPEG: jpeg-js decode of horse001.jpg matches PIL (mean within 1/255)', () => {
  const img = decodeImage(readFileSync(join(HORSE_FIXTURE, 'images', 'horse001.jpg')));
  const h = ref.horse001;
  assert.deepEqual([img.height, img.width, img.channels], [h.h, h.w, 3]);
  const mean = [0, 0, 0];
  for (let i = 0; i < img.width * img.height; i++) for (let k = 0; k < 3; k++) mean[k]! += img.data[i * 3 + k]! / (img.width * img.height);
  assert.ok(maxAbs(mean, h.mean) < 1 / 255, `mean ${mean} vs ${h.mean}`);
  const px = [0, 1, 2].map((k) => img.data[(10 * img.width + 20) * 3 + k]!);
  assert.ok(maxAbs(px, h.pixel_10_20) < 4 / 255, `pixel ${px} vs ${h.pixel_10_20}`);
});

test('JPEG + PNG: the three fixture horses (images and 8-bit masks) decode as PIL/NumPy read them', () => {
  const refs = horseReference();
  assert.deepEqual(Object.keys(refs), ['horse001', 'horse002', 'horse003']);
  for (const [stem, h] of Object.entries(refs)) {
    const img = decodeImage(readFileSync(join(HORSE_FIXTURE, 'images', `${stem}.jpg`)));
    assert.deepEqual([img.height, img.width, img.channels], [h.h, h.w, 3], stem);
    const mean = [0, 0, 0];
    for (let i = 0; i < img.width * img.height; i++) for (let k = 0; k < 3; k++) mean[k]! += img.data[i * 3 + k]! / (img.width * img.height);
    assert.ok(maxAbs(mean, h.mean) < 1 / 255, `${stem} mean ${mean} vs ${h.mean}`);
    const px = [0, 1, 2].map((k) => img.data[(10 * img.width + 20) * 3 + k]!);
    assert.ok(maxAbs(px, h.pixel_10_20) < 4 / 255, `${stem} pixel ${px} vs ${h.pixel_10_20}`);
    const mask = decodeImage(readFileSync(join(HORSE_FIXTURE, 'masks', `${stem}.png`)));
    assert.deepEqual([mask.height, mask.width], [h.mask_h, h.mask_w], stem);
    const c = mask.channels, values = new Set<number>();
    let fg = 0;
    for (let i = 0; i < mask.width * mask.height; i++) {
      const v = mask.data[i * c]!;
      values.add(Math.round(v * 255));
      if (v > 0.5) fg++;
    }
    assert.deepEqual([...values].sort((a, b) => a - b), h.mask_values, stem);
    assert.equal(fg / (mask.width * mask.height), h.foreground, stem); // PNG is lossless: exact
  }
});

test('truncated and non-image bytes are DataErrors naming the file', () => {
  const png = encodePng({ width: 16, height: 16, channels: 3, data: new Float32Array(768).fill(0.3) });
  assert.throws(() => decodeImage(png.slice(0, png.length - 30), 'cut.png'), (e: unknown) => e instanceof DataError && e.file === 'cut.png');
  const jpg = jpeg.encode({ width: 16, height: 16, data: Buffer.alloc(16 * 16 * 4, 100) }, 90).data;
  assert.throws(() => decodeImage(new Uint8Array(jpg.subarray(0, 200)), 'cut.jpg'), (e: unknown) => e instanceof DataError && /cut\.jpg/.test((e as Error).message));
  assert.throws(() => decodeImage(new TextEncoder().encode('hello'), 'a.txt'), /not a PNG or JPEG/);
});

const input = (o: { h: number; w: number; c: number; data: number[] }): Raster => ({ width: o.w, height: o.h, channels: o.c, data: Float32Array.from(o.data) });

test('resize bilinear [7,9,2] -> 4x5, 12x15, 7x4 matches torch interpolate(align_corners=False) to 1e-6', () => {
  for (const [h, w] of [[4, 5], [12, 15], [7, 4]] as const) {
    assert.ok(maxAbs(resize(input(ref.input), w, h, 'bilinear').data, ref[`bilinear_${h}x${w}`]) < 1e-6, `${h}x${w}`);
    assert.ok(maxAbs(resize(input(ref.input), w, h, 'nearest').data, ref[`nearest_${h}x${w}`]) === 0, `nearest ${h}x${w}`);
  }
});

test('resize area [8,12,1] -> 4x3 matches torch mode=area to 1e-6', () => {
  assert.ok(maxAbs(resize(input(ref.input_area), 3, 4, 'area').data, ref.area_4x3) < 1e-6);
});

test('shortSideSize, centerCrop, pad by hand', () => {
  assert.deepEqual(shortSideSize(300, 200, 128), { width: 192, height: 128 });
  const img: Raster = { width: 4, height: 2, channels: 1, data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]) };
  assert.deepEqual(Array.from(centerCrop(img).data), [2, 3, 6, 7]);
  assert.deepEqual(Array.from(pad(img, 4, 4, 0).data), [0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(toRgb({ width: 1, height: 1, channels: 2, data: Float32Array.from([0.5, 1]) }).data), [0.5, 0.5, 0.5]);
});
