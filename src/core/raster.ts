/**
 * The plain-pixel image type every layer shares (decoded files, masks, metric inputs).
 *
 * @module
 */

/**
 * An image as interleaved float samples in [0, 1], row-major `[H, W, C]`.
 * 8-bit files are divided by 255, 16-bit files by 65535.
 *
 * @example
 * ```ts
 * const r: Raster = { width: 2, height: 1, channels: 1, data: Float32Array.from([0, 1]) };
 * ```
 */
export interface Raster {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** Samples per pixel: 1 (grey/mask), 3 (RGB) or 4 (RGBA). */
  readonly channels: number;
  /** `height * width * channels` samples in [0, 1]. */
  readonly data: Float32Array;
}
