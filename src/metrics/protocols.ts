/**
 * Segmentation metrics exactly as each paper's evaluation code computes them.
 * Each protocol is an accumulator: `add(pred, gt)` once per image, then
 * `report()`. Predictions are foreground probabilities in [0, 1]; ground
 * truths are masks in [0, 1] (binarized by the protocol's own rule).
 *
 * Sources (read through the project's code search; re-stated, not copied):
 * - `melas-kyriazi`: lukemelas/unsupervised-image-segmentation, `src/segmentation/metrics.py`
 * - `voynov`: anvoynov/BigGANsAreWatching, `metrics.py` + `postprocessing.py` (`Threshold`)
 * - `labels4free`: RameenAbdal/Labels4Free, `test_customdata.py` (`Metrics.get_table`)
 * - `ilsgan`: qrzou/ILSGAN, `eval_segmentation.py` (`calc_metrics`)
 * - `ganseg`: xingzhehe/GANSeg, `test_seg.py` (`cal_iou`, `evaluate_iou`)
 *
 * @module
 */
import { DataError, ShapeError } from '../core/errors.ts';

/**
 * The protocol names, one per paper's evaluation code.
 *
 * @example
 * ```ts
 * for (const p of PROTOCOLS) console.log(p, PROTOCOL_INFO[p].source);
 * ```
 */
export const PROTOCOLS = ['melas-kyriazi', 'voynov', 'labels4free', 'ilsgan', 'ganseg'] as const;
/** One of {@link PROTOCOLS}. */
export type ProtocolName = (typeof PROTOCOLS)[number];

/**
 * The result of one protocol over a dataset. `acc`, `iou` and `fmax` are the
 * protocol's headline numbers (null where the paper's code does not define
 * one); `details` holds every number the reference code computes, under its
 * own name. Values that the reference computes as NaN stay NaN (and become
 * `null` in JSON).
 *
 * @example
 * ```ts
 * const r: MetricReport = await evaluate(preds, gts, 'voynov'); r.details.f_max_threshold;
 * ```
 */
export interface MetricReport {
  /** Which protocol produced the report. */
  readonly protocol: ProtocolName;
  /** Images accumulated. */
  readonly count: number;
  /** Pixel accuracy (per-image mean or dataset-level, as the protocol defines). */
  readonly acc: number | null;
  /** The protocol's headline IoU (see {@link PROTOCOL_INFO}). */
  readonly iou: number | null;
  /** Max F-beta (β² = 0.3) over thresholds, where the protocol defines it. */
  readonly fmax: number | null;
  /** Mean absolute error between the probability map and the binarized ground truth, averaged over images. */
  readonly mae: number;
  /** Every value the reference computes, under the reference's names. */
  readonly details: Readonly<Record<string, number>>;
}

/** What a protocol does, for READMEs and report footers. */
export interface ProtocolInfo {
  /** Repository and file of the reference code. */
  readonly source: string;
  /** How the headline IoU is aggregated. */
  readonly iou: string;
  /** Rule that turns a ground-truth mask value into foreground. */
  readonly gtRule: string;
  /** Rule that turns a prediction into a hard mask. */
  readonly predRule: string;
  /** Pre-processing the reference applies before the metric (not done by the accumulator). */
  readonly preprocessing: string;
}

/**
 * Per-protocol description.
 *
 * @example
 * ```ts
 * PROTOCOL_INFO.ganseg.iou; // 'per image intersection / (union + 1e-6), mean over images'
 * ```
 */
export const PROTOCOL_INFO: Readonly<Record<ProtocolName, ProtocolInfo>> = {
  'melas-kyriazi': {
    source: 'lukemelas/unsupervised-image-segmentation src/segmentation/metrics.py',
    iou: 'per image at p > 0.5, empty union counts 0, mean over images',
    gtRule: 'gt > 0.5',
    predRule: 'p > 0.5; F-max thresholds k/255, k = 1..254 (p > t)',
    preprocessing: 'p = softmax(logits)[1]; short side to 128 (centre crop for CUB and Flowers), logits upsampled bilinearly to the full-size mask',
  },
  voynov: {
    source: 'anvoynov/BigGANsAreWatching metrics.py, postprocessing.py',
    iou: 'per image at p >= 0.5 (Threshold), empty union gives NaN, mean over images',
    gtRule: 'gt != 0 (bool cast)',
    predRule: 'p >= 0.5; F-max thresholds k/255, k = 0..254 (p > t)',
    preprocessing: 'p = sigmoid(logit of class 1); short side to 128, probability resized back to the original size before thresholding; IoU/acc and F-max come from two runs (Threshold vs SegmentationInference)',
  },
  labels4free: {
    source: 'RameenAbdal/Labels4Free test_customdata.py',
    iou: 'one 2x2 confusion matrix over all pixels; IoU per class with eps 1e-4; mIoU = mean of the two classes',
    gtRule: 'int(v / 255) on 8-bit masks, i.e. only value 255 (x >= 1) is foreground',
    predRule: 'same as gt: x >= 1 (expects hard 0/255 masks)',
    preprocessing: 'none (PNG files compared as they are); files paired by natural-sorted position of *.png, not by name (labels4freePairs)',
  },
  ilsgan: {
    source: 'qrzou/ILSGAN eval_segmentation.py calc_metrics',
    iou: 'foreground IoU from a dataset-level confusion matrix (IoU); mIoU over both classes; DRC_IoU per image',
    gtRule: 'gt > 0.5',
    predRule: 'argmax of two logits, i.e. p > 0.5',
    preprocessing: 'test images and masks resized to the model resolution (128) around the bird bounding box (CUB)',
  },
  ganseg: {
    source: 'xingzhehe/GANSeg test_seg.py cal_iou',
    iou: 'per image intersection / (union + 1e-6), mean over images',
    gtRule: 'gt > 0.5 (CUB/Flowers masks come pre-binarized from its preprocessing scripts)',
    predRule: 'argmax over the K + 1 classes != 0 (background); equals p_fg > 0.5 only for two classes — for K + 1 > 2 feed gansegForeground(class probabilities)',
    preprocessing: 'images and masks at the model resolution',
  },
};

/** A streaming metric: one `add` per image, then `report`. */
export interface MetricAccumulator {
  /** The protocol this accumulator implements. */
  readonly protocol: ProtocolName;
  /** Add one image: `pred` probabilities and `gt` mask values, same length (H·W). */
  add(pred: ArrayLike<number>, gt: ArrayLike<number>): void;
  /** The aggregated report over every image added so far. */
  report(): MetricReport;
}

const BETA_SQ = 0.3;

const checkLengths = (where: string, pred: ArrayLike<number>, gt: ArrayLike<number>): void => {
  if (pred.length !== gt.length || pred.length === 0)
    throw new ShapeError(where, `pred and gt must have the same non-zero number of pixels, got ${pred.length} and ${gt.length}`);
};

/**
 * F-beta from precision and recall, NaN (0/0) counted as 0, as both references do.
 *
 * @example
 * ```ts
 * fBeta(1, 0.5); // 1.3*0.5/(0.3+0.5) = 0.8125
 * ```
 */
export const fBeta = (p: number, r: number, betaSq = BETA_SQ): number => {
  const f = ((1 + betaSq) * p * r) / (betaSq * p + r);
  return Number.isNaN(f) ? 0 : f;
};

/**
 * Precision/recall per threshold for one image, with the references' rules
 * (empty prediction ⇒ precision 1, empty ground truth ⇒ recall 1). Thresholds
 * ascending; a pixel is predicted foreground at threshold t when p > t.
 */
const precisionRecallCurve = (pred: ArrayLike<number>, gtFg: Uint8Array, thresholds: Float64Array): { p: Float64Array; r: Float64Array } => {
  const k = thresholds.length;
  const hist = new Float64Array(k + 1), histFg = new Float64Array(k + 1); // bucket j = number of thresholds below p
  let gtArea = 0;
  for (let i = 0; i < pred.length; i++) {
    const v = pred[i] as number;
    let lo = 0, hi = k; // first index with thresholds[idx] >= v
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((thresholds[mid] as number) < v) lo = mid + 1;
      else hi = mid;
    }
    hist[lo] = (hist[lo] as number) + 1;
    if (gtFg[i]) { histFg[lo] = (histFg[lo] as number) + 1; gtArea++; }
  }
  const p = new Float64Array(k), r = new Float64Array(k);
  let area = 0, tp = 0;
  for (let t = k - 1; t >= 0; t--) { // pixels with p > thresholds[t] are those in buckets t+1..k
    area += hist[t + 1] as number;
    tp += histFg[t + 1] as number;
    p[t] = area === 0 ? 1 : tp / area;
    r[t] = gtArea === 0 ? 1 : tp / gtArea;
  }
  return { p, r };
};

/** `np.arange(start/255, 1, 1/255)` as float32, the thresholds both F-max references use. */
const thresholds255 = (first: number): Float64Array => {
  const out = new Float64Array(255 - first);
  for (let k = first; k < 255; k++) out[k - first] = Math.fround(k * (1 / 255));
  return out;
};

const binarize = (x: ArrayLike<number>, rule: (v: number) => boolean): Uint8Array => {
  const out = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = rule(x[i] as number) ? 1 : 0;
  return out;
};

const maeOf = (pred: ArrayLike<number>, gtFg: Uint8Array): number => {
  let s = 0;
  for (let i = 0; i < pred.length; i++) s += Math.abs((pred[i] as number) - (gtFg[i] as number));
  return s / pred.length;
};

/** Intersection, union, prediction area, gt area, agreement count of two hard masks. */
const counts = (a: Uint8Array, b: Uint8Array): { inter: number; union: number; areaA: number; areaB: number; agree: number } => {
  let inter = 0, union = 0, areaA = 0, areaB = 0, agree = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number, y = b[i] as number;
    inter += x & y; union += x | y; areaA += x; areaB += y; agree += x === y ? 1 : 0;
  }
  return { inter, union, areaA, areaB, agree };
};

// ---------------------------------------------------------------------------
// melas-kyriazi and voynov: per-image averages + max F-beta
// ---------------------------------------------------------------------------

interface PerImageFmaxRules {
  readonly protocol: 'melas-kyriazi' | 'voynov';
  readonly gt: (v: number) => boolean;
  readonly hard: (v: number) => boolean;
  readonly firstThreshold: number;
  readonly emptyUnionIou: number;
}

const perImageFmax = (rules: PerImageFmaxRules): MetricAccumulator => {
  const thresholds = thresholds255(rules.firstThreshold);
  const fSum = new Float64Array(thresholds.length);
  let n = 0, accSum = 0, iouSum = 0, maeSum = 0;
  return {
    protocol: rules.protocol,
    add(pred, gt) {
      checkLengths(`${rules.protocol}.add`, pred, gt);
      const g = binarize(gt, rules.gt), h = binarize(pred, rules.hard);
      const c = counts(h, g);
      accSum += c.agree / pred.length;
      iouSum += c.union === 0 ? rules.emptyUnionIou : c.inter / c.union;
      maeSum += maeOf(pred, g);
      const { p, r } = precisionRecallCurve(pred, g, thresholds);
      for (let t = 0; t < thresholds.length; t++) fSum[t] = (fSum[t] as number) + fBeta(p[t] as number, r[t] as number);
      n++;
    },
    report() {
      let fmax = -Infinity, best = 0;
      fSum.forEach((s, t) => { if (s / n > fmax) { fmax = s / n; best = t; } });
      const acc = accSum / n, iou = iouSum / n;
      return {
        protocol: rules.protocol, count: n, acc, iou, fmax, mae: maeSum / n,
        details: { acc, iou, f_max: fmax, f_max_threshold: thresholds[best] as number, mae: maeSum / n },
      };
    },
  };
};

// ---------------------------------------------------------------------------
// labels4free: one confusion matrix, per-class table with eps = 1e-4
// ---------------------------------------------------------------------------

const labels4free = (): MetricAccumulator => {
  const cm = new Float64Array(4); // [gt * 2 + pred]
  let n = 0, maeSum = 0;
  const fg = (v: number): boolean => v >= 1; // int(v/255) for 8-bit values
  return {
    protocol: 'labels4free',
    add(pred, gt) {
      checkLengths('labels4free.add', pred, gt);
      const g = binarize(gt, fg), h = binarize(pred, fg);
      for (let i = 0; i < g.length; i++) { const k = (g[i] as number) * 2 + (h[i] as number); cm[k] = (cm[k] as number) + 1; }
      maeSum += maeOf(pred, g);
      n++;
    },
    report() {
      const eps = 1e-4, total = cm.reduce((a, b) => a + b, 0);
      const details: Record<string, number> = {};
      const rows = [0, 1].map((c) => {
        const tp = cm[c * 3] as number;                        // diag
        const predC = (cm[c] as number) + (cm[2 + c] as number); // column sum (fp + tp)
        const gtC = (cm[c * 2] as number) + (cm[c * 2 + 1] as number); // row sum (fn + tp)
        const A = (total - (predC + gtC - 2 * tp)) / total;
        const R = tp / (eps + gtC), P = tp / (eps + predC);
        const F1 = (2 * P * R) / (eps + P + R), IoU = tp / (eps + predC + gtC - tp);
        const name = c === 0 ? 'bg' : 'fg';
        Object.assign(details, { [`IoU_${name}`]: IoU, [`F1_${name}`]: F1, [`Prec_${name}`]: P, [`recall_${name}`]: R, [`Acc_${name}`]: A });
        return { IoU, F1, P, R, A };
      });
      const mean = (f: (r: (typeof rows)[number]) => number): number => rows.reduce((s, r) => s + f(r), 0) / rows.length;
      Object.assign(details, { mIoU: mean((r) => r.IoU), mF1: mean((r) => r.F1), mPrec: mean((r) => r.P), mRecall: mean((r) => r.R), mAcc: mean((r) => r.A) });
      Object.assign(details, { tn: cm[0], fp: cm[1], fn: cm[2], tp: cm[3] });
      return { protocol: 'labels4free', count: n, acc: details.mAcc as number, iou: details.mIoU as number, fmax: null, mae: maeSum / n, details };
    },
  };
};

/**
 * Python `natsort.natsorted`'s default order (`ns.INT`): names split into text and unsigned-integer
 * runs, texts compared by code point, integers by value (`Car2` < `Car10`). Equal keys keep their order.
 *
 * @example
 * ```ts
 * ['Car10.png', 'Car2.png', 'Car1.png'].sort(naturalCompare); // ['Car1.png', 'Car2.png', 'Car10.png']
 * ```
 */
export const naturalCompare = (a: string, b: string): number => {
  const x = a.split(/(\d+)/), y = b.split(/(\d+)/); // even indices text, odd indices digits
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const u = x[i] as string, v = y[i] as string;
    if (i % 2 === 1) {
      const d = BigInt(u) - BigInt(v);
      if (d !== 0n) return d < 0n ? -1 : 1;
    } else if (u !== v) return u < v ? -1 : 1;
  }
  return x.length - y.length;
};

/**
 * How `test_customdata.py` pairs files: `natsorted(glob(dir + '/*.png'))` of each folder (top level,
 * lower-case `.png` only) zipped by position, whatever the names (`Cat1.png` ↔ `1.png`); the counts must
 * match (the script's `assert`). Takes file names relative to each folder; returns `[pred, gt]` pairs.
 *
 * @example
 * ```ts
 * labels4freePairs(['1.png', '10.png', '2.png'], ['Cat1.png', 'Cat2.png', 'Cat10.png']);
 * // [['1.png', 'Cat1.png'], ['2.png', 'Cat2.png'], ['10.png', 'Cat10.png']]
 * ```
 */
export const labels4freePairs = (preds: readonly string[], gts: readonly string[]): Array<readonly [string, string]> => {
  const pngs = (xs: readonly string[]): string[] => xs.filter((f) => f.endsWith('.png') && !/[\\/]/.test(f)).sort(naturalCompare);
  const p = pngs(preds), g = pngs(gts);
  if (p.length !== g.length) throw new DataError('labels4freePairs', `test_customdata.py pairs *.png files by sorted position and needs as many predictions as masks: ${p.length} predictions, ${g.length} masks`);
  return p.map((f, i) => [f, g[i] as string] as const);
};

// ---------------------------------------------------------------------------
// ilsgan: dataset confusion matrix + DRC per-image IoU and Dice
// ---------------------------------------------------------------------------

const ilsgan = (): MetricAccumulator => {
  const C = new Float64Array(4); // [pred * 2 + gt]
  let n = 0, iouSum = 0, diceSum = 0, maeSum = 0;
  return {
    protocol: 'ilsgan',
    add(pred, gt) {
      checkLengths('ilsgan.add', pred, gt);
      const g = binarize(gt, (v) => v > 0.5), h = binarize(pred, (v) => v > 0.5);
      for (let i = 0; i < g.length; i++) { const k = (h[i] as number) * 2 + (g[i] as number); C[k] = (C[k] as number) + 1; }
      const c = counts(h, g);
      iouSum += c.inter / c.union;              // NaN on an empty union, as in the reference
      diceSum += (2 * c.inter) / (c.areaA + c.areaB);
      maeSum += maeOf(pred, g);
      n++;
    },
    report() {
      const total = C.reduce((a, b) => a + b, 0);
      const pACC = ((C[0] as number) + (C[3] as number)) / total;
      const iouC = [0, 1].map((k) => {
        let union = (C[k * 2] as number) + (C[k * 2 + 1] as number) + (C[k] as number) + (C[2 + k] as number) - (C[k * 3] as number);
        if (union === 0) union = 1e-8;
        return (C[k * 3] as number) / union;
      });
      const IoU = iouC[1] as number, mIoU = ((iouC[0] as number) + (iouC[1] as number)) / 2;
      const details = { pACC, IoU, mIoU, DRC_IoU: iouSum / n, DRC_DICE: diceSum / n, mae: maeSum / n };
      return { protocol: 'ilsgan', count: n, acc: pACC, iou: IoU, fmax: null, mae: maeSum / n, details };
    },
  };
};

// ---------------------------------------------------------------------------
// ganseg: per-image IoU with +1e-6 in the denominator
// ---------------------------------------------------------------------------

const ganseg = (): MetricAccumulator => {
  let n = 0, iouSum = 0, maeSum = 0;
  return {
    protocol: 'ganseg',
    add(pred, gt) {
      checkLengths('ganseg.add', pred, gt);
      const g = binarize(gt, (v) => v > 0.5), h = binarize(pred, (v) => v > 0.5);
      const c = counts(h, g);
      iouSum += Math.fround(c.inter / Math.fround(c.union + 1e-6));
      maeSum += maeOf(pred, g);
      n++;
    },
    report() {
      const iou = iouSum / n;
      return { protocol: 'ganseg', count: n, acc: null, iou, fmax: null, mae: maeSum / n, details: { test_iou: iou, mae: maeSum / n } };
    },
  };
};

/**
 * `test_seg.py`'s prediction rule for a K-class segmenter: a pixel is foreground when the argmax of its
 * class probabilities (channel-last, `classes` per pixel, channel 0 the background) is not 0 — ties go to
 * the first class, as `torch.max`. Returns 0/1 per pixel, to `add` to the `ganseg` accumulator. With K > 2
 * this differs from p_fg = 1 − p_bg > 0.5 (p = 0.4, 0.3, 0.3 is background by argmax, foreground by p_fg).
 *
 * @example
 * ```ts
 * gansegForeground([0.4, 0.3, 0.3, 0.2, 0.5, 0.3], 3); // Float32Array [0, 1]
 * ```
 */
export const gansegForeground = (probabilities: ArrayLike<number>, classes: number): Float32Array => {
  if (!(Number.isInteger(classes) && classes >= 1) || probabilities.length % classes !== 0)
    throw new ShapeError('gansegForeground', `expected a multiple of ${classes} class probabilities, got ${probabilities.length}`);
  const out = new Float32Array(probabilities.length / classes);
  for (let i = 0; i < out.length; i++) {
    let best = 0, max = probabilities[i * classes] as number;
    for (let c = 1; c < classes; c++) { const v = probabilities[i * classes + c] as number; if (v > max) { max = v; best = c; } }
    out[i] = best === 0 ? 0 : 1;
  }
  return out;
};

/**
 * A fresh accumulator for `protocol`.
 *
 * @example
 * ```ts
 * const acc = createAccumulator('melas-kyriazi');
 * acc.add(predProbabilities, gtMask); // Float32Array of H*W each
 * const r = acc.report();             // { protocol, count, acc, iou, fmax, mae, details }
 * ```
 */
export const createAccumulator = (protocol: ProtocolName): MetricAccumulator => {
  switch (protocol) {
    case 'melas-kyriazi':
      return perImageFmax({ protocol, gt: (v) => v > 0.5, hard: (v) => v > 0.5, firstThreshold: 1, emptyUnionIou: 0 });
    case 'voynov':
      return perImageFmax({ protocol, gt: (v) => v !== 0, hard: (v) => v >= 0.5, firstThreshold: 0, emptyUnionIou: NaN });
    case 'labels4free':
      return labels4free();
    case 'ilsgan':
      return ilsgan();
    case 'ganseg':
      return ganseg();
  }
};
