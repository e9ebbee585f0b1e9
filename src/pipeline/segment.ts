/**
 * Using a trained segmenter on any folder of images: load a UNet checkpoint
 * written by the pipeline, predict, write mask PNGs.
 *
 * @module
 */
import { existsSync, readdirSync, mkdirSync, statSync } from 'node:fs';
import { extname, join, basename } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../core/rng.ts';
import { WeightsError } from '../core/errors.ts';
import { createUNet, loadUNetFile, type UNet } from '../models/unet/index.ts';
import { listCheckpoints, loadCheckpoint, restoreVariables } from '../train/checkpoint.ts';
import { namedVariables } from '../train/loop.ts';
import { readImage, writePng } from '../io/image-file.ts';
import { resize, toRgb } from '../io/image.ts';
import type { Raster } from '../core/raster.ts';
import { readTidy } from '../core/tensor.ts';
import { predictProbabilities } from './segmenter.ts';

/** A loaded segmenter. */
export interface LoadedSegmenter {
  /** The network. */
  readonly model: UNet;
  /** Side it was trained at. */
  readonly resolution: number;
  /** The checkpoint folder or weights file it came from. */
  readonly checkpoint: string;
}

/** The checkpoint folder for `path`: itself, or in a run folder the best, else the newest. */
const resolveCheckpoint = (path: string): string => {
  if (existsSync(join(path, 'manifest.json'))) return path;
  for (const root of [join(path, 'checkpoints'), path]) {
    const best = listCheckpoints(root, 'best-')[0] ?? listCheckpoints(root)[0];
    if (best) return best.dir;
  }
  throw new WeightsError(`loadSegmenter(${path})`, 'no checkpoint here (expected a checkpoint folder with manifest.json, or a run folder with checkpoints/)');
};

/** Options of {@link loadSegmenter}. */
export interface LoadSegmenterOptions {
  /**
   * Side images are resized to before the network, for a weights file (a checkpoint folder records its
   * own). Default 128, the side Melas-Kyriazi et al. evaluate at.
   */
  readonly resolution?: number;
}

/**
 * Load a UNet trained by the pipeline (`trainSegmenterStage`) from a checkpoint or run folder, or a
 * weights file (a milesial Pytorch-UNet `.pt`/`.pth`, or our safetensors: {@link loadUNetFile}).
 *
 * @example
 * ```ts
 * const { model, resolution } = loadSegmenter('out/unet');
 * ```
 */
export const loadSegmenter = (path: string, options: LoadSegmenterOptions = {}): LoadedSegmenter => {
  if (existsSync(path) && statSync(path).isFile()) return { model: loadUNetFile(path), resolution: options.resolution ?? 128, checkpoint: path };
  const dir = resolveCheckpoint(path);
  const ck = loadCheckpoint(dir);
  const meta = ck.meta as { config?: { model?: Record<string, unknown> } } | undefined;
  const m = meta?.config?.model;
  if (!m || typeof m.resolution !== 'number') throw new WeightsError(`loadSegmenter(${dir})`, 'checkpoint has no model record with a resolution (not written by the pipeline?)');
  const { resolution, ...unetConfig } = m;
  const model = createUNet(unetConfig, new Rng('load'));
  restoreVariables(ck, namedVariables('model', model.variables()));
  return { model, resolution: resolution as number, checkpoint: dir };
};

/** Options of {@link segmentImage}. */
export interface SegmentImageOptions {
  /** Probability threshold for the mask. Default 0.5. */
  readonly threshold?: number;
  /** Return probabilities clamped to [0, 1] instead of a binary mask. Default false. */
  readonly probabilities?: boolean;
}

/**
 * The foreground mask of one RGB image at its own size, as `segment` writes it: the image area-resized
 * to the segmenter's side, scaled to [-1, 1], the network's foreground probability, bilinear back to
 * the image's size (align_corners), thresholded. Returns `height × width` values in row order, {0, 1}
 * (or probabilities in [0, 1]).
 *
 * @example
 * ```ts
 * const mask = segmentImage(loadSegmenter('out/unet'), toRgb(readImage('horse.jpg'))); // Float32Array, 1 = foreground
 * ```
 */
export const segmentImage = (seg: LoadedSegmenter, img: Raster, opts: SegmentImageOptions = {}): Float32Array => {
  if (img.channels !== 3) throw new RangeError(`segmentImage: an RGB image is needed, got ${img.channels} channel(s) (use toRgb)`);
  const thr = opts.threshold ?? 0.5;
  const small = resize(img, seg.resolution, seg.resolution, 'area');
  const p = readTidy(() => {
    const x = tf.tensor4d(small.data, [1, seg.resolution, seg.resolution, 3]).mul(2).sub(1) as tf.Tensor4D;
    const prob = predictProbabilities(seg.model, seg.resolution, x);
    return tf.image.resizeBilinear(prob, [img.height, img.width], true);
  });
  if (opts.probabilities) for (let k = 0; k < p.length; k++) p[k] = Math.min(1, Math.max(0, p[k]!));
  else for (let k = 0; k < p.length; k++) p[k] = p[k]! > thr ? 1 : 0;
  return p;
};

/** Options of {@link segmentFolder}. */
export interface SegmentFolderOptions extends SegmentImageOptions {
  /** Called after each image. */
  readonly onImage?: (done: number, total: number, file: string) => void;
}

/**
 * Write one mask PNG per image of `imagesDir` (JPEG/PNG) into `outDir`, same
 * stem, at the image's own size ({@link segmentImage}). Returns the files written.
 *
 * @example
 * ```ts
 * segmentFolder(loadSegmenter('out/unet'), 'photos', 'out/masks');
 * ```
 */
export const segmentFolder = (seg: LoadedSegmenter, imagesDir: string, outDir: string, opts: SegmentFolderOptions = {}): string[] => {
  const files = readdirSync(imagesDir).filter((f) => ['.jpg', '.jpeg', '.png'].includes(extname(f).toLowerCase())).sort();
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  files.forEach((f, i) => {
    const img = toRgb(readImage(join(imagesDir, f)));
    const data = segmentImage(seg, img, opts);
    const out = join(outDir, `${basename(f, extname(f))}.png`);
    writePng(out, { width: img.width, height: img.height, channels: 1, data });
    written.push(out);
    opts.onImage?.(i + 1, files.length, out);
  });
  return written;
};
