/**
 * Image grids for looking at results: rows of images, masks and mask-on-image
 * overlays composed into one {@link Raster}. Pure compute; `writeGrid` in
 * `image-file.ts` writes the PNG.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { readTidy, type ImageBatch, type MaskBatch } from '../core/tensor.ts';
import { ShapeError } from '../core/errors.ts';
import { createRaster, type Raster } from './image.ts';

/** A row drawn as a mask tinted over an image. */
export interface OverlayRow {
  /** Images, NHWC in [-1, 1]. */
  readonly image: ImageBatch;
  /** Masks, NHW1 in [0, 1], same N, H, W. */
  readonly mask: MaskBatch;
  /** Tint colour, RGB in [0, 1]. Default red `[1, 0, 0]`. */
  readonly color?: readonly [number, number, number];
  /** Tint strength where the mask is 1. Default 0.5. */
  readonly alpha?: number;
}

/** One grid row: an image batch (3 channels), a mask batch (1 channel) or an overlay. */
export type GridRow = ImageBatch | MaskBatch | OverlayRow;

/** Options of {@link gridRaster} and `writeGrid`. */
export interface GridOptions {
  /** At most this many columns (batch items) per row. Default: all. */
  readonly maxColumns?: number;
  /** Gap between cells in pixels. Default 2. */
  readonly gap?: number;
  /** Gap colour (grey level in [0, 1]). Default 1 (white). */
  readonly background?: number;
}

const isOverlay = (r: GridRow): r is OverlayRow => !(r instanceof tf.Tensor);

/** Convert one row to `[N,H,W,3]` float values in [0, 1]. */
const rowPixels = (row: GridRow): { n: number; h: number; w: number; data: Float32Array } => {
  if (isOverlay(row)) {
    const [n, h, w, c] = row.image.shape;
    if (c !== 3 || row.mask.shape[0] !== n || row.mask.shape[1] !== h || row.mask.shape[2] !== w || row.mask.shape[3] !== 1)
      throw new ShapeError('gridRaster', `overlay needs image [N,H,W,3] and mask [N,H,W,1], got [${row.image.shape}] and [${row.mask.shape}]`);
    const color = row.color ?? [1, 0, 0], alpha = row.alpha ?? 0.5;
    const data = readTidy(() => {
      const img = row.image.add(1).div(2).clipByValue(0, 1);
      const m = row.mask.clipByValue(0, 1).mul(alpha);
      return img.mul(tf.scalar(1).sub(m)).add(m.mul(tf.tensor1d([...color])));
    });
    return { n, h, w, data };
  }
  if (row.rank !== 4) throw new ShapeError('gridRaster', `row must be [N,H,W,C], got [${row.shape}]`);
  const [n, h, w, c] = row.shape;
  if (c === 3) return { n, h, w, data: readTidy(() => row.add(1).div(2).clipByValue(0, 1)) };
  if (c === 1) return { n, h, w, data: readTidy(() => tf.tile(row.clipByValue(0, 1), [1, 1, 1, 3])) };
  throw new ShapeError('gridRaster', `row must have 1 (mask) or 3 (image) channels, got ${c}`);
};

/**
 * Compose rows into one RGB raster: row r, column i shows item i of row r.
 * Images are read as [-1, 1], masks as [0, 1]. Rows may differ in size (cells
 * are as large as the largest item; smaller ones sit top-left).
 *
 * @example
 * ```ts
 * const g = gridRaster([images, masks, { image: images, mask: masks }], { maxColumns: 8 });
 * ```
 */
export const gridRaster = (rows: readonly GridRow[], options: GridOptions = {}): Raster => {
  if (rows.length === 0) throw new ShapeError('gridRaster', 'need at least one row');
  const gap = options.gap ?? 2, bg = options.background ?? 1;
  const px = rows.map(rowPixels);
  const cols = Math.min(options.maxColumns ?? Infinity, Math.max(...px.map((p) => p.n)));
  const cellH = Math.max(...px.map((p) => p.h)), cellW = Math.max(...px.map((p) => p.w));
  const W = cols * cellW + (cols + 1) * gap, H = rows.length * cellH + (rows.length + 1) * gap;
  const out = createRaster(W, H, 3, bg);
  px.forEach((p, r) => {
    for (let i = 0; i < Math.min(cols, p.n); i++) {
      const top = gap + r * (cellH + gap), left = gap + i * (cellW + gap);
      for (let y = 0; y < p.h; y++) {
        const src = p.data.subarray((i * p.h + y) * p.w * 3, (i * p.h + y + 1) * p.w * 3);
        out.data.set(src, ((top + y) * W + left) * 3);
      }
    }
  });
  return out;
};
