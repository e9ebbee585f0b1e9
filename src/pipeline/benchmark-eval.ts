/**
 * Scoring a segmenter on photos at their own resolution, as the papers do (Melas-Kyriazi et al.'s
 * `SegmentationDataset(resize_mask=False)`): the photo's short side is resized (area filter) to the
 * segmenter's side, the long side in proportion (rounded to a multiple of the UNet's down-sampling
 * factor), the foreground probability is upsampled bilinearly (half-pixel centres, PyTorch
 * `F.interpolate(mode='bilinear', align_corners=False)`) to the photo's full size, thresholded at 0.5
 * and compared with the full-size mask. Optional levers: test-time flip averaging and GrabCut refinement.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { Raster } from '../core/raster.ts';
import { ShapeError } from '../core/errors.ts';
import { readTidy } from '../core/tensor.ts';
import { upsampleProbability } from '../data/eval-input.ts';
import { refineWithGrabcut, type RefineOptions } from '../data/refine.ts';
import { resize, shortSideSize } from '../io/image.ts';
import type { TrainableSegmenter } from '../train/segmenter.ts';

/** Options of {@link predictPhoto}. */
export interface PredictPhotoOptions {
  /** Average the probability with that of the horizontally flipped photo (flipped back). Default false. */
  readonly flip?: boolean;
  /** The UNet's down-sampling factor (2^depth): input sides are rounded to a multiple of it. Default 8. */
  readonly multiple?: number;
}

/** A segmenter input's size in pixels. */
export interface InputSize {
  /** Columns. */
  readonly width: number;
  /** Rows. */
  readonly height: number;
}

/**
 * The input size of a `width × height` photo for a segmenter trained at `side`²: short side `side`,
 * long side in proportion, both rounded to a multiple of `multiple` (at least `multiple`).
 *
 * @example
 * ```ts
 * inputSize(315, 232, 32, 8); // { width: 40, height: 32 }
 * ```
 */
export const inputSize = (width: number, height: number, side: number, multiple = 8): InputSize => {
  const s = shortSideSize(width, height, side);
  const r = (v: number): number => Math.max(multiple, Math.round(v / multiple) * multiple);
  return { width: r(s.width), height: r(s.height) };
};

/**
 * Foreground probability of one photo (RGB raster in [0, 1]) at the photo's own size: the photo at
 * {@link inputSize} through the segmenter (sigmoid of its foreground logit), optionally averaged with
 * the flipped pass (`flip`: (p(x) + flip(p(flip(x)))) / 2 at the segmenter's size), then upsampled
 * bilinearly ({@link upsampleProbability}).
 *
 * @example
 * ```ts
 * const p = predictPhoto(unet, 32, toRgb(readImage('horse.jpg')), { flip: true }); // channels 1, photo's size
 * ```
 */
export const predictPhoto = (model: TrainableSegmenter, side: number, photo: Raster, options: PredictPhotoOptions = {}): Raster => {
  if (photo.channels !== 3) throw new ShapeError('predictPhoto', `expected an RGB photo, found ${photo.channels} channels`);
  const size = inputSize(photo.width, photo.height, side, options.multiple ?? 8);
  const small = resize(photo, size.width, size.height, 'area');
  const data = readTidy(() => {
    const x = tf.tensor4d(small.data, [1, size.height, size.width, 3]).mul(2).sub(1) as tf.Tensor4D; // [1,h,w,3] in [-1,1]
    const p = tf.sigmoid(model.logits(x, false));
    if (!options.flip) return p;
    const pf = tf.reverse(tf.sigmoid(model.logits(tf.reverse(x, 2), false)), 2);
    return tf.div(tf.add(p, pf), 2);
  });
  return upsampleProbability({ width: size.width, height: size.height, channels: 1, data }, photo.width, photo.height);
};

/** How a probability map becomes the scored mask. */
export interface PhotoVariant {
  /** Test-time flip averaging. */
  readonly flip: boolean;
  /** `grabcut`: GrabCut seeded from the probability ({@link refineWithGrabcut}); `none`: p > 0.5. */
  readonly refine: 'none' | 'grabcut';
}

/** A variant's name in reports: `plain`, `flip`, `grabcut`, `flip+grabcut`. */
export const variantName = (v: PhotoVariant): string => [v.flip ? 'flip' : '', v.refine === 'grabcut' ? 'grabcut' : ''].filter((s) => s !== '').join('+') || 'plain';

/**
 * The mask of one variant: the (flip-averaged) probability as it is, or refined with GrabCut.
 *
 * @example
 * ```ts
 * const m = await photoMask(photo, p, { flip: false, refine: 'grabcut' });
 * ```
 */
export const photoMask = async (photo: Raster, prob: Raster, variant: PhotoVariant, refine: RefineOptions = {}): Promise<Raster> =>
  variant.refine === 'grabcut' ? refineWithGrabcut(photo, prob, refine) : prob;

/**
 * Per-image IoU of the melas-kyriazi protocol: prediction p > 0.5, ground truth g > 0.5, an empty union
 * counts 0.
 *
 * @example
 * ```ts
 * imageIou([0.9, 0.9, 0.1, 0.1], [1, 0, 0, 0]); // 0.5
 * ```
 */
export const imageIou = (pred: ArrayLike<number>, gt: ArrayLike<number>): number => {
  if (pred.length !== gt.length) throw new ShapeError('imageIou', `expected equal sizes, found ${pred.length} and ${gt.length}`);
  let inter = 0, union = 0;
  for (let i = 0; i < pred.length; i++) {
    const a = (pred[i] as number) > 0.5, b = (gt[i] as number) > 0.5;
    if (a && b) inter++;
    if (a || b) union++;
  }
  return union === 0 ? 0 : inter / union;
};
