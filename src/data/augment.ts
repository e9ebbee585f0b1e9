/**
 * Seeded augmentation of (image, mask) rasters: horizontal flip, colour
 * jitter (image only), random resized crop (same window for image and mask),
 * and the deterministic resize-and-centre-crop used when not augmenting.
 *
 * @module
 */
import type { Rng } from '../core/rng.ts';
import { centerCrop, crop, flipHorizontal, resize, shortSideSize, type Raster } from '../io/image.ts';

/** Augmentation settings; every field off by default. */
export interface AugmentOptions {
  /** Probability of a left–right flip. Default 0. */
  readonly flip?: number;
  /** Colour jitter strength j: brightness, contrast and saturation factors drawn from [1-j, 1+j]. Default 0. */
  readonly colorJitter?: number;
  /** Random resized crop: area fraction range of the crop window, e.g. [0.5, 1]. Default off. */
  readonly cropScale?: readonly [number, number];
  /** Aspect-ratio range of the crop window. Default [3/4, 4/3]. */
  readonly cropRatio?: readonly [number, number];
}

/** An image with an optional mask. */
export interface Pair {
  /** RGB image in [0, 1]. */
  readonly image: Raster;
  /** 1-channel mask in [0, 1]. */
  readonly mask?: Raster;
}

/**
 * Resize the short side to `size` (area for images, nearest for masks) and centre-crop to `size × size`.
 *
 * @example
 * ```ts
 * const p = fitSquare({ image, mask }, 64);
 * ```
 */
export const fitSquare = (p: Pair, size: number): Pair => {
  const s = shortSideSize(p.image.width, p.image.height, size);
  const image = centerCrop(resize(p.image, s.width, s.height, 'area'), size, size);
  return p.mask ? { image, mask: centerCrop(resize(p.mask, s.width, s.height, 'nearest'), size, size) } : { image };
};

/**
 * A torchvision-style RandomResizedCrop window `[x, y, width, height]` in pixels
 * inside a `w × h` image: area fraction from `scale`, aspect ratio (log-uniform)
 * from `ratio`; 10 tries, then the centre square. Used by {@link augmentPair}
 * and by the segmenter trainer's tensor-side crop, so both draw the same windows.
 *
 * @example
 * ```ts
 * const [x, y, cw, ch] = randomCropWindow(64, 64, [0.5, 1], [3 / 4, 4 / 3], new Rng('crop'));
 * ```
 */
export const randomCropWindow = (w: number, h: number, scale: readonly [number, number], ratio: readonly [number, number], rng: Rng): [number, number, number, number] => {
  const area = w * h;
  for (let k = 0; k < 10; k++) {
    const target = area * rng.uniform(scale[0], scale[1]);
    const r = Math.exp(rng.uniform(Math.log(ratio[0]), Math.log(ratio[1])));
    const cw = Math.round(Math.sqrt(target * r)), ch = Math.round(Math.sqrt(target / r));
    if (cw >= 1 && ch >= 1 && cw <= w && ch <= h) return [rng.int(0, w - cw + 1), rng.int(0, h - ch + 1), cw, ch];
  }
  const s = Math.min(w, h);
  return [Math.floor((w - s) / 2), Math.floor((h - s) / 2), s, s];
};

/** Colour-jitter factors of one image, see {@link drawJitterFactors}. */
export interface JitterFactors {
  /** Brightness: every channel is multiplied by it. */
  readonly brightness: number;
  /** Contrast: distance from the mean grey level is multiplied by it. */
  readonly contrast: number;
  /** Saturation: distance from the pixel's grey level is multiplied by it. */
  readonly saturation: number;
}

/**
 * Draw one image's colour-jitter factors, each uniform in [1-j, 1+j], in the
 * order brightness, contrast, saturation (three `rng.uniform` draws). Applied as
 * brightness, then saturation, then contrast, clamped to [0, 1] (see {@link augmentPair}).
 *
 * @example
 * ```ts
 * const { brightness, contrast, saturation } = drawJitterFactors(0.2, new Rng('jitter'));
 * ```
 */
export const drawJitterFactors = (j: number, rng: Rng): JitterFactors => {
  const brightness = rng.uniform(1 - j, 1 + j), contrast = rng.uniform(1 - j, 1 + j), saturation = rng.uniform(1 - j, 1 + j);
  return { brightness, contrast, saturation };
};

const jitter = (img: Raster, j: number, rng: Rng): Raster => {
  const { brightness: b, contrast: c, saturation: s } = drawJitterFactors(j, rng);
  const d = img.data, n = img.width * img.height, out = new Float32Array(d.length);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += 0.299 * (d[i * 3] as number) + 0.587 * (d[i * 3 + 1] as number) + 0.114 * (d[i * 3 + 2] as number);
  mean = (mean / n) * b;
  for (let i = 0; i < n; i++) {
    const r = (d[i * 3] as number) * b, g = (d[i * 3 + 1] as number) * b, bl = (d[i * 3 + 2] as number) * b;
    const grey = 0.299 * r + 0.587 * g + 0.114 * bl;
    const px = [r, g, bl];
    for (let k = 0; k < 3; k++) {
      const sat = grey + ((px[k] as number) - grey) * s;
      out[i * 3 + k] = Math.min(1, Math.max(0, mean + (sat - mean) * c));
    }
  }
  return { ...img, data: out };
};

/**
 * Augment one pair and bring it to `size × size`. Same `rng` state ⇒ same output.
 * Draw order: crop window, flip, jitter.
 *
 * @example
 * ```ts
 * const out = augmentPair({ image, mask }, 64, { flip: 0.5, colorJitter: 0.2, cropScale: [0.5, 1] }, rng);
 * ```
 */
export const augmentPair = (p: Pair, size: number, options: AugmentOptions, rng: Rng): Pair => {
  let out: Pair;
  if (options.cropScale) {
    const [x, y, w, h] = randomCropWindow(p.image.width, p.image.height, options.cropScale, options.cropRatio ?? [3 / 4, 4 / 3], rng);
    const image = resize(crop(p.image, x, y, w, h), size, size, 'area');
    out = p.mask ? { image, mask: resize(crop(p.mask, x, y, w, h), size, size, 'nearest') } : { image };
  } else out = fitSquare(p, size);
  if ((options.flip ?? 0) > 0 && rng.bernoulli(options.flip ?? 0))
    out = out.mask ? { image: flipHorizontal(out.image), mask: flipHorizontal(out.mask) } : { image: flipHorizontal(out.image) };
  if ((options.colorJitter ?? 0) > 0) out = { ...out, image: jitter(out.image, options.colorJitter ?? 0, rng) };
  return out;
};
