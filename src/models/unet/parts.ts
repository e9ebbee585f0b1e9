/**
 * UNet blocks (milesial/Pytorch-UNet `unet_parts.py`): DoubleConv, Down, Up,
 * OutConv, as parameter records + pure apply functions.
 *
 * https://arxiv.org/abs/1505.04597
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../core/rng.ts';
import { assertShape } from '../../core/tensor.ts';
import { conv2d, conv2dTranspose, createConv2d, createConvTranspose2d, layerVariables, maxPool2d, type Conv2dParams, type ConvTranspose2dParams } from '../../nn/conv.ts';
import { batchNormRelu, batchNormVariables, createBatchNorm, type BatchNormParams } from '../../nn/norm.ts';
import type { WeightTargets } from '../../io/weights.ts';
import { batchNormTargets, convTargets, convTransposeTargets } from './torch-names.ts';

// ---------------------------------------------------------------------------
// DoubleConv: (conv3×3 ⇒ BN ⇒ ReLU) × 2
// ---------------------------------------------------------------------------

/** Variables of a DoubleConv (`double_conv.0`, `.1`, `.3`, `.4`). */
export interface DoubleConv {
  /** First 3×3 conv, no bias. */
  readonly conv1: Conv2dParams;
  /** First batch norm. */
  readonly bn1: BatchNormParams;
  /** Second 3×3 conv, no bias. */
  readonly conv2: Conv2dParams;
  /** Second batch norm. */
  readonly bn2: BatchNormParams;
}

/**
 * Create a DoubleConv `inCh → mid → outCh` (mid defaults to outCh).
 *
 * @example
 * ```ts
 * const inc = createDoubleConv(3, 64, new Rng(0));
 * ```
 */
export const createDoubleConv = (inCh: number, outCh: number, rng: Rng, mid = outCh): DoubleConv => ({
  conv1: createConv2d({ inChannels: inCh, outChannels: mid, kernelSize: 3, bias: false }, rng),
  bn1: createBatchNorm({ channels: mid }),
  conv2: createConv2d({ inChannels: mid, outChannels: outCh, kernelSize: 3, bias: false }, rng),
  bn2: createBatchNorm({ channels: outCh }),
});

/**
 * (conv3×3 ⇒ BN ⇒ ReLU) × 2: [N,H,W,in] → [N,H,W,out].
 *
 * @example
 * ```ts
 * const y = doubleConv(inc, x, false);
 * ```
 */
export const doubleConv = (p: DoubleConv, x: tf.Tensor4D, training: boolean): tf.Tensor4D =>
  tf.tidy(() => {
    const h = batchNormRelu(p.bn1, conv2d(p.conv1, x, { padding: 1 }), training);
    return batchNormRelu(p.bn2, conv2d(p.conv2, h, { padding: 1 }), training);
  });

/**
 * Variables of a DoubleConv in state-dict order.
 *
 * @example
 * ```ts
 * const vars = doubleConvVariables(inc);
 * ```
 */
export const doubleConvVariables = (p: DoubleConv): tf.Variable[] => [
  ...layerVariables(p.conv1), ...batchNormVariables(p.bn1), ...layerVariables(p.conv2), ...batchNormVariables(p.bn2),
];

/**
 * Register `<prefix>.double_conv.{0,1,3,4}.*`.
 *
 * @example
 * ```ts
 * doubleConvTargets(targets, 'inc', inc);
 * ```
 */
export const doubleConvTargets = (out: WeightTargets, prefix: string, p: DoubleConv): void => {
  convTargets(out, `${prefix}.double_conv.0`, p.conv1);
  batchNormTargets(out, `${prefix}.double_conv.1`, p.bn1);
  convTargets(out, `${prefix}.double_conv.3`, p.conv2);
  batchNormTargets(out, `${prefix}.double_conv.4`, p.bn2);
};

// ---------------------------------------------------------------------------
// Down: maxpool ⇒ DoubleConv
// ---------------------------------------------------------------------------

/**
 * Down: 2×2 max pool then DoubleConv (`maxpool_conv.1`).
 *
 * @example
 * ```ts
 * const y = down(down1, x, false); // [N,H/2,W/2,2C]
 * ```
 */
export const down = (p: DoubleConv, x: tf.Tensor4D, training: boolean): tf.Tensor4D =>
  tf.tidy(() => doubleConv(p, maxPool2d(x, 2), training));

// ---------------------------------------------------------------------------
// Up: upsample ⇒ pad ⇒ concat skip ⇒ DoubleConv
// ---------------------------------------------------------------------------

/** Variables of an Up block. */
export interface Up {
  /** Transposed conv k2 s2 `in → in/2` (`up`), or undefined for bilinear upsampling. */
  readonly up: ConvTranspose2dParams | undefined;
  /** DoubleConv after the concatenation (`conv`). */
  readonly conv: DoubleConv;
}

/**
 * Create an Up block `inCh → outCh` (milesial `Up(in, out, bilinear)`): bilinear
 * uses DoubleConv(in, out, mid = in/2); otherwise a transposed conv halves the
 * channels first and DoubleConv(in, out) follows.
 *
 * @example
 * ```ts
 * const up1 = createUp(1024, 512, false, new Rng(0));
 * ```
 */
export const createUp = (inCh: number, outCh: number, bilinear: boolean, rng: Rng): Up =>
  bilinear
    ? { up: undefined, conv: createDoubleConv(inCh, outCh, rng, Math.floor(inCh / 2)) }
    : {
        up: createConvTranspose2d({ inChannels: inCh, outChannels: Math.floor(inCh / 2), kernelSize: 2 }, rng),
        conv: createDoubleConv(inCh, outCh, rng),
      };

/**
 * Up: upsample `x1` ×2, zero-pad it to `skip`'s size (extra row/column at the
 * bottom/right, as `F.pad(x1, [dx//2, dx − dx//2, dy//2, dy − dy//2])`),
 * concatenate `[skip, x1]` on channels, DoubleConv.
 *
 * @example
 * ```ts
 * const y = up(up1, x5, x4, false);
 * ```
 */
export const up = (p: Up, x1: tf.Tensor4D, skip: tf.Tensor4D, training: boolean): tf.Tensor4D =>
  tf.tidy(() => {
    const [n, h, w] = x1.shape;
    assertShape('unet.up', skip, [n, null, null, null], 'skip');
    const u = p.up ? conv2dTranspose(p.up, x1, { stride: 2 }) : tf.image.resizeBilinear(x1, [2 * h, 2 * w], true);
    const dy = skip.shape[1] - u.shape[1], dx = skip.shape[2] - u.shape[2];
    const padded = dy === 0 && dx === 0 ? u : tf.pad(u, [[0, 0], [Math.floor(dy / 2), dy - Math.floor(dy / 2)], [Math.floor(dx / 2), dx - Math.floor(dx / 2)], [0, 0]]);
    return doubleConv(p.conv, tf.concat([skip, padded], 3), training);
  });

/**
 * Variables of an Up block in state-dict order.
 *
 * @example
 * ```ts
 * const vars = upVariables(up1);
 * ```
 */
export const upVariables = (p: Up): tf.Variable[] => [...(p.up ? layerVariables(p.up) : []), ...doubleConvVariables(p.conv)];

/**
 * Register `<prefix>.up.*` (transposed conv) and `<prefix>.conv.double_conv.*`.
 *
 * @example
 * ```ts
 * upTargets(targets, 'up1', up1);
 * ```
 */
export const upTargets = (out: WeightTargets, prefix: string, p: Up): void => {
  if (p.up) convTransposeTargets(out, `${prefix}.up`, p.up);
  doubleConvTargets(out, `${prefix}.conv`, p.conv);
};
