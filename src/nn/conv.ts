/**
 * Plain (non-equalized) layers with PyTorch semantics: `conv2d` with optional
 * bias, `conv2dTranspose`, `linear`, `maxPool2d`. Each is a parameter record
 * made by `createX(config, rng)` plus a pure apply function. Weights are kept in
 * tfjs layouts (HWIO filters, [in,out] linear weights); `src/io/weights.ts`
 * converts from PyTorch's OIHW / [out,in].
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../core/errors.ts';
import type { Rng } from '../core/rng.ts';
import { assertShape } from '../core/tensor.ts';
import { constantVariable, normalVariable, uniformVariable } from './init.ts';

// ---------------------------------------------------------------------------
// Initialisers
// ---------------------------------------------------------------------------

/**
 * How to initialise a layer's weight.
 *
 * @example
 * ```ts
 * const dcgan: WeightInit = { kind: 'normal', std: 0.02 };
 * const p = createConv2d({ inChannels: 3, outChannels: 64, kernelSize: 4, init: dcgan }, new Rng(0));
 * ```
 */
export type WeightInit =
  | {
      /** PyTorch's default: U(−1/√fanIn, 1/√fanIn) for weight and bias (kaiming-uniform with a = √5). */
      readonly kind: 'torch';
    }
  | {
      /** N(0, std²) weights and zero bias (DCGAN: std 0.02). */
      readonly kind: 'normal';
      /** Standard deviation. */
      readonly std: number;
    };

const initWeight = (shape: readonly number[], fanIn: number, init: WeightInit, rng: Rng): tf.Variable => {
  if (init.kind === 'normal') return normalVariable(shape, rng, init.std);
  return uniformVariable(shape, rng, 1 / Math.sqrt(fanIn));
};

const initBias = (size: number, fanIn: number, init: WeightInit, rng: Rng): tf.Variable =>
  init.kind === 'normal' ? constantVariable([size], 0) : uniformVariable([size], rng, 1 / Math.sqrt(fanIn));

const TORCH_INIT: WeightInit = { kind: 'torch' };

// ---------------------------------------------------------------------------
// conv2d
// ---------------------------------------------------------------------------

/**
 * Shape of a {@link Conv2dParams}.
 *
 * @example
 * ```ts
 * const c: Conv2dConfig = { inChannels: 3, outChannels: 8, kernelSize: 3, bias: false };
 * ```
 */
export interface Conv2dConfig {
  /** Input channels. */
  readonly inChannels: number;
  /** Output channels. */
  readonly outChannels: number;
  /** Square kernel side. */
  readonly kernelSize: number;
  /** Learn a bias. Default true (PyTorch's default). */
  readonly bias?: boolean;
  /** Initialiser. Default PyTorch's. */
  readonly init?: WeightInit;
}

/**
 * A conv layer's variables.
 *
 * @example
 * ```ts
 * const p: Conv2dParams = createConv2d({ inChannels: 3, outChannels: 8, kernelSize: 3 }, new Rng(0));
 * p.weight.shape; // [3, 3, 3, 8]
 * ```
 */
export interface Conv2dParams {
  /** Filter, HWIO [k,k,in,out]. */
  readonly weight: tf.Variable<tf.Rank.R4>;
  /** Bias [out], or undefined. */
  readonly bias: tf.Variable<tf.Rank.R1> | undefined;
}

/**
 * Create a conv layer's variables.
 *
 * @example
 * ```ts
 * const p = createConv2d({ inChannels: 3, outChannels: 8, kernelSize: 3, bias: false }, new Rng(0));
 * ```
 */
export const createConv2d = (c: Conv2dConfig, rng: Rng): Conv2dParams => {
  const init = c.init ?? TORCH_INIT;
  const fanIn = c.inChannels * c.kernelSize * c.kernelSize;
  const weight = initWeight([c.kernelSize, c.kernelSize, c.inChannels, c.outChannels], fanIn, init, rng) as tf.Variable<tf.Rank.R4>;
  const bias = c.bias === false ? undefined : (initBias(c.outChannels, fanIn, init, rng) as tf.Variable<tf.Rank.R1>);
  return { weight, bias };
};

/**
 * Stride and zero padding, as PyTorch's `nn.Conv2d` takes them.
 *
 * @example
 * ```ts
 * const down: ConvGeometry = { stride: 2, padding: 1 }; // k4 s2 p1 halves H and W
 * const y = conv2d(p, x, down);
 * ```
 */
export interface ConvGeometry {
  /** Stride. Default 1. */
  readonly stride?: number;
  /** Zero padding on every side. Default 0. */
  readonly padding?: number;
}

/**
 * Whether tfjs `'same'` padding pads exactly `p` on every side for this input:
 * then the fast built-in path is used instead of an explicit `tf.pad`.
 */
const sameIsSymmetric = (size: number, k: number, s: number, p: number): boolean => {
  const out = Math.ceil(size / s);
  const total = Math.max((out - 1) * s + k - size, 0);
  return total === 2 * p;
};

/**
 * PyTorch `F.conv2d(x, w, b, stride, padding)` in NHWC: `x` [N,H,W,in] → [N,H',W',out].
 *
 * @example
 * ```ts
 * const y = conv2d(p, x, { padding: 1 }); // 3×3 conv, same size
 * ```
 */
export const conv2d = (p: Conv2dParams, x: tf.Tensor4D, g: ConvGeometry = {}): tf.Tensor4D =>
  tf.tidy(() => {
    const [k, , cIn] = p.weight.shape;
    assertShape('conv2d', x, [null, null, null, cIn]);
    const s = g.stride ?? 1, pad = g.padding ?? 0;
    const [, h, w] = x.shape;
    let y: tf.Tensor4D;
    if (pad === 0) y = tf.conv2d(x, p.weight, s, 'valid');
    else if (sameIsSymmetric(h, k, s, pad) && sameIsSymmetric(w, k, s, pad)) y = tf.conv2d(x, p.weight, s, 'same');
    else y = tf.conv2d(tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]]), p.weight, s, 'valid');
    return p.bias ? tf.add(y, p.bias) : y;
  });

// ---------------------------------------------------------------------------
// conv2dTranspose
// ---------------------------------------------------------------------------

/**
 * A transposed conv layer's variables.
 *
 * @example
 * ```ts
 * const p: ConvTranspose2dParams = createConvTranspose2d({ inChannels: 16, outChannels: 8, kernelSize: 2 }, new Rng(0));
 * p.weight.shape; // [2, 2, 8, 16]
 * ```
 */
export interface ConvTranspose2dParams {
  /** Filter in tfjs's transposed layout [k,k,out,in] (PyTorch stores [in,out,k,k]). */
  readonly weight: tf.Variable<tf.Rank.R4>;
  /** Bias [out], or undefined. */
  readonly bias: tf.Variable<tf.Rank.R1> | undefined;
}

/**
 * Create a transposed conv layer's variables (PyTorch's init: fan-in is
 * `out·k·k`, as `nn.ConvTranspose2d` computes it from its [in,out,k,k] weight).
 *
 * @example
 * ```ts
 * const p = createConvTranspose2d({ inChannels: 16, outChannels: 8, kernelSize: 2 }, new Rng(0));
 * ```
 */
export const createConvTranspose2d = (c: Conv2dConfig, rng: Rng): ConvTranspose2dParams => {
  const init = c.init ?? TORCH_INIT;
  const fanIn = c.outChannels * c.kernelSize * c.kernelSize;
  const weight = initWeight([c.kernelSize, c.kernelSize, c.outChannels, c.inChannels], fanIn, init, rng) as tf.Variable<tf.Rank.R4>;
  const bias = c.bias === false ? undefined : (initBias(c.outChannels, fanIn, init, rng) as tf.Variable<tf.Rank.R1>);
  return { weight, bias };
};

/**
 * Transposed conv with kernel = stride and no padding (UNet's k2 s2): every input
 * pixel writes its own k×k block, so it is one matMul `[N·H·W, in] × [in, k·k·out]`
 * and a depth-to-space — faster than `conv2dTranspose` and with plain matMul/transpose
 * gradients.
 */
const blockTranspose = (x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D => {
  const [n, h, wd, cIn] = x.shape;
  const [k, , cOut] = w.shape;
  const wm = tf.reshape(tf.transpose(w, [3, 0, 1, 2]), [cIn, k * k * cOut]); // [in, (a,b,o)]
  const y = tf.matMul(tf.reshape(x, [n * h * wd, cIn]), wm); // [(n,i,j), (a,b,o)]
  const blocks = tf.reshape(y, [n * h, wd, k, k * cOut]); // [(n,i), j, a, (b,o)]
  return tf.reshape(tf.transpose(blocks, [0, 2, 1, 3]), [n, h * k, wd * k, cOut]); // [(n,i), a, j, (b,o)]
};

/**
 * PyTorch `F.conv_transpose2d(x, w, b, stride, padding)` in NHWC: output side
 * `(in − 1)·stride − 2·padding + k`. Supported: `padding = 0`, or
 * `k − stride = 2·padding` (e.g. DCGAN's k4 s2 p1).
 *
 * @example
 * ```ts
 * const y = conv2dTranspose(p, x, { stride: 2 }); // k2 s2: doubles H and W
 * ```
 */
export const conv2dTranspose = (p: ConvTranspose2dParams, x: tf.Tensor4D, g: ConvGeometry = {}): tf.Tensor4D =>
  tf.tidy(() => {
    const [k, , cOut, cIn] = p.weight.shape;
    assertShape('conv2dTranspose', x, [null, null, null, cIn]);
    const s = g.stride ?? 1, pad = g.padding ?? 0;
    const [n, h, w] = x.shape;
    const oh = (h - 1) * s - 2 * pad + k, ow = (w - 1) * s - 2 * pad + k;
    let y: tf.Tensor4D;
    if (pad === 0 && k === s) y = blockTranspose(x, p.weight);
    else if (pad === 0) y = tf.conv2dTranspose(x, p.weight, [n, oh, ow, cOut], s, 'valid');
    else if (k - s === 2 * pad) y = tf.conv2dTranspose(x, p.weight, [n, oh, ow, cOut], s, 'same');
    else throw new ShapeError('conv2dTranspose', `padding ${pad} with kernel ${k} and stride ${s} is not supported (need padding 0 or k − stride = 2·padding)`);
    return p.bias ? tf.add(y, p.bias) : y;
  });

// ---------------------------------------------------------------------------
// linear
// ---------------------------------------------------------------------------

/**
 * Shape of a {@link LinearParams}.
 *
 * @example
 * ```ts
 * const c: LinearConfig = { inFeatures: 128, outFeatures: 256 };
 * ```
 */
export interface LinearConfig {
  /** Input features. */
  readonly inFeatures: number;
  /** Output features. */
  readonly outFeatures: number;
  /** Learn a bias. Default true. */
  readonly bias?: boolean;
  /** Initialiser. Default PyTorch's. */
  readonly init?: WeightInit;
}

/**
 * A linear layer's variables.
 *
 * @example
 * ```ts
 * const p: LinearParams = createLinear({ inFeatures: 128, outFeatures: 256 }, new Rng(0));
 * p.weight.shape; // [128, 256]
 * ```
 */
export interface LinearParams {
  /** Weight [in,out] (PyTorch stores [out,in]). */
  readonly weight: tf.Variable<tf.Rank.R2>;
  /** Bias [out], or undefined. */
  readonly bias: tf.Variable<tf.Rank.R1> | undefined;
}

/**
 * Create a linear layer's variables.
 *
 * @example
 * ```ts
 * const p = createLinear({ inFeatures: 128, outFeatures: 256 }, new Rng(0));
 * ```
 */
export const createLinear = (c: LinearConfig, rng: Rng): LinearParams => {
  const init = c.init ?? TORCH_INIT;
  const weight = initWeight([c.inFeatures, c.outFeatures], c.inFeatures, init, rng) as tf.Variable<tf.Rank.R2>;
  const bias = c.bias === false ? undefined : (initBias(c.outFeatures, c.inFeatures, init, rng) as tf.Variable<tf.Rank.R1>);
  return { weight, bias };
};

/**
 * `x·W + b`: [N,in] → [N,out].
 *
 * @example
 * ```ts
 * const y = linear(p, x);
 * ```
 */
export const linear = (p: LinearParams, x: tf.Tensor2D): tf.Tensor2D =>
  tf.tidy((): tf.Tensor2D => {
    assertShape('linear', x, [null, p.weight.shape[0]]);
    const y: tf.Tensor2D = tf.matMul(x, p.weight);
    return p.bias ? tf.add<tf.Tensor2D>(y, p.bias) : y;
  });

/**
 * The variables of a conv/linear record, weight first.
 *
 * @example
 * ```ts
 * const vars = [...layerVariables(conv1), ...layerVariables(conv2)];
 * ```
 */
export const layerVariables = (p: {
  /** The layer's weight. */
  readonly weight: tf.Variable;
  /** The layer's bias, or undefined. */
  readonly bias: tf.Variable | undefined;
}): tf.Variable[] =>
  p.bias ? [p.weight, p.bias] : [p.weight];

// ---------------------------------------------------------------------------
// pooling
// ---------------------------------------------------------------------------

/**
 * PyTorch `nn.MaxPool2d(k)` (stride k, no padding; odd sides are floored).
 *
 * @example
 * ```ts
 * const y = maxPool2d(x, 2); // [N,H/2,W/2,C]
 * ```
 */
export const maxPool2d = (x: tf.Tensor4D, k = 2): tf.Tensor4D =>
  tf.tidy(() => {
    assertShape('maxPool2d', x, [null, null, null, null]);
    if (x.shape[1] < k || x.shape[2] < k) throw new ShapeError('maxPool2d', `x [${x.shape.join(',')}] is smaller than the ${k}×${k} window`);
    return tf.maxPool(x, k, k, 'valid');
  });
