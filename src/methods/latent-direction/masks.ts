/**
 * Masks from latent shifts and the official post-processing filters
 * (Melas-Kyriazi et al. `src/datasets/gan_dataset.py`; Voynov et al. uses the same rule with
 * its background direction): mask = grey(lighter) − grey(darker) > 0, then
 * connected components smaller than 0.2 × the largest are dropped, and images
 * are kept only if their foreground fraction is in [0, 0.5] and the 12-bin
 * smoothed histogram of the shifted image has at least two local maxima.
 *
 * The filters work on plain typed arrays (no tensors), so they are exact and
 * easy to test.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { assertShape, type ImageBatch, type MaskBatch } from '../../core/tensor.ts';
import { rgbToGrey } from './losses.ts';

// ---------------------------------------------------------------------------
// Mask from a shift
// ---------------------------------------------------------------------------

/**
 * Binary masks where the lighter image is brighter than the darker one:
 * `grey(lighter) − grey(darker) > 0` (one direction: lighter = G(z + r·d),
 * darker = G(z); dual: lighter = G(z + r·d₊), darker = G(z + r·d₋)). [N,H,W,1] in {0,1}.
 *
 * @example
 * ```ts
 * const m = maskFromShift(shiftedImages, originalImages);
 * ```
 */
export const maskFromShift = (lighter: ImageBatch, darker: ImageBatch): MaskBatch =>
  tf.tidy(() => {
    assertShape('maskFromShift', darker, lighter.shape, 'darker');
    const d = tf.sub(rgbToGrey(lighter), rgbToGrey(darker));
    return tf.cast(tf.greater(d, 0), 'float32').expandDims(3) as MaskBatch;
  });

// ---------------------------------------------------------------------------
// Connected components (8-connectivity, as skimage.measure.label in 2-D)
// ---------------------------------------------------------------------------

/** Result of {@link labelComponents}. */
export interface ComponentLabels {
  /** Label per pixel, 0 = background, 1…count = components (row-major). */
  readonly labels: Int32Array;
  /** Number of components. */
  readonly count: number;
  /** Pixel count per label (index 0 unused). */
  readonly areas: number[];
}

/**
 * Label the 8-connected components of a binary `h×w` mask (nonzero = foreground).
 *
 * @example
 * ```ts
 * const { count, areas } = labelComponents(new Uint8Array([1,0,0, 0,0,0, 0,0,1]), 3, 3); // count 2
 * ```
 */
export const labelComponents = (mask: ArrayLike<number>, h: number, w: number): ComponentLabels => {
  if (mask.length !== h * w) throw new RangeError(`labelComponents: mask has ${mask.length} pixels, expected ${h}×${w}`);
  const labels = new Int32Array(h * w);
  const areas: number[] = [0];
  const stack: number[] = [];
  let count = 0;
  for (let start = 0; start < h * w; start++) {
    if (!mask[start] || labels[start] !== 0) continue;
    count++;
    let area = 0;
    labels[start] = count;
    stack.push(start);
    while (stack.length > 0) {
      const p = stack.pop() as number;
      area++;
      const y = Math.floor(p / w), x = p - y * w;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= w) continue;
          const q = yy * w + xx;
          if (mask[q] && labels[q] === 0) {
            labels[q] = count;
            stack.push(q);
          }
        }
      }
    }
    areas.push(area);
  }
  return { labels, count, areas };
};

/**
 * Keep the connected components whose area is more than `threshold` × the
 * largest one's (official `apply_connected_components_`, threshold 0.2).
 * Returns a new 0/1 mask.
 *
 * @example
 * ```ts
 * const kept = filterConnectedComponents(mask, 128, 128, 0.2);
 * ```
 */
export const filterConnectedComponents = (mask: ArrayLike<number>, h: number, w: number, threshold: number): Uint8Array => {
  const { labels, count, areas } = labelComponents(mask, h, w);
  const out = new Uint8Array(h * w);
  if (count === 0) return out;
  const maxArea = Math.max(...areas.slice(1));
  const keep = areas.map((a, i) => i > 0 && a / maxArea > threshold);
  for (let p = 0; p < labels.length; p++) if (keep[labels[p] as number]) out[p] = 1;
  return out;
};

// ---------------------------------------------------------------------------
// Image-level filters
// ---------------------------------------------------------------------------

/**
 * Fraction of foreground pixels of a 0/1 mask.
 *
 * @example
 * ```ts
 * foregroundFraction(new Uint8Array([1, 0, 0, 0])); // 0.25
 * ```
 */
export const foregroundFraction = (mask: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < mask.length; i++) s += mask[i] ? 1 : 0;
  return mask.length === 0 ? 0 : s / mask.length;
};

/**
 * Histogram with `torch.histc` semantics: `bins` equal bins over [lo, hi],
 * values outside ignored, a value equal to `hi` goes in the last bin.
 *
 * @example
 * ```ts
 * histc(new Float32Array([-1, 0, 1]), 2, -1, 1); // [1, 2]
 * ```
 */
export const histc = (values: ArrayLike<number>, bins: number, lo: number, hi: number): Float64Array => {
  const out = new Float64Array(bins);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!(v >= lo && v <= hi)) continue;
    const b = v === hi ? bins - 1 : Math.floor(((v - lo) / (hi - lo)) * bins);
    out[Math.min(b, bins - 1)] = (out[Math.min(b, bins - 1)] as number) + 1;
  }
  return out;
};

/**
 * Number of local maxima of the `bins`-bin histogram of `values` (in [-1,1])
 * after smoothing with a width-3 box (zero padding); plateaus count every
 * bin, as the official `get_histogram_filter_indices`.
 *
 * @example
 * ```ts
 * histogramPeaks(shiftedRgbPixels, 12); // ≥ 2 ⇒ the image is kept
 * ```
 */
export const histogramPeaks = (values: ArrayLike<number>, bins = 12): number => {
  const h = histc(values, bins, -1, 1);
  const s = new Float64Array(bins);
  for (let i = 0; i < bins; i++) s[i] = (h[i - 1] ?? 0) + (h[i] as number) + (h[i + 1] ?? 0);
  let peaks = 0;
  for (let i = 0; i < bins; i++) {
    const left = i === 0 || (s[i] as number) >= (s[i - 1] as number);
    const right = i === bins - 1 || (s[i] as number) >= (s[i + 1] as number);
    if (left && right) peaks++;
  }
  return peaks;
};

// ---------------------------------------------------------------------------
// The whole post-processing
// ---------------------------------------------------------------------------

/** Post-processing settings (paper defaults in brackets). */
export interface MaskFilterOptions {
  /** Connected-component threshold relative to the largest component; 0 disables. Paper: 0.2. */
  readonly ccThreshold: number;
  /** Allowed foreground fraction [lo, hi]; null disables. Paper: [0, 0.5]. */
  readonly sizeRange: readonly [number, number] | null;
  /** Histogram bins of the shifted image for the two-peak test; 0 disables. Paper: 12. */
  readonly histogramBins: number;
}

/** The paper's post-processing: cc 0.2, size [0, 0.5], 12 histogram bins. */
export const PAPER_MASK_FILTERS: MaskFilterOptions = { ccThreshold: 0.2, sizeRange: [0, 0.5], histogramBins: 12 };

/** Why an image was dropped, or `'kept'`. */
export type MaskVerdict = 'kept' | 'size' | 'histogram';

/** Result of {@link postprocessMasks}. */
export interface PostprocessedMasks {
  /** Cleaned masks for every input image, [N,H,W,1] (also the dropped ones). */
  readonly masks: MaskBatch;
  /** Per image: kept, or the filter that dropped it. */
  readonly verdicts: readonly MaskVerdict[];
  /** Indices of the kept images. */
  readonly kept: readonly number[];
}

/**
 * Clean raw masks and decide which images to keep: connected components, then
 * size, then histogram of `shifted` (the lighter image), as the official code.
 *
 * @example
 * ```ts
 * const { masks, kept } = postprocessMasks(rawMasks, shifted, PAPER_MASK_FILTERS);
 * ```
 */
export const postprocessMasks = (raw: MaskBatch, shifted: ImageBatch, opts: MaskFilterOptions): PostprocessedMasks => {
  assertShape('postprocessMasks', raw, [null, null, null, 1], 'raw');
  const [n, h, w] = raw.shape;
  assertShape('postprocessMasks', shifted, [n, h, w, 3], 'shifted');
  const m = raw.dataSync();
  const img = opts.histogramBins > 0 ? shifted.dataSync() : new Float32Array(0);
  const out = new Float32Array(n * h * w);
  const verdicts: MaskVerdict[] = [];
  for (let i = 0; i < n; i++) {
    const mi = new Uint8Array(h * w);
    for (let p = 0; p < h * w; p++) mi[p] = (m[i * h * w + p] as number) > 0.5 ? 1 : 0;
    const clean = opts.ccThreshold > 0 ? filterConnectedComponents(mi, h, w, opts.ccThreshold) : mi;
    for (let p = 0; p < h * w; p++) out[i * h * w + p] = clean[p] as number;
    const f = foregroundFraction(clean);
    if (opts.sizeRange && !(f >= opts.sizeRange[0] && f <= opts.sizeRange[1])) verdicts.push('size');
    else if (opts.histogramBins > 0 && histogramPeaks(img.subarray(i * h * w * 3, (i + 1) * h * w * 3), opts.histogramBins) < 2) verdicts.push('histogram');
    else verdicts.push('kept');
  }
  const kept = verdicts.flatMap((v, i) => (v === 'kept' ? [i] : []));
  return { masks: tf.tensor4d(out, [n, h, w, 1]), verdicts, kept };
};
