/**
 * Mask refinement of a segmenter's output with GrabCut seeded from the predicted probability — a hybrid
 * that takes the object's place and rough shape from the GAN-trained segmenter and its edges from the
 * photo's colours (GrabCut's colour models and min-cut), where a low-resolution segmenter is weakest.
 * FOUND and TokenCut refine with a bilateral solver or a dense CRF for the same reason.
 *
 * Rother et al. 2004, https://docs.opencv.org/4.x/d8/d83/tutorial_py_grabcut.html (`GC_INIT_WITH_MASK`).
 *
 * @module
 */
import type { Raster } from '../core/raster.ts';
import { DataError } from '../core/errors.ts';
import { resize } from '../io/image.ts';
import { grabcutFromLabels, GC_LABELS } from './grabcut.ts';

/** Options of {@link seedLabels} and {@link refineWithGrabcut}. */
export interface RefineOptions {
  /**
   * Where the segmenter is sure: p ≥ `definite` is definite foreground, p ≤ 1 − `definite` definite
   * background (GrabCut keeps them); in between, p > 0.5 is probable foreground, else probable
   * background. Default 0.95. A value above 1 makes every label probable.
   */
  readonly definite?: number;
  /** GrabCut iterations. Default 5. */
  readonly iterations?: number;
  /**
   * When set, pixels outside the bounding box of the predicted foreground (p > 0.5), enlarged by `box`
   * times the box's width and height on each side, are definite background (GrabCut's rectangle prior,
   * placed by the segmenter instead of at the centre). Default: off.
   */
  readonly box?: number;
  /**
   * Run GrabCut on a copy whose longer side is at most `maxSide` (image: area filter, probability:
   * bilinear), and upsample its mask bilinearly back (threshold 0.5) — GrabCut's cost grows with the
   * pixels. Default: the image's own size.
   */
  readonly maxSide?: number;
  /**
   * When set, pixels outside the central rectangle with this margin (a fraction of the width and height
   * on each side; the GrabCut baseline's is 0.05) are definite background. Default: off.
   */
  readonly rect?: number;
}

/**
 * Mark as definite background (`GC_BGD`) every label outside the bounding box of `prob > 0.5`,
 * enlarged by `margin` times its width and height on each side. Labels are changed in place.
 *
 * @example
 * ```ts
 * boxLabels(labels, prob, w, h, 0.1);
 * ```
 */
export const boxLabels = (labels: Uint8Array, prob: ArrayLike<number>, width: number, height: number, margin: number): Uint8Array => {
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    if ((prob[y * width + x] as number) > 0.5) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
  }
  if (x1 < 0) return labels;
  const mx = Math.round(margin * (x1 - x0 + 1)), my = Math.round(margin * (y1 - y0 + 1));
  x0 -= mx; x1 += mx; y0 -= my; y1 += my;
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (x < x0 || x > x1 || y < y0 || y > y1) labels[y * width + x] = GC_LABELS.bgd;
  return labels;
};

/**
 * GrabCut's start labels from a foreground probability map (see {@link RefineOptions.definite}).
 *
 * @example
 * ```ts
 * seedLabels(Float32Array.from([0.01, 0.4, 0.6, 0.99])); // [0, 2, 3, 1]
 * ```
 */
export const seedLabels = (prob: ArrayLike<number>, definite = 0.95): Uint8Array => {
  const out = new Uint8Array(prob.length);
  for (let i = 0; i < prob.length; i++) {
    const p = prob[i] as number;
    out[i] = p >= definite ? GC_LABELS.fgd : p <= 1 - definite ? GC_LABELS.bgd : p > 0.5 ? GC_LABELS.prFgd : GC_LABELS.prBgd;
  }
  return out;
};

/**
 * Refine a foreground probability map of `image` (same width and height, 1 channel) with GrabCut started
 * from {@link seedLabels}. Returns a 0/1 mask. When the map has no foreground (or no background) pixel,
 * GrabCut has nothing to model and the thresholded map (p > 0.5) is returned as it is.
 *
 * @example
 * ```ts
 * const mask = await refineWithGrabcut(photo, upsampledProbability, { definite: 0.95 });
 * ```
 */
export const refineWithGrabcut = async (image: Raster, prob: Raster, options: RefineOptions = {}): Promise<Raster> => {
  const { width: w, height: h } = image;
  if (prob.width !== w || prob.height !== h || prob.channels !== 1)
    throw new DataError('refineWithGrabcut', `expected a 1-channel probability map of ${w}×${h}, found ${prob.width}×${prob.height}×${prob.channels}`);
  const side = options.maxSide;
  if (side !== undefined && Math.max(w, h) > side) {
    const k = side / Math.max(w, h), sw = Math.max(2, Math.round(w * k)), sh = Math.max(2, Math.round(h * k));
    const small = await refineWithGrabcut(resize(image, sw, sh, 'area'), resize(prob, sw, sh, 'bilinear'), { ...options, maxSide: undefined });
    const up = resize(small, w, h, 'bilinear');
    return { width: w, height: h, channels: 1, data: up.data.map((x) => (x > 0.5 ? 1 : 0)) };
  }
  const labels = seedLabels(prob.data, options.definite ?? 0.95);
  if (options.box !== undefined) boxLabels(labels, prob.data, w, h, options.box);
  if (options.rect !== undefined) {
    const mx = Math.round(options.rect * w), my = Math.round(options.rect * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (x < mx || x >= w - mx || y < my || y >= h - my) labels[y * w + x] = GC_LABELS.bgd;
  }
  let fg = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === GC_LABELS.fgd || labels[i] === GC_LABELS.prFgd) fg++;
  if (fg === 0 || fg === labels.length) {
    const data = new Float32Array(w * h);
    for (let i = 0; i < data.length; i++) data[i] = (prob.data[i] as number) > 0.5 ? 1 : 0;
    return { width: w, height: h, channels: 1, data };
  }
  return grabcutFromLabels(image, labels, options.iterations ?? 5);
};
