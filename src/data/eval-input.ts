/**
 * The evaluation inputs of Melas-Kyriazi et al. (`SegmentationDataset(crop=…, resize_mask=False)`
 * in lukemelas/unsupervised-image-segmentation): the image is (for CUB and Flowers) centre-cropped
 * to a square, then its short side resized to 128; the mask stays at full resolution (centre-cropped
 * the same way). The model's probability map is then upsampled bilinearly to the mask's size.
 * `gan-segmenter evaluate --layout <benchmark>` scores prediction files this way
 * ({@link melasScoringPair}).
 *
 * @module
 */
import { centerCrop, resize, shortSideSize, type Raster } from '../io/image.ts';
import type { SegmentationSample } from './shapes.ts';

/** A model input and the full-resolution ground truth it is scored against. */
export interface EvalPair {
  /** RGB image, short side `size`. */
  readonly input: Raster;
  /** Ground-truth mask at full resolution (cropped when the layout crops). */
  readonly gt: Raster;
}

/**
 * Build the melas-kyriazi evaluation pair of one sample. PIL's antialiased bilinear
 * resize is approximated by our area filter when shrinking.
 *
 * @example
 * ```ts
 * const { input, gt } = melasEvalPair(await cub.get(0), BENCHMARK_LAYOUTS['CUB_200_2011/test'].centerCrop);
 * const prob = upsampleProbability(predict(input), gt.width, gt.height);
 * ```
 */
export const melasEvalPair = (sample: SegmentationSample, crop: boolean, size = 128): EvalPair => {
  const image = crop ? centerCrop(sample.image) : sample.image, gt = crop ? centerCrop(sample.mask) : sample.mask;
  const s = shortSideSize(image.width, image.height, size);
  return { input: resize(image, s.width, s.height, 'area'), gt };
};

/**
 * Upsample a probability map bilinearly (half-pixel centres, as `F.interpolate(…, mode='bilinear', align_corners=False)`).
 *
 * @example
 * ```ts
 * const full = upsampleProbability(prob128, 400, 300);
 * ```
 */
export const upsampleProbability = (prob: Raster, width: number, height: number): Raster => resize(prob, width, height, 'bilinear');

/** A prediction and its ground truth, ready to score (same size). */
export interface ScoringPair {
  /** Foreground probability, at the mask's size. */
  readonly pred: Raster;
  /** Ground-truth mask (centre-cropped where the layout crops). */
  readonly gt: Raster;
}

/**
 * The melas-kyriazi scoring pair of a saved prediction and its full-resolution ground truth:
 * when the layout crops (CUB, Flowers) the mask is centre-cropped, and so is the prediction
 * unless it is already square (a map of the cropped input); the prediction is then
 * upsampled bilinearly to the mask's size ({@link upsampleProbability}). A prediction of
 * the mask's own size is left as it is.
 *
 * @example
 * ```ts
 * const { pred, gt } = melasScoringPair(predictionPng, maskPng, BENCHMARK_LAYOUTS['CUB_200_2011/test'].centerCrop);
 * accumulator.add(pred.data, gt.data);
 * ```
 */
export const melasScoringPair = (pred: Raster, gt: Raster, crop: boolean): ScoringPair => {
  const g = crop ? centerCrop(gt) : gt;
  const p = crop && pred.width !== pred.height ? centerCrop(pred) : pred;
  return { pred: upsampleProbability(p, g.width, g.height), gt: g };
};
