/**
 * UNet configuration (milesial/Pytorch-UNet, generalised to any width and depth).
 *
 * @module
 */
import * as t from 'io-ts';
import { PositiveInt } from '../../core/codec.ts';

/**
 * UNet architecture. milesial/Pytorch-UNet: 3 input channels, 64 wide, 4 levels,
 * transposed-conv upsampling by default (`bilinear=False`).
 *
 * @example
 * ```ts
 * const cfg = decodeOrThrow(UNetConfig, { inChannels: 3, nClasses: 2, width: 32, depth: 4, bilinear: false });
 * ```
 */
export const UNetConfig = t.type({
  /** Input channels. milesial: 3 (`n_channels`). */
  inChannels: PositiveInt,
  /**
   * Output channels: 1 → a foreground logit (sigmoid); 2 → background/foreground logits (softmax; Melas-Kyriazi et al.
   * uses 2); K > 2 → K class logits, channel 0 the background (part segmentation, GANSeg). milesial: `n_classes`.
   */
  nClasses: PositiveInt,
  /** Channels of the first level; level i has `width·2^i`. milesial: 64. */
  width: PositiveInt,
  /** Number of down (and up) steps. milesial: 4. */
  depth: PositiveInt,
  /** Upsample by bilinear interpolation (align_corners=True) instead of a transposed conv. milesial default: false. */
  bilinear: t.boolean,
});
/** UNet architecture. */
export type UNetConfig = t.TypeOf<typeof UNetConfig>;

/**
 * milesial/Pytorch-UNet's defaults with Melas-Kyriazi et al.'s two classes.
 *
 * @example
 * ```ts
 * const unet = createUNet({ ...milesialUNetConfig, width: 32 as PositiveInt }, new Rng(0));
 * ```
 */
export const milesialUNetConfig: UNetConfig = {
  inChannels: 3 as PositiveInt,
  nClasses: 2 as PositiveInt,
  width: 64 as PositiveInt,
  depth: 4 as PositiveInt,
  bilinear: false,
};

/**
 * Channels of level `i` (0 = full resolution) for a config.
 *
 * @example
 * ```ts
 * levelChannels(milesialUNetConfig, 4); // 1024
 * ```
 */
export const levelChannels = (c: UNetConfig, i: number): number => c.width * 2 ** i;
