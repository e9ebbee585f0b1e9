/**
 * Images as plain pixel arrays: decode JPEG/PNG, encode PNG, resize, crop, pad.
 * Pure compute (no `node:fs`), so Deno and browsers can import it; the file
 * helpers live in `image-file.ts`.
 *
 * Libraries: `fast-png` (pure JS, reads 1–16-bit grey/RGB/RGBA/palette PNGs
 * and writes PNGs) and `jpeg-js` (pure JS baseline + progressive JPEG). Both
 * run unchanged in Node, Deno and browsers, with no native build.
 *
 * @module
 */
import { decode as decodePngBytes, encode as encodePngBytes, convertIndexedToRgb } from 'fast-png';
import jpeg from 'jpeg-js';
import { DataError } from '../core/errors.ts';

export type { Raster } from '../core/raster.ts';
import type { Raster } from '../core/raster.ts';

/**
 * A new raster filled with `value`.
 *
 * @example
 * ```ts
 * const black = createRaster(64, 64, 3);
 * ```
 */
export const createRaster = (width: number, height: number, channels: number, value = 0): Raster => ({
  width, height, channels, data: new Float32Array(width * height * channels).fill(value),
});

const isPng = (b: Uint8Array): boolean => b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
const isJpeg = (b: Uint8Array): boolean => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

const unpackBits = (packed: ArrayLike<number>, width: number, height: number, channels: number, depth: number): Uint8Array => {
  const out = new Uint8Array(width * height * channels);
  const rowBytes = Math.ceil((width * channels * depth) / 8);
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < width * channels; i++) {
      const bit = i * depth;
      const byte = packed[y * rowBytes + (bit >> 3)] ?? 0;
      out[y * width * channels + i] = (byte >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
};

const decodePng = (bytes: Uint8Array, name: string): Raster => {
  const png = decodePngBytes(bytes, { checkCrc: true });
  const { width, height } = png;
  if (png.palette) {
    const rgb = convertIndexedToRgb(png);
    const channels = rgb.length / (width * height);
    const data = new Float32Array(rgb.length);
    for (let i = 0; i < rgb.length; i++) data[i] = (rgb[i] as number) / 255;
    return { width, height, channels, data };
  }
  const channels = png.channels;
  let raw: ArrayLike<number> = png.data;
  let max = png.depth === 16 ? 65535 : 255;
  if (png.depth < 8) {
    if (png.data.length < width * height * channels) raw = unpackBits(png.data, width, height, channels, png.depth);
    max = (1 << png.depth) - 1;
  }
  const n = width * height * channels;
  if (raw.length < n) throw new DataError(`decodeImage(${name})`, `PNG data holds ${raw.length} samples, expected ${n}`, name);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (raw[i] as number) / max;
  return { width, height, channels, data };
};

const decodeJpeg = (bytes: Uint8Array, name: string): Raster => {
  const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, tolerantDecoding: false, maxMemoryUsageInMB: 1024 });
  const n = img.width * img.height * 3;
  if (img.data.length < n) throw new DataError(`decodeImage(${name})`, `JPEG data holds ${img.data.length} samples, expected ${n}`, name);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (img.data[i] as number) / 255;
  return { width: img.width, height: img.height, channels: 3, data };
};

/**
 * Decode PNG (1–16-bit grey, grey+alpha, RGB, RGBA, palette) or JPEG bytes
 * into a {@link Raster}. Throws a {@link DataError} naming `name` when the
 * bytes are neither, or truncated, or corrupt.
 *
 * @example
 * ```ts
 * const img = decodeImage(readFileSync('horse001.jpg'), 'horse001.jpg'); // channels 3, values in [0,1]
 * ```
 */
export const decodeImage = (bytes: Uint8Array, name = '<bytes>'): Raster => {
  const where = `decodeImage(${name})`;
  try {
    if (isPng(bytes)) return decodePng(bytes, name);
    if (isJpeg(bytes)) return decodeJpeg(bytes, name);
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(where, `unreadable or truncated image: ${(e as Error).message}`, name, { cause: e });
  }
  throw new DataError(where, `not a PNG or JPEG file (first bytes ${Array.from(bytes.slice(0, 4), (b) => b.toString(16)).join(' ')})`, name);
};

/** Options of {@link encodePng}. */
export interface EncodePngOptions {
  /** Bits per sample, 8 (default) or 16. */
  readonly depth?: 8 | 16;
}

/**
 * Encode a raster (values clamped to [0, 1], rounded) as PNG bytes.
 *
 * @example
 * ```ts
 * const png = encodePng(createRaster(8, 8, 1, 0.5)); // an 8-bit grey PNG
 * ```
 */
export const encodePng = (img: Raster, options: EncodePngOptions = {}): Uint8Array => {
  const depth = options.depth ?? 8;
  const max = depth === 16 ? 65535 : 255;
  const out = depth === 16 ? new Uint16Array(img.data.length) : new Uint8Array(img.data.length);
  for (let i = 0; i < img.data.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, img.data[i] as number)) * max);
  return encodePngBytes({ width: img.width, height: img.height, channels: img.channels, depth, data: out });
};

// ---------------------------------------------------------------------------
// Channels
// ---------------------------------------------------------------------------

/**
 * Convert to RGB: grey is repeated, alpha is dropped (RGBA keeps RGB, grey+alpha keeps grey).
 *
 * @example
 * ```ts
 * const rgb = toRgb(decodeImage(bytes));
 * ```
 */
export const toRgb = (img: Raster): Raster => {
  if (img.channels === 3) return img;
  const n = img.width * img.height, c = img.channels, data = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const grey = c <= 2;
    for (let k = 0; k < 3; k++) data[i * 3 + k] = img.data[i * c + (grey ? 0 : k)] as number;
  }
  return { width: img.width, height: img.height, channels: 3, data };
};

/**
 * One channel of a raster (default the first), e.g. the red channel that the
 * papers' loaders read from masks stored as RGB.
 *
 * @example
 * ```ts
 * const m = channel(decodeImage(maskBytes)); // channels 1
 * ```
 */
export const channel = (img: Raster, index = 0): Raster => {
  const n = img.width * img.height, data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = img.data[i * img.channels + index] as number;
  return { width: img.width, height: img.height, channels: 1, data };
};

/**
 * ITU-R 601 luma (0.299 R + 0.587 G + 0.114 B, as PIL's `convert('L')`) of an RGB(A) raster; grey stays grey.
 *
 * @example
 * ```ts
 * const y = luma(toRgb(img));
 * ```
 */
export const luma = (img: Raster): Raster => {
  if (img.channels <= 2) return channel(img, 0);
  const n = img.width * img.height, c = img.channels, data = new Float32Array(n), d = img.data;
  for (let i = 0; i < n; i++) data[i] = 0.299 * (d[i * c] as number) + 0.587 * (d[i * c + 1] as number) + 0.114 * (d[i * c + 2] as number);
  return { width: img.width, height: img.height, channels: 1, data };
};

// ---------------------------------------------------------------------------
// Geometry
// ---------------------------------------------------------------------------

/** How {@link resize} samples. */
export type ResizeMode = 'area' | 'bilinear' | 'nearest';

const resizeNearest = (img: Raster, w: number, h: number): Raster => {
  const { width: W, height: H, channels: c } = img, out = new Float32Array(w * h * c);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(H - 1, Math.floor((y * H) / h));
    for (let x = 0; x < w; x++) {
      const sx = Math.min(W - 1, Math.floor((x * W) / w));
      for (let k = 0; k < c; k++) out[(y * w + x) * c + k] = img.data[(sy * W + sx) * c + k] as number;
    }
  }
  return { width: w, height: h, channels: c, data: out };
};

/** Source taps and weights of a half-pixel-centred linear resampling of one axis. */
const linearTaps = (n: number, size: number): { i0: Int32Array; i1: Int32Array; t: Float32Array } => {
  const i0 = new Int32Array(n), i1 = new Int32Array(n), t = new Float32Array(n), scale = size / n;
  for (let o = 0; o < n; o++) {
    const s = Math.max(0, (o + 0.5) * scale - 0.5);
    const a = Math.min(size - 1, Math.floor(s));
    i0[o] = a;
    i1[o] = Math.min(size - 1, a + 1);
    t[o] = s - a;
  }
  return { i0, i1, t };
};

const resizeBilinear = (img: Raster, w: number, h: number): Raster => {
  const { width: W, channels: c, data: d } = img, out = new Float32Array(w * h * c);
  const X = linearTaps(w, W), Y = linearTaps(h, img.height);
  for (let y = 0; y < h; y++) {
    const r0 = (Y.i0[y] as number) * W, r1 = (Y.i1[y] as number) * W, ty = Y.t[y] as number;
    for (let x = 0; x < w; x++) {
      const x0 = X.i0[x] as number, x1 = X.i1[x] as number, tx = X.t[x] as number;
      for (let k = 0; k < c; k++) {
        const a = (d[(r0 + x0) * c + k] as number) * (1 - tx) + (d[(r0 + x1) * c + k] as number) * tx;
        const b = (d[(r1 + x0) * c + k] as number) * (1 - tx) + (d[(r1 + x1) * c + k] as number) * tx;
        out[(y * w + x) * c + k] = a * (1 - ty) + b * ty;
      }
    }
  }
  return { width: w, height: h, channels: c, data: out };
};

/** Box-filter weights: output cell o covers source [o*s, (o+1)*s). Returns per output a list of (index, weight). */
const areaTaps = (n: number, size: number): Array<Array<[number, number]>> => {
  const s = size / n;
  return Array.from({ length: n }, (_, o) => {
    const lo = o * s, hi = (o + 1) * s, taps: Array<[number, number]> = [];
    for (let i = Math.floor(lo); i < Math.min(size, Math.ceil(hi)); i++) {
      const wgt = Math.min(hi, i + 1) - Math.max(lo, i);
      if (wgt > 1e-12) taps.push([i, wgt / s]);
    }
    return taps;
  });
};

const resizeArea = (img: Raster, w: number, h: number): Raster => {
  const { width: W, height: H, channels: c, data: d } = img;
  const X = areaTaps(w, W), Y = areaTaps(h, H);
  const tmp = new Float32Array(H * w * c); // horizontal pass
  for (let y = 0; y < H; y++)
    for (let x = 0; x < w; x++)
      for (const [i, wt] of X[x] as Array<[number, number]>)
        for (let k = 0; k < c; k++) tmp[(y * w + x) * c + k] = (tmp[(y * w + x) * c + k] as number) + wt * (d[(y * W + i) * c + k] as number);
  const out = new Float32Array(w * h * c);
  for (let y = 0; y < h; y++)
    for (const [i, wt] of Y[y] as Array<[number, number]>)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < c; k++) out[(y * w + x) * c + k] = (out[(y * w + x) * c + k] as number) + wt * (tmp[(i * w + x) * c + k] as number);
  return { width: w, height: h, channels: c, data: out };
};

/**
 * Resize to `width × height`.
 * - `area` (default for images): exact box-filter average of the covered source area when
 *   shrinking (like OpenCV `INTER_AREA`); falls back to bilinear when enlarging.
 * - `bilinear`: half-pixel centres, no antialiasing (PyTorch `interpolate(mode='bilinear', align_corners=False)`).
 * - `nearest`: source index `floor(dst * in / out)` (PyTorch `mode='nearest'`) — use for masks.
 *
 * @example
 * ```ts
 * const small = resize(img, 64, 64, 'area');
 * const m = resize(mask, 64, 64, 'nearest');
 * ```
 */
export const resize = (img: Raster, width: number, height: number, mode: ResizeMode = 'area'): Raster => {
  if (!(width >= 1 && height >= 1 && Number.isInteger(width) && Number.isInteger(height)))
    throw new RangeError(`resize: size must be positive integers, got ${width}x${height}`);
  if (width === img.width && height === img.height) return img;
  if (mode === 'nearest') return resizeNearest(img, width, height);
  if (mode === 'bilinear') return resizeBilinear(img, width, height);
  // area: shrink by box filter along each axis that shrinks, bilinear along axes that grow
  if (width <= img.width && height <= img.height) return resizeArea(img, width, height);
  if (width >= img.width && height >= img.height) return resizeBilinear(img, width, height);
  const mid = resizeArea(img, Math.min(width, img.width), Math.min(height, img.height));
  return resizeBilinear(mid, width, height);
};

/**
 * The size a short-side resize gives (torchvision `Resize(int)`: the long side is
 * `floor(short_target * long / short)`).
 *
 * @example
 * ```ts
 * shortSideSize(300, 200, 128); // { width: 192, height: 128 }
 * ```
 */
export const shortSideSize = (width: number, height: number, target: number): {
  /** Resized width. */
  width: number;
  /** Resized height. */
  height: number;
} =>
  width <= height
    ? { width: target, height: Math.floor((target * height) / width) }
    : { width: Math.floor((target * width) / height), height: target };

/**
 * Crop a `width × height` window at (`left`, `top`) (must lie inside the image).
 *
 * @example
 * ```ts
 * const patch = crop(img, 10, 20, 32, 32);
 * ```
 */
export const crop = (img: Raster, left: number, top: number, width: number, height: number): Raster => {
  if (left < 0 || top < 0 || left + width > img.width || top + height > img.height || width < 1 || height < 1)
    throw new RangeError(`crop: window ${width}x${height}+${left}+${top} outside ${img.width}x${img.height}`);
  const c = img.channels, out = new Float32Array(width * height * c);
  for (let y = 0; y < height; y++) out.set(img.data.subarray(((top + y) * img.width + left) * c, ((top + y) * img.width + left + width) * c), y * width * c);
  return { width, height, channels: c, data: out };
};

/**
 * Centre crop (torchvision `CenterCrop`: offsets `round((in - out) / 2)`); defaults to the largest square.
 *
 * @example
 * ```ts
 * const sq = centerCrop(img); // min(w,h) square
 * ```
 */
export const centerCrop = (img: Raster, width = Math.min(img.width, img.height), height = width): Raster =>
  crop(img, Math.round((img.width - width) / 2), Math.round((img.height - height) / 2), width, height);

/**
 * Pad to `width × height` with `value`, centring the image (extra pixel on the right/bottom).
 *
 * @example
 * ```ts
 * const sq = pad(img, 256, 256, 0);
 * ```
 */
export const pad = (img: Raster, width: number, height: number, value = 0): Raster => {
  if (width < img.width || height < img.height) throw new RangeError(`pad: target ${width}x${height} smaller than ${img.width}x${img.height}`);
  const out = createRaster(width, height, img.channels, value);
  const left = Math.floor((width - img.width) / 2), top = Math.floor((height - img.height) / 2), c = img.channels;
  for (let y = 0; y < img.height; y++) out.data.set(img.data.subarray(y * img.width * c, (y + 1) * img.width * c), ((top + y) * width + left) * c);
  return out;
};

/**
 * Mirror left–right.
 *
 * @example
 * ```ts
 * const m = flipHorizontal(img);
 * ```
 */
export const flipHorizontal = (img: Raster): Raster => {
  const { width: w, height: h, channels: c } = img, out = new Float32Array(img.data.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let k = 0; k < c; k++) out[(y * w + x) * c + k] = img.data[(y * w + (w - 1 - x)) * c + k] as number;
  return { width: w, height: h, channels: c, data: out };
};
