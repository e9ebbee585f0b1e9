/**
 * The GrabCut baseline: OpenCV's `grabCut` (Rother et al. 2004) from a central
 * rectangle, through the `@techstark/opencv-js` WebAssembly build — the reference
 * baseline users would try first on real photos.
 *
 * https://docs.opencv.org/4.x/d8/d83/tutorial_py_grabcut.html
 *
 * OpenCV loads lazily, once per process, on the first call. GrabCut's GMM
 * initialisation (kmeans++) draws from OpenCV's global RNG, which opencv.js does
 * not let us reseed; so that a mask does not depend on the calls made before it,
 * every image starts from the module's memory as it was right after loading
 * (a fresh module, RNG at its start state). `tools/fixtures/grabcut_reference.py`
 * does the same with `cv2.setRNGSeed(0)`.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { DataError } from '../core/errors.ts';
import type { ImageBatch, MaskBatch } from '../core/tensor.ts';
import type { Raster } from '../core/raster.ts';

/** Options of {@link grabcutMask}. */
export interface GrabcutOptions {
  /**
   * The rectangle `[x, y, w, h]` in pixels outside of which everything is background.
   * Default: the central rectangle with a 5 % margin on each side
   * (`x = round(0.05·W)`, `y = round(0.05·H)`, `w = W − 2x`, `h = H − 2y`).
   */
  readonly rect?: readonly [number, number, number, number];
  /** GrabCut iterations (GMM re-fit + min-cut). Default 5. */
  readonly iterations?: number;
}

// ---------------------------------------------------------------------------
// OpenCV, loaded once
// ---------------------------------------------------------------------------

/** The part of a `cv.Mat` used here. */
interface CvMat {
  readonly data: Uint8Array;
  delete(): void;
}

/** The part of the opencv.js module used here. */
interface OpenCv {
  Mat: new () => CvMat;
  Rect: new (x: number, y: number, width: number, height: number) => unknown;
  matFromArray(rows: number, cols: number, type: number, array: ArrayBufferView): CvMat;
  grabCut(img: CvMat, mask: CvMat, rect: unknown, bgdModel: CvMat, fgdModel: CvMat, iterCount: number, mode: number): void;
  readonly CV_8UC3: number;
  readonly CV_8UC1: number;
  readonly GC_INIT_WITH_RECT: number;
  readonly GC_INIT_WITH_MASK: number;
  readonly GC_FGD: number;
  readonly GC_PR_FGD: number;
  readonly HEAPU8: Uint8Array;
}

interface Loaded {
  readonly cv: OpenCv;
  /** The module's memory right after loading. */
  readonly fresh: Uint8Array;
}

const isOpenCv = (x: unknown): x is OpenCv =>
  typeof x === 'object' && x !== null && typeof (x as { grabCut?: unknown }).grabCut === 'function';

const load = async (): Promise<Loaded> => {
  const mod: { default?: unknown } = await import('@techstark/opencv-js');
  const raw = (mod.default ?? mod) as { Mat?: unknown; onRuntimeInitialized?: () => void };
  if (typeof raw.Mat !== 'function') await new Promise<void>((resolve) => { raw.onRuntimeInitialized = resolve; });
  if (!isOpenCv(raw)) throw new DataError('grabcutMask', 'expected @techstark/opencv-js to export grabCut, found none');
  return { cv: raw, fresh: raw.HEAPU8.slice() };
};

let opencv: Promise<Loaded> | undefined;
const loadOpenCv = (): Promise<Loaded> => (opencv ??= load());

// ---------------------------------------------------------------------------
// GrabCut
// ---------------------------------------------------------------------------

/** The default rectangle: a 5 % margin on each side. */
const centralRect = (w: number, h: number): [number, number, number, number] => {
  const x = Math.round(0.05 * w), y = Math.round(0.05 * h);
  return [x, y, w - 2 * x, h - 2 * y];
};

const checkInput = (image: Raster, rect: readonly number[], iterations: number): void => {
  const { width: w, height: h, channels: c } = image;
  const where = 'grabcutMask';
  if (!(c === 1 || c === 3 || c === 4)) throw new DataError(where, `expected 1, 3 or 4 channels, found ${c}`);
  if (!(Number.isInteger(w) && Number.isInteger(h) && w >= 2 && h >= 2)) throw new DataError(where, `expected an image of at least 2×2, found ${w}×${h}`);
  if (image.data.length !== w * h * c) throw new DataError(where, `expected ${w * h * c} samples (${w}×${h}×${c}), found ${image.data.length}`);
  const [x, y, rw, rh] = rect as [number, number, number, number];
  if (rect.length !== 4 || !rect.every(Number.isInteger) || x < 0 || y < 0 || rw < 1 || rh < 1 || x + rw > w || y + rh > h)
    throw new DataError(where, `expected rect [x, y, w, h] of integers inside the ${w}×${h} image, found [${rect.join(', ')}]`);
  if (rw * rh === w * h) throw new DataError(where, `expected rect to leave some background outside it, found one covering the whole ${w}×${h} image`);
  if (!(Number.isInteger(iterations) && iterations >= 1)) throw new DataError(where, `expected iterations a positive integer, found ${iterations}`);
};

/** 8-bit RGB of a raster in [0, 1] (grey replicated, alpha dropped). */
const toRgb8 = (image: Raster): Uint8Array => {
  const { width: w, height: h, channels: c, data } = image, out = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++)
    for (let k = 0; k < 3; k++) out[i * 3 + k] = Math.round(Math.min(1, Math.max(0, data[i * c + (c === 1 ? 0 : k)] as number)) * 255);
  return out;
};

/** How GrabCut starts: from a rectangle, or from a label per pixel (`GC_BGD` 0, `GC_FGD` 1, `GC_PR_BGD` 2, `GC_PR_FGD` 3). */
type GrabcutInit = readonly [number, number, number, number] | Uint8Array;

/** Run GrabCut on one image with a loaded OpenCV; every Mat is freed. */
const grabcutWith = ({ cv, fresh }: Loaded, image: Raster, init: GrabcutInit, iterations: number): Raster => {
  const { width: w, height: h } = image;
  const heap = cv.HEAPU8; // start from the module as loaded: same RNG state for every image
  heap.set(fresh);
  heap.fill(0, fresh.length);
  const mats: CvMat[] = [];
  try {
    const img = cv.matFromArray(h, w, cv.CV_8UC3, toRgb8(image));
    mats.push(img);
    const mask = init instanceof Uint8Array ? cv.matFromArray(h, w, cv.CV_8UC1, init) : new cv.Mat(), bgd = new cv.Mat(), fgd = new cv.Mat();
    mats.push(mask, bgd, fgd);
    if (init instanceof Uint8Array) cv.grabCut(img, mask, new cv.Rect(0, 0, w, h), bgd, fgd, iterations, cv.GC_INIT_WITH_MASK);
    else cv.grabCut(img, mask, new cv.Rect(...init), bgd, fgd, iterations, cv.GC_INIT_WITH_RECT);
    const labels = mask.data, data = new Float32Array(w * h);
    for (let i = 0; i < w * h; i++) data[i] = labels[i] === cv.GC_FGD || labels[i] === cv.GC_PR_FGD ? 1 : 0;
    return { width: w, height: h, channels: 1, data };
  } catch (e) {
    throw new DataError('grabcutMask', `expected OpenCV grabCut to run on the ${w}×${h} image, it failed (${typeof e === 'number' ? `OpenCV exception ${e}` : String(e)})`, undefined, { cause: e });
  } finally {
    for (const m of mats) m.delete();
  }
};

/**
 * Classic GrabCut of one image from a rectangle (default: central, 5 % margin on
 * each side), `iterations` rounds (default 5). Returns a 1-channel 0/1 mask:
 * 1 where OpenCV labels the pixel foreground or probably foreground.
 *
 * @example
 * ```ts
 * const mask = await grabcutMask(readImage('horse.jpg')); // channels 1, values 0/1
 * const tight = await grabcutMask(image, { rect: [10, 10, 100, 80], iterations: 3 });
 * ```
 */
export const grabcutMask = async (image: Raster, options: GrabcutOptions = {}): Promise<Raster> => {
  const rect = options.rect ?? centralRect(image.width, image.height), iterations = options.iterations ?? 5;
  checkInput(image, rect, iterations);
  return grabcutWith(await loadOpenCv(), image, rect, iterations);
};

/** GrabCut's pixel labels, as OpenCV numbers them. */
export const GC_LABELS = {
  /** Definite background (`cv.GC_BGD`). */ bgd: 0,
  /** Definite foreground (`cv.GC_FGD`). */ fgd: 1,
  /** Probable background (`cv.GC_PR_BGD`). */ prBgd: 2,
  /** Probable foreground (`cv.GC_PR_FGD`). */ prFgd: 3,
} as const;

/**
 * GrabCut of one image started from a label per pixel (`GC_INIT_WITH_MASK`): `labels` [H·W] holds
 * {@link GC_LABELS} (definite background 0, definite foreground 1, probable background 2, probable
 * foreground 3); definite pixels keep their label, probable ones are re-decided by `iterations` rounds
 * (default 5). Needs at least one (probable or definite) foreground and one background pixel. Returns a
 * 1-channel 0/1 mask, 1 where OpenCV ends at foreground or probably foreground. Same RNG state for every
 * image, as {@link grabcutMask}.
 *
 * @example
 * ```ts
 * const labels = new Uint8Array(w * h).fill(GC_LABELS.prBgd); // then mark the object 3, sure parts 1 / 0
 * const mask = await grabcutFromLabels(image, labels);
 * ```
 */
export const grabcutFromLabels = async (image: Raster, labels: Uint8Array, iterations = 5): Promise<Raster> => {
  const { width: w, height: h } = image;
  checkInput(image, [0, 0, 1, 1], iterations);
  if (labels.length !== w * h) throw new DataError('grabcutFromLabels', `expected ${w * h} labels (${w}×${h}), found ${labels.length}`);
  let fg = 0, bg = 0;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i] as number;
    if (l === GC_LABELS.fgd || l === GC_LABELS.prFgd) fg++;
    else if (l === GC_LABELS.bgd || l === GC_LABELS.prBgd) bg++;
    else throw new DataError('grabcutFromLabels', `expected labels 0-3, found ${l} at pixel ${i}`);
  }
  if (fg === 0 || bg === 0) throw new DataError('grabcutFromLabels', `expected both foreground and background labels, found ${fg} foreground and ${bg} background pixels`);
  return grabcutWith(await loadOpenCv(), image, labels, iterations);
};

/**
 * The GrabCut baseline ({@link grabcutMask}, default rectangle) of every image of a
 * batch in [-1, 1]: [N,H,W,1] in {0, 1}.
 *
 * @example
 * ```ts
 * const m = await grabcutMasks(images); // [N,H,W,1]; score it like a prediction
 * ```
 */
export const grabcutMasks = async (images: ImageBatch, options: GrabcutOptions = {}): Promise<MaskBatch> => {
  if (images.rank !== 4 || images.shape[3] !== 3) throw new DataError('grabcutMasks', `expected images [N,H,W,3], found [${images.shape.join(',')}]`);
  const [n, h, w] = images.shape, px = await images.data(), out = new Float32Array(n * h * w);
  for (let i = 0; i < n; i++) {
    const data = new Float32Array(h * w * 3);
    for (let k = 0; k < data.length; k++) data[k] = ((px[i * h * w * 3 + k] as number) + 1) / 2;
    out.set((await grabcutMask({ width: w, height: h, channels: 3, data }, options)).data, i * h * w);
  }
  return tf.tensor4d(out, [n, h, w, 1]);
};
