/**
 * Training-free baseline masks, the floors every report should beat:
 * a centre-ellipse prior and an Otsu threshold of the luma.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageBatch, MaskBatch } from '../core/tensor.ts';
import { luma, type Raster } from '../io/image.ts';

/** Options of {@link centerPriorMask}. */
export interface CenterPriorOptions {
  /** Semi-axes as fractions of width and height. Default 0.35 (ellipse covers ≈ 38 % of the image). */
  readonly axis?: number;
}

/**
 * A centred ellipse mask (1 inside, 0 outside; pixel centres tested).
 *
 * @example
 * ```ts
 * const m = centerPriorMask(128, 96); // channels 1
 * ```
 */
export const centerPriorMask = (width: number, height: number, options: CenterPriorOptions = {}): Raster => {
  const a = (options.axis ?? 0.35) * width, b = (options.axis ?? 0.35) * height, data = new Float32Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const dx = (x + 0.5 - width / 2) / a, dy = (y + 0.5 - height / 2) / b;
      data[y * width + x] = dx * dx + dy * dy <= 1 ? 1 : 0;
    }
  return { width, height, channels: 1, data };
};

/**
 * Otsu's threshold of values in [0, 1] over a 256-bin histogram: the bin edge
 * that maximizes the between-class variance. Returns a value t; the classes
 * are `x <= t` and `x > t`.
 *
 * @example
 * ```ts
 * otsuThreshold(Float32Array.from([0.1, 0.1, 0.9, 0.9])); // ≈ 0.1
 * ```
 */
export const otsuThreshold = (values: ArrayLike<number>): number => {
  const hist = new Float64Array(256);
  for (let i = 0; i < values.length; i++) hist[Math.min(255, Math.max(0, Math.round((values[i] as number) * 255)))]! += 1;
  const total = values.length;
  let sumAll = 0;
  for (let k = 0; k < 256; k++) sumAll += k * (hist[k] as number);
  let w0 = 0, sum0 = 0, best = -1, bestK = 0;
  for (let k = 0; k < 255; k++) {
    w0 += hist[k] as number;
    sum0 += k * (hist[k] as number);
    const w1 = total - w0;
    if (w0 === 0 || w1 === 0) continue;
    const m0 = sum0 / w0, m1 = (sumAll - sum0) / w1, between = w0 * w1 * (m0 - m1) * (m0 - m1);
    if (between > best) { best = between; bestK = k; }
  }
  return (bestK + 0.5) / 255;
};

/**
 * Otsu mask of an image's luma. Which side is foreground: the class that
 * touches the image border less (objects rarely fill the border); ties go to
 * the brighter class.
 *
 * @example
 * ```ts
 * const m = otsuMask(image); // channels 1, values 0/1
 * ```
 */
export const otsuMask = (image: Raster): Raster => {
  const y = luma(image), t = otsuThreshold(y.data), { width: w, height: h } = y;
  const data = new Float32Array(w * h);
  let borderHigh = 0, border = 0;
  for (let i = 0; i < w * h; i++) {
    data[i] = (y.data[i] as number) > t ? 1 : 0;
    const px = i % w, py = Math.floor(i / w);
    if (px === 0 || py === 0 || px === w - 1 || py === h - 1) { border++; borderHigh += data[i] as number; }
  }
  if (borderHigh > border / 2) for (let i = 0; i < data.length; i++) data[i] = 1 - (data[i] as number);
  return { width: w, height: h, channels: 1, data };
};

/**
 * The centre-ellipse baseline ({@link centerPriorMask}) as a batch: `n` copies, [N,size,size,1].
 *
 * @example
 * ```ts
 * const m = centreEllipseMasks(200, 32); // score it like a prediction
 * ```
 */
export const centreEllipseMasks = (n: number, size: number): MaskBatch =>
  tf.tidy(() => tf.tile(tf.tensor4d(centerPriorMask(size, size).data, [1, size, size, 1]), [n, 1, 1, 1]) as MaskBatch);

/**
 * The Otsu baseline ({@link otsuMask}) of every image of a batch in [-1, 1]: [N,H,W,1] in {0, 1}.
 *
 * @example
 * ```ts
 * const m = otsuMasks(images); // [N,H,W,1]
 * ```
 */
export const otsuMasks = (images: ImageBatch): MaskBatch => {
  const [n, h, w] = images.shape;
  const px = images.dataSync();
  const out = new Float32Array(n * h * w);
  for (let i = 0; i < n; i++) {
    const data = new Float32Array(h * w * 3);
    for (let k = 0; k < data.length; k++) data[k] = ((px[i * h * w * 3 + k] as number) + 1) / 2;
    out.set(otsuMask({ width: w, height: h, channels: 3, data }).data, i * h * w);
  }
  return tf.tensor4d(out, [n, h, w, 1]);
};
